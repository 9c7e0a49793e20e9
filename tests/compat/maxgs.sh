#!/bin/bash
# maxgs.sh: MN_MAXGS bounds the live threads (issue 15).
#  - tests/compat/maxgs under MN_MAXGS=1000 at MN_PROCS 1 and 2: thread
#    creation fails with EAGAIN ("Resource temporarily unavailable") once
#    999 threads exist beside main (a few more where creators race: at
#    most 1000 in all), and after they are joined new ones are made;
#  - MN_MAXGS=junk and MN_MAXGS=0: one line naming the variable on stderr,
#    and the program runs on the default (no failure in 2000 threads).
# Natively the program would make threads until the system's own limit,
# so it is not run natively.
#
# Exit: 0 pass, 1 fail, 77 skip (no MN_LIB).
prog=${MN_BUILDDIR:-.}/tests/compat/maxgs
[ -n "$MN_LIB" ] && [ -f "$MN_LIB" ] || { echo "maxgs.sh: no MN_LIB, skipped"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

for p in 1 2; do
	timeout -s KILL 60 env LD_PRELOAD="$MN_LIB" MN_PROCS=$p MN_MAXGS=1000 "$prog" 100000 >"$tmp/out" 2>"$tmp/err"
	rc=$?
	n=$(sed -n 's/^created \([0-9][0-9]*\), then Resource temporarily unavailable$/\1/p' "$tmp/out")
	if [ "$rc" -ne 0 ] || [ -z "$n" ] || [ "$n" -lt 990 ] || [ "$n" -gt 999 ] ||
		! grep -q '^after joining them: 10 of 10 made$' "$tmp/out"; then
		bad "MN_PROCS=$p MN_MAXGS=1000: exit $rc"
		sed 's/^/  /' "$tmp/out" "$tmp/err" | head -10
	else
		echo "ok: MN_PROCS=$p MN_MAXGS=1000: $(head -1 "$tmp/out"); then 10 more"
	fi
done

for v in junk 0; do
	timeout -s KILL 60 env LD_PRELOAD="$MN_LIB" MN_PROCS=2 MN_MAXGS=$v "$prog" 2000 >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 0 ] || [ "$(grep -c 'MN_MAXGS' "$tmp/err")" -ne 1 ] ||
		! grep -q '^created 2000, then no failure$' "$tmp/out"; then
		bad "MN_MAXGS=$v: exit $rc"
		sed 's/^/  /' "$tmp/out" "$tmp/err" | head -10
	else
		echo "ok: MN_MAXGS=$v: $(cat "$tmp/err"); $(head -1 "$tmp/out")"
	fi
done
exit $fail
