#!/bin/bash
# deadlock.sh: the deadlock report (issue 14).  tests/compat/deadlock (its
# comment lists the cases) runs under mnthread at MN_PROCS 1 and 2:
#  - abba, condjoin, selflock with MN_DEBUG=deadlock=abort: the line
#    "mnthread: all threads are asleep - deadlock!" on stderr, then death
#    by SIGABRT, within 30 s; for abba the thread dump after the line
#    shows two threads waiting on a mutex in ab() and main in join;
#  - abba with the default (deadlock=1): the line once, and the program
#    still waits (killed here after 3 s more); with deadlock=0: no line;
#  - sleep, sigwait, waitpid, pipe, handler with deadlock=abort: they end
#    by themselves with the same stdout as natively and no report (a
#    false report would abort them).
# Natively the first three would hang, so they are not run natively.
#
# Exit: 0 pass, 1 fail, 77 skip (no MN_LIB).
prog=${MN_BUILDDIR:-.}/tests/compat/deadlock
[ -n "$MN_LIB" ] && [ -f "$MN_LIB" ] || { echo "deadlock.sh: no MN_LIB, skipped"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
line='mnthread: all threads are asleep - deadlock!'
fail=0
bad() { echo "FAIL: $*"; fail=1; }

for p in 1 2; do
	for mode in abba condjoin selflock; do
		timeout -s KILL 30 env LD_PRELOAD="$MN_LIB" MN_PROCS=$p MN_DEBUG=deadlock=abort "$prog" $mode \
			>"$tmp/out" 2>"$tmp/err"
		rc=$?
		n=$(grep -c -F -- "$line" "$tmp/err")
		if [ "$rc" -ne 134 ] || [ "$n" -ne 1 ]; then
			bad "MN_PROCS=$p $mode, deadlock=abort: exit $rc (want 134, SIGABRT), report lines $n (want 1)"
			sed 's/^/  stderr: /' "$tmp/err" | head -20
		elif [ $mode = abba ] && { [ "$(grep -c ': mutex, ' "$tmp/err")" -ne 2 ] ||
			! grep -q ' ab+0x' "$tmp/err" || ! grep -q ': join, ' "$tmp/err"; }; then
			bad "MN_PROCS=$p abba: the dump after the report does not show two threads in ab waiting on a mutex and main in join"
			sed 's/^/  stderr: /' "$tmp/err" | head -40
		else
			echo "ok: MN_PROCS=$p $mode: reported with a dump, then aborted"
		fi
	done

	for setting in 1 0; do
		env LD_PRELOAD="$MN_LIB" MN_PROCS=$p MN_DEBUG=deadlock=$setting "$prog" abba >"$tmp/out" 2>"$tmp/err" &
		pid=$!
		waited=0
		while [ $waited -lt 100 ] && ! grep -q -F -- "$line" "$tmp/err"; do
			sleep 0.2
			waited=$((waited + 1))
		done
		[ "$setting" = 1 ] && sleep 3 # time for a second report, which must not come
		alive=no
		kill -0 $pid 2>/dev/null && alive=yes
		kill -KILL $pid 2>/dev/null
		wait $pid 2>/dev/null
		n=$(grep -c -F -- "$line" "$tmp/err")
		want=$([ "$setting" = 1 ] && echo 1 || echo 0)
		if [ "$n" -ne "$want" ] || [ $alive != yes ]; then
			bad "MN_PROCS=$p abba, deadlock=$setting: report lines $n (want $want), still waiting: $alive (want yes)"
			sed 's/^/  stderr: /' "$tmp/err" | head -20
		else
			echo "ok: MN_PROCS=$p abba, deadlock=$setting: $n report line(s), the program still waits"
		fi
	done

	for mode in sleep sigwait waitpid pipe handler; do
		timeout -s KILL 30 "$prog" $mode >"$tmp/native" 2>&1
		nrc=$?
		timeout -s KILL 30 env LD_PRELOAD="$MN_LIB" MN_PROCS=$p MN_DEBUG=deadlock=abort "$prog" $mode \
			>"$tmp/out" 2>"$tmp/err"
		rc=$?
		if [ $nrc -ne 0 ]; then
			bad "$mode: the native run exited $nrc"
		elif [ $rc -ne 0 ] || ! cmp -s "$tmp/native" "$tmp/out" || grep -q -F -- "$line" "$tmp/err"; then
			bad "MN_PROCS=$p $mode: exit $rc, stdout as native: $(cmp -s "$tmp/native" "$tmp/out" && echo yes || echo no)"
			sed 's/^/  stdout: /' "$tmp/out"
			sed 's/^/  stderr: /' "$tmp/err" | head -20
		else
			echo "ok: MN_PROCS=$p $mode: no report, ended as natively"
		fi
	done
done
exit $fail
