#!/bin/sh
# preempt_spinners.sh: two spinners and a sleeper on one processor
# (issue 11: sysmon's asynchronous preemption).
#
# Run by automake as `sh tests/compat/preempt_spinners.sh` from the build
# directory, with MN_LIB, MN_BUILDDIR and MN_SRCDIR set.
#
# 1. tests/compat/compare runs tests/compat/preempt_spinners natively and
#    under mnthread at MN_PROCS=1: the sleeper is never late by more than
#    the quantum + 10 ms, and the output matches native.
# 2. The same program with --starve at MN_PROCS=1 and
#    MN_DEBUG=asyncpreemptoff=1: with preemption off the spinners keep the
#    processor, and the program must show the starvation (its own watchdog
#    fires after 3 s, or a wake-up comes more than 200 ms late) and exit 0.
#    A 20 s time-out (timeout(1)) counts as a failure: the program's
#    watchdog should have ended it.  The watchdog is a SIGALRM handler:
#    with main an ordinary thread, a handler runs on a thread, which the
#    spinners starve too; lockmain=1 keeps main (and the process's
#    signals) on the initial OS thread, where the handler runs anyway.
#
# Exit: 0 pass, 1 fail, 77 skip (no MN_LIB).

prog=${MN_BUILDDIR:-.}/tests/compat/preempt_spinners
compare=${MN_SRCDIR:-.}/tests/compat/compare

if [ -z "$MN_LIB" ] || [ ! -e "$MN_LIB" ]; then
	echo "preempt_spinners: SKIP: MN_LIB (${MN_LIB:-unset}) does not exist"
	exit 77
fi

COMPARE_PROCS=1 "$compare" "$prog"
rc=$?
[ "$rc" -eq 77 ] && exit 77

echo "preempt_spinners --starve: MN_PROCS=1 MN_DEBUG=asyncpreemptoff=1 run"
timeout -k 5 20 env LD_PRELOAD="$MN_LIB" MN_PROCS=1 MN_DEBUG=asyncpreemptoff=1,lockmain=1 \
	MN_COMPAT_UNDER=1 "$prog" --starve
src=$?
if [ "$src" -eq 0 ]; then
	echo "asyncpreemptoff=1: starvation shown, as expected"
else
	echo "asyncpreemptoff=1: FAIL: rc=$src, expected 0 (the starvation shown)"
	rc=1
fi

if [ "$rc" -eq 0 ]; then
	echo "preempt_spinners.sh: PASS"
else
	echo "preempt_spinners.sh: FAIL"
fi
exit "$rc"
