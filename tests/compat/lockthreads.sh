#!/bin/sh
# lockthreads.sh: MN_DEBUG=lockthreads=1 gives every thread an OS thread of
# its own.  tests/compat/compare runs tests/compat/lockthreads (its comment
# says what it checks) natively and under mnthread with lockthreads=1 at
# MN_PROCS 1 and 2, then mutex_kinds and cond_semantics the same way at
# MN_PROCS 2 (waits and wake-ups between locked threads).
#
# Exit: 0 pass, 1 fail, 77 skip (no MN_LIB).
compare=${MN_SRCDIR:-.}/tests/compat/compare
export MN_DEBUG=lockthreads=1
COMPARE_PROCS="1 2" "$compare" "${MN_BUILDDIR:-.}/tests/compat/lockthreads" || exit $?
for prog in mutex_kinds cond_semantics; do
	COMPARE_PROCS="2" "$compare" "${MN_BUILDDIR:-.}/tests/compat/$prog" || exit $?
done
