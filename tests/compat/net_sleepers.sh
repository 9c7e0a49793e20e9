#!/bin/sh
# net_sleepers.sh: 10,000 threads each sleeping 1 ms in a loop for 2 s,
# under mnthread at MN_PROCS=2 only (issue 12: sleeps park the G on a
# timer, not the OS thread).  tests/compat/net_sleepers (its comment says
# what it checks) requires every thread to wake at least once a second and
# prints the figures (wake-ups per thread per second, CPU per wake-up) to
# the log.  Natively 10,000 OS threads sleeping 1 ms each swamp a 2-CPU
# machine (they do not all start within a minute here), so there is no
# native run to compare with.
#
# Exit: 0 pass, 1 fail, 77 skip (no MN_LIB).
prog=${MN_BUILDDIR:-.}/tests/compat/net_sleepers

if [ -z "$MN_LIB" ] || [ ! -e "$MN_LIB" ]; then
	echo "net_sleepers: SKIP: MN_LIB (${MN_LIB:-unset}) does not exist"
	exit 77
fi

echo "net_sleepers: MN_PROCS=2 run, 10000 threads"
timeout -k 10 120 env LD_PRELOAD="$MN_LIB" MN_PROCS=2 MN_COMPAT_UNDER=1 "$prog" 10000
rc=$?
case $rc in
0) echo "net_sleepers.sh: PASS" ;;
*) echo "net_sleepers.sh: FAIL (rc=$rc)"; rc=1 ;;
esac
exit "$rc"
