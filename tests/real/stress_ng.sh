#!/bin/bash
# stress_ng.sh: stress-ng's thread stressors with --verify under mnthread:
# --pthread 4, --mutex 4, --futex 4, --sem 4, 3 s each (STRESS_NG_SECS).
# Passing: exit 0, no "fail:" line in stress-ng's log, and bogo ops at
# least half of native's.  stress-ng forks one process per instance, so
# this also covers fork from a threaded program.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need stress-ng stress-ng
secs=${STRESS_NG_SECS:-3}
cd "$real_tmp" || exit 99
# ops LABEL NAME: the bogo ops of stressor NAME in a run's metrics.
ops() {
	awk -v s="$2" '$2 == "metrc:" && $4 == s && $5 ~ /^[0-9]+$/ { print $5; exit }' "$real_tmp/$1.err" "$real_tmp/$1.out"
}
for s in pthread mutex futex sem; do
	both stress-ng --"$s" 4 --verify -t "$secs" --metrics-brief
	n=$(ops native "$s") m=$(ops mnthread "$s")
	say "$s: bogo ops native ${n:-none} (${native_secs}s), mnthread ${m:-none} (${mn_secs}s)"
	if grep -h "fail:" "$real_tmp/mnthread.err" "$real_tmp/mnthread.out" | head -n 5 | grep .; then
		bad "$s: stress-ng logged failures under mnthread"
	fi
	if [ -n "$n" ] && [ -n "$m" ] && [ "$((m * 2))" -lt "$n" ]; then
		bad "$s: under half of native's bogo ops"
	elif [ "$mn_rc" -eq 0 ] && [ -z "$m" ]; then
		bad "$s: no bogo ops reported"
	fi
done
finish
