#!/bin/bash
# preempt_openmp.sh: an OpenMP program whose threads wait at explicit
# barriers gives native's answer at MN_PROCS=2 with 2, 4 and 8 threads,
# and with libgomp's two wait policies (issue 11: preemption and the
# silent-blocking retake).
#
# Complements tests/real/openmp.sh and openmp_oversubscribed.sh (their
# omp_work.c: reductions, one barrier, even work): tests/compat/omp_barriers.c
# gives the threads uneven work before each of two explicit barriers, so
# that most of the team waits at every barrier, and checks at each one that
# every thread's write is seen.  Built here with ${CC:-cc} -fopenmp (skip
# when that fails); run natively and with LD_PRELOAD=$MN_LIB MN_PROCS=2
# (tests/real/lib.sh's `both`), the outputs must be equal:
#   OMP_NUM_THREADS 2, 4, 8, libgomp's default policy (spin a while, then
#                   sleep in raw futex calls nobody interposes);
#   OMP_NUM_THREADS 8, OMP_WAIT_POLICY=passive (straight to the futex):
#                   needs the silent-blocking retake;
#   OMP_NUM_THREADS 4, OMP_WAIT_POLICY=active (spin, never sleep), 5 rounds:
#                   needs preemption; each barrier costs up to a quantum
#                   per waiting thread, hence the fewer rounds.
# Each run is limited to REAL_TIMEOUT seconds (default 10; natively each
# takes well under a second).  After the first run under mnthread that
# times out, the remaining configurations are not run (one hang is enough
# to fail, and the test stays short).
#
# Run by automake from the build directory, with MN_LIB, MN_BUILDDIR and
# MN_SRCDIR set.  Exit: 0 pass, 1 fail, 77 skip.
export REAL_TIMEOUT=${REAL_TIMEOUT:-10}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../real/lib.sh
. "$here/../real/lib.sh"
real_procs=2
cc=${CC:-cc}
"$cc" -O2 -fopenmp "$here/omp_barriers.c" -o "$real_tmp/omp_barriers" 2>"$real_tmp/cc.err" ||
	skip "cannot build omp_barriers.c with $cc -fopenmp: $(tail -n 1 "$real_tmp/cc.err")"

# config THREADS POLICY ROUNDS: one configuration, both ways.
config() {
	local t=$1 policy=$2 rounds=$3
	local -a envs=(env -u OMP_WAIT_POLICY OMP_NUM_THREADS="$t")
	[ "$policy" = default ] || envs+=(OMP_WAIT_POLICY="$policy")
	both "${envs[@]}" "$real_tmp/omp_barriers" "$rounds"
	if [ "$native_rc" -eq 0 ] && [ "$mn_rc" -eq 0 ] && ! cmp -s "$real_tmp/native.out" "$real_tmp/mnthread.out"; then
		bad "OMP_NUM_THREADS=$t OMP_WAIT_POLICY=$policy: output differs from native"
		diff "$real_tmp/native.out" "$real_tmp/mnthread.out"
	fi
	[ "$mn_rc" -ne 124 ] && [ "$mn_rc" -ne 137 ]
}

for c in "2 default 40" "4 default 40" "8 default 40" "8 passive 40" "4 active 5"; do
	# shellcheck disable=SC2086  # three words
	if ! config $c; then
		say "the other configurations are not run after a time-out"
		break
	fi
done
finish
