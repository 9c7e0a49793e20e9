#!/bin/sh
# gdb_helper.sh: the gdb helper, scripts/mnthread-gdb.py (issue 14), on a
# live process and on a core file.
#
# Run by automake as `sh tests/compat/gdb_helper.sh` from the build
# directory, with MN_LIB (absolute path of libmnthread.so), MN_BUILDDIR and
# MN_SRCDIR.  The program is tests/compat/gdb_parked (built by make check):
# threads named mutexwait, condwait, sleeper and joiner wait in a mutex, a
# condition, a sleep and a join, in functions of their own; main reads a
# line from stdin (a FIFO here) through stdio.
#
# 0. Skips unless gdb (with Python) is installed and a trial attach works.
# 1. Live: gdb -p attaches in batch mode, sources the script from the
#    source tree and runs `info mnthreads` (again, up to 3 times, until
#    the four threads wait: a loaded machine may be slow to park one):
#    every thread must be listed
#    with its name and wait reason (mutex and condition: sema or their own
#    word; sleep; join), the frame it waits in (wait_on_mutex, ...), and
#    main with the pid as its Tid.  Then `mnthread ID bt` for mutexwait must
#    name wait_on_mutex, and the registers of the thread gdb borrowed must
#    be the same before and after.  After gdb detaches the program is given
#    its line: it must release the waiters and print "done" (the process
#    was left as it was).
#    main running shows the OS thread that runs it (`mnthread ID bt` says
#    `thread N`).
# 2. Core: a second run, its threads without guard pages (see gdb_parked.c:
#    gdb 13's gcore cannot read a MADV_GUARD_INSTALL guard and leaves out
#    the rest of its mapping), dumped with gcore once the four wait, then
#    the same checks on the core file (the backtrace there goes through the
#    script's unwinder: a core's registers cannot be written).
#
# Exit: 0 pass, 1 fail, 77 skip (no MN_LIB, no gdb, ptrace not permitted).

fail=0
say() { printf '%s\n' "$*"; }
bad() { say "FAIL: $*"; fail=1; }
skip() { say "SKIP: $*"; exit 77; }

[ -n "$MN_LIB" ] && [ -f "$MN_LIB" ] || skip "MN_LIB not set or missing"
command -v gdb >/dev/null 2>&1 || skip "gdb not installed"
gdb -nx -batch -ex 'python print("py" + "ok")' 2>/dev/null | grep -q pyok ||
	skip "this gdb has no Python"
prog=${MN_BUILDDIR:-.}/tests/compat/gdb_parked
script=${MN_SRCDIR:-.}/scripts/mnthread-gdb.py
[ -x "$prog" ] || { say "FAIL: no program $prog (make check builds it)"; exit 1; }
[ -f "$script" ] || { say "FAIL: no script $script"; exit 1; }
if [ -r /proc/sys/kernel/yama/ptrace_scope ] &&
	[ "$(cat /proc/sys/kernel/yama/ptrace_scope)" = 3 ]; then
	skip "ptrace disabled (kernel.yama.ptrace_scope=3)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gdbhelper.XXXXXX") || exit 99
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# gdbrun NAME ARGS...: gdb in batch mode, no init files, the script
# sourced; output in $tmp/NAME.
gdbrun() {
	name=$1
	shift
	timeout 120 gdb -nx -batch "$@" >"$tmp/$name" 2>&1
}

# start [ENV=VALUE...]: run the program under mnthread on the FIFO $tmp/in
# (held open on fd 3); sets pid once it says "ready".
start() {
	rm -f "$tmp/in" "$tmp/out"
	mkfifo "$tmp/in" || exit 99
	env -u MN_DEBUG LD_PRELOAD="$MN_LIB" MN_PROCS=2 "$@" "$prog" <"$tmp/in" >"$tmp/out" 2>&1 &
	pid=$!
	exec 3>"$tmp/in"
	i=0
	while ! grep -q '^ready' "$tmp/out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$pid" 2>/dev/null; then
			say "FAIL: the program did not get ready; its output:"
			cat "$tmp/out"
			exit 1
		fi
		sleep 0.05
	done
	# One more moment for main to reach its read.
	sleep 0.2
}

# stop: give the program its line; it must print "done" and exit 0.
stop() {
	echo go >&3
	exec 3>&-
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do
		i=$((i + 1))
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		bad "$1: the program did not finish after gdb detached"
	elif ! wait "$pid"; then
		bad "$1: the program failed after gdb detached"
	elif ! grep -q '^done$' "$tmp/out"; then
		bad "$1: the program did not print done"
	fi
	pid=
}

# row FILE NAME: the `info mnthreads` line of the thread NAME.
row() {
	awk -v n="$2" '$3 == n' "$1"
}

