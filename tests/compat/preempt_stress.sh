#!/bin/sh
# preempt_stress.sh: the safety stress of issue 11 (sysmon's asynchronous
# preemption) at MN_PROCS 1, 2 and 4, and how often it preempted.
#
# Run by automake as `sh tests/compat/preempt_stress.sh` from the build
# directory, with MN_LIB, MN_BUILDDIR and MN_SRCDIR set.
#
# tests/compat/compare runs tests/compat/preempt_stress natively and under
# mnthread at MN_PROCS 1, 2 and 4 (each run about 1.5 s; the program's
# watchdog ends one that hangs after 4 s), with
#   MN_DEBUG=schedtrace=250,preemptms=1[,$MN_DEBUG]
# a 1 ms quantum, so that the threads are preempted as often as the
# runtime can, and a scheduler line on stderr every 250 ms.  Every run's
# output must match native.
#
# Then, for each MN_PROCS, the number of preemptions: the preempt=N count
# on the last schedtrace line of that run (a running total), or 0 when the
# runtime's schedtrace lines carry no such count.  The count is reported,
# not checked.
#
# Exit: compare's: 0 pass, 1 fail, 77 skip (no MN_LIB).

prog=${MN_BUILDDIR:-.}/tests/compat/preempt_stress
compare=${MN_SRCDIR:-.}/tests/compat/compare

if [ -z "$MN_LIB" ] || [ ! -e "$MN_LIB" ]; then
	echo "preempt_stress: SKIP: MN_LIB (${MN_LIB:-unset}) does not exist"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mnstress.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# compare's lines and the runs' stderr in one file, in the order written.
MN_DEBUG="schedtrace=250,preemptms=1${MN_DEBUG:+,$MN_DEBUG}" COMPARE_PROCS="1 2 4" \
	"$compare" "$prog" >"$tmp/log" 2>&1
rc=$?
cat "$tmp/log"

awk '
/^preempt_stress: MN_PROCS=[0-9]+ run$/ {
	run = $2
	order[++n] = run
	count[run] = 0
	next
}
run != "" && /preempt=[0-9]+/ {
	s = $0
	sub(/.*preempt=/, "", s)
	sub(/[^0-9].*/, "", s)
	count[run] = s + 0
	seen = 1
}
END {
	for (i = 1; i <= n; i++)
		printf "%s: preemptions: %d%s\n", order[i], count[order[i]],
			seen ? "" : " (schedtrace shows no preempt= count)"
}' "$tmp/log"
exit "$rc"
