#!/bin/bash
# allocators.sh: mnthread together with jemalloc, tcmalloc and mimalloc.
#
# An allocator that locks a mutex (or calls pthread_once, or sleeps) from
# inside malloc re-enters us while we start up.  For each of jemalloc
# (libjemalloc2), tcmalloc (libgoogle-perftools4) and mimalloc
# (libmimalloc2.0), with MN_PROCS 2:
#  - /bin/true starts and exits 0 with the allocator preloaded after
#    mnthread, and before it;
#  - tests/real/alloc_threads.c (eight threads allocating and freeing each
#    other's blocks, then 200 short threads) prints the same checksum and
#    "allocator: NAME" (the allocator is mapped) as natively with the
#    allocator preloaded, in three ways: preloaded after mnthread, before
#    it, and linked into the program (built here with cc).
# An allocator that is not installed is skipped with a note; all three
# missing skips the test.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

libdir=/usr/lib/x86_64-linux-gnu
src=$here/alloc_threads.c
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || skip "no C compiler ($cc)"
"$cc" -O2 -pthread "$src" -o "$real_tmp/alloc_threads" || skip "cannot build $src"

# check LABEL WANT-FILE PRELOAD CMD...: CMD's stdout must equal WANT-FILE.
check() {
	local label=$1 want=$2 pre=$3 rc
	shift 3
	timeout -k 10 "$real_timeout" env LD_PRELOAD="$pre" MN_PROCS="$real_procs" "$@" \
		>"$real_tmp/out" 2>"$real_tmp/err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		bad "$label: $(describe "$rc")"
		tail -n 5 "$real_tmp/err"
	elif ! cmp -s "$want" "$real_tmp/out"; then
		bad "$label: output differs from native"
		diff "$want" "$real_tmp/out" | head -n 10
	else
		say "$label: ok"
	fi
}

found=0
for spec in jemalloc:libjemalloc.so.2:libjemalloc2 tcmalloc:libtcmalloc.so.4:libgoogle-perftools4 \
	mimalloc:libmimalloc.so.2:libmimalloc2.0; do
	IFS=: read -r name so pkg <<<"$spec"
	a=$libdir/$so
	if [ ! -e "$a" ]; then
		say "note: $name not installed ($pkg); not tried"
		continue
	fi
	found=1
	: >"$real_tmp/empty"
	check "$name after mnthread: /bin/true" "$real_tmp/empty" "$MN_LIB:$a" /bin/true
	check "$name before mnthread: /bin/true" "$real_tmp/empty" "$a:$MN_LIB" /bin/true

	# Native reference, with the allocator preloaded.
	if ! timeout "$real_timeout" env ALLOC_NAME="$name" LD_PRELOAD="$a" "$real_tmp/alloc_threads" \
		>"$real_tmp/native.$name" 2>"$real_tmp/err" || ! grep -q "^allocator: $name" "$real_tmp/native.$name"; then
		bad "$name: the native run itself failed"
		cat "$real_tmp/native.$name" "$real_tmp/err" | tail -n 5
		continue
	fi
	check "$name after mnthread: alloc_threads" "$real_tmp/native.$name" "$MN_LIB:$a" \
		env ALLOC_NAME="$name" "$real_tmp/alloc_threads"
	check "$name before mnthread: alloc_threads" "$real_tmp/native.$name" "$a:$MN_LIB" \
		env ALLOC_NAME="$name" "$real_tmp/alloc_threads"
	if "$cc" -O2 -pthread "$src" "$a" -o "$real_tmp/alloc_threads_$name" 2>"$real_tmp/err"; then
		check "$name linked: alloc_threads" "$real_tmp/native.$name" "$MN_LIB" \
			env ALLOC_NAME="$name" "$real_tmp/alloc_threads_$name"
	else
		bad "$name: cannot link the program with $a"
		tail -n 5 "$real_tmp/err"
	fi
done
[ "$found" -eq 1 ] || skip "none of jemalloc, tcmalloc, mimalloc is installed"
finish