# check_info WHAT FILE: the checks on `info mnthreads` output.
check_info() {
	what=$1
	f=$2
	if ! grep -q '^Id  *Tid  *Name  *Status  *Wait  *M  *Frame' "$f"; then
		bad "$what: no info mnthreads table"
		cat "$f"
		return
	fi
	for t in mutexwait:'sema|mutex':wait_on_mutex condwait:'sema|cond':wait_on_cond \
		sleeper:'sleep':wait_in_sleep joiner:'join':wait_in_join; do
		name=${t%%:*}
		rest=${t#*:}
		reason=${rest%%:*}
		fn=${rest#*:}
		r=$(row "$f" "$name")
		if [ -z "$r" ]; then
			bad "$what: $name not listed"
		elif ! printf '%s\n' "$r" | grep -Eq "^[0-9]+ +[0-9]+ +$name +waiting +($reason)\b.* $fn at gdb_parked.c:[0-9]+$"; then
			bad "$what: $name: expected waiting, reason $reason, frame $fn: $r"
		fi
	done
	r=$(row "$f" main)
	if [ -z "$r" ]; then
		bad "$what: main not listed"
	elif [ "$(printf '%s\n' "$r" | awk '{ print $2 }')" != "$pid" ]; then
		bad "$what: main's Tid is not the pid $pid: $r"
	fi
	n=$(grep -Ec '^[0-9]+ ' "$f")
	[ "$n" -eq 5 ] || bad "$what: $n threads listed, expected 5"
}

# check_bt WHAT FILE: the backtrace of mutexwait.
check_bt() {
	if ! grep -Eq '^#[0-9]+ .*wait_on_mutex \(\) at .*gdb_parked.c:[0-9]+' "$2"; then
		bad "$1: mnthread bt of mutexwait does not name wait_on_mutex"
		cat "$2"
	fi
	if ! grep -q '^#0 ' "$2"; then
		bad "$1: mnthread bt printed no frame #0"
	fi
}

# A trial attach: ptrace may be refused (yama scope 1 or 2 without the
# capability, a seccomp profile, a container).
start
gdbrun trial -p "$pid" -ex 'info threads'
if grep -Eq 'ptrace: Operation not permitted|Could not attach|not permitted' "$tmp/trial" ||
	! grep -q 'LWP' "$tmp/trial"; then
	stop trial
	skip "gdb cannot attach here: $(grep -m1 -E 'ptrace|attach|permitted' "$tmp/trial")"
fi

# listg NAME ARGS...: `info mnthreads` into $tmp/NAME, again (3 tries) until
# the four threads wait: each reached its wait before main said ready, but
# a loaded machine may be slow to park one.
listg() {
	name=$1
	shift
	n=0
	while :; do
		gdbrun "$name" -ex "source $script" "$@" -ex 'info mnthreads'
		n=$((n + 1))
		[ "$(grep -Ec '^[0-9]+ .* waiting ' "$tmp/$name")" -ge 4 ] && break
		[ $n -ge 3 ] && break
		sleep 1
	done
}

# 1. Live.
listg info -p "$pid"
say "--- info mnthreads (live):"
cat "$tmp/info"
check_info live "$tmp/info"
id=$(row "$tmp/info" mutexwait | awk '{ print $1 }')
mainid=$(row "$tmp/info" main | awk '{ print $1 }')
if [ -n "$id" ]; then
	regs='info registers rip rsp rbp rbx r12 r13 r14 r15 orig_rax'
	gdbrun bt -p "$pid" -ex "source $script" -ex "echo ==before\\n" -ex "$regs" \
		-ex "echo ==bt\\n" -ex "mnthread $id bt" -ex "echo ==main\\n" -ex "mnthread $mainid bt" \
		-ex "echo ==after\\n" -ex "$regs"
	say "--- mnthread $id bt (live):"
	sed -n '/^==bt/,/^==main/p' "$tmp/bt"
	sed -n '/^==bt/,/^==main/p' "$tmp/bt" >"$tmp/bt.only"
	check_bt live "$tmp/bt.only"
	sed -n '/^==before/,/^==bt/p' "$tmp/bt" | grep -v '^==' >"$tmp/before"
	sed -n '/^==after/,$p' "$tmp/bt" | grep -v '^==' | grep -v 'detached' >"$tmp/after"
	if [ ! -s "$tmp/before" ] || ! cmp -s "$tmp/before" "$tmp/after"; then
		bad "live: registers differ after mnthread bt"
		diff "$tmp/before" "$tmp/after"
	fi
	# main runs (in a read the stdio inside glibc makes, which is not
	# interposed) or waits: running, the command names its OS thread.
	m=$(sed -n '/^==main/,/^==after/p' "$tmp/bt")
	if row "$tmp/info" main | grep -q ' running '; then
		printf '%s\n' "$m" | grep -q 'use `thread [0-9]' ||
			bad "live: mnthread bt of running main does not name its thread: $m"
	fi
else
	bad "live: no id for mutexwait"
fi
stop live

# 2. Core (gcore), threads without guard pages.
start GDB_PARKED_GUARD=0
listg gcore -p "$pid" -ex "gcore $tmp/core"
if [ ! -s "$tmp/core" ]; then
	bad "gcore made no core file"
	cat "$tmp/gcore"
else
	gdbrun cinfo "$prog" "$tmp/core" -ex "source $script" -ex 'info mnthreads'
	# (a core does not change: no retry)
	say "--- info mnthreads (core):"
	cat "$tmp/cinfo"
	check_info core "$tmp/cinfo"
	id=$(row "$tmp/cinfo" mutexwait | awk '{ print $1 }')
	if [ -n "$id" ]; then
		gdbrun cbt "$prog" "$tmp/core" -ex "source $script" -ex "echo ==bt\\n" -ex "mnthread $id bt"
		sed -n '/^==bt/,$p' "$tmp/cbt" >"$tmp/cbt.only"
		say "--- mnthread $id bt (core):"
		cat "$tmp/cbt.only"
		check_bt core "$tmp/cbt.only"
	else
		bad "core: no id for mutexwait"
	fi
fi
stop core

[ $fail -eq 0 ] && say "PASS: gdb helper, live and core"
exit $fail
