#!/bin/bash
# sysbench.sh: `sysbench threads` (8 threads yielding under mutexes) and
# `sysbench mutex` (8 threads on a table of mutexes) run to the end under
# mnthread: exit 0 and a nonzero "total number of events", as natively.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need sysbench sysbench
events() { awk '/total number of events:/ { print $NF }' "$real_tmp/$1.out"; }
for t in "threads --threads=8 --time=2" "mutex --threads=8 --mutex-locks=20000"; do
	# shellcheck disable=SC2086  # a word list
	both sysbench $t run
	n=$(events native) m=$(events mnthread)
	say "sysbench ${t%% *}: events native ${n:-none}, mnthread ${m:-none}"
	[ "$mn_rc" -eq 0 ] && { [ -z "$m" ] || [ "$m" -eq 0 ]; } && bad "sysbench ${t%% *}: no events counted"
done
finish
