#!/bin/bash
# openmp.sh: an OpenMP program (libgomp) gives native's answer under
# mnthread with as many threads as Ps (OMP_NUM_THREADS=2, MN_PROCS=2).
# tests/real/omp_work.c is built here with cc -fopenmp; its output must
# equal native's.  With more threads than Ps see openmp_oversubscribed.sh.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
threads=${OMP_THREADS_LIST:-2}
cc=${CC:-cc}
"$cc" -O2 -fopenmp "$here/omp_work.c" -o "$real_tmp/omp_work" 2>"$real_tmp/cc.err" ||
	skip "cannot build omp_work.c with $cc -fopenmp: $(tail -n 1 "$real_tmp/cc.err")"
for t in $threads; do
	both env OMP_NUM_THREADS="$t" "$real_tmp/omp_work"
	if [ "$native_rc" -eq 0 ] && [ "$mn_rc" -eq 0 ] && ! cmp -s "$real_tmp/native.out" "$real_tmp/mnthread.out"; then
		bad "OMP_NUM_THREADS=$t: output differs from native"
		diff "$real_tmp/native.out" "$real_tmp/mnthread.out"
	fi
done
finish
