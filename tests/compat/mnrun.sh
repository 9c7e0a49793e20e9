#!/bin/sh
# mnrun.sh: the launcher script, $MN_BUILDDIR/scripts/mnrun.
#
# Run by automake as `sh tests/compat/mnrun.sh` with MN_BUILDDIR set.  The
# built launcher preloads "<libdir>/libmnthread.so" from the configured
# (usually not yet installed) libdir, so the programs it starts here are
# plain `sh -c` commands that only print their environment: the dynamic
# loader may warn on stderr that it cannot preload the library, which is
# harmless and ignored.  Checks:
#   mnrun --help              exit 0, prints a usage text
#   mnrun --version           exit 0, prints the package version
#   mnrun (no arguments)      non-zero exit
#   mnrun -- /nonexistent     exit 127 and a message on stderr
#   mnrun -p 3 -d schedtrace=0 -- sh -c ...
#                             MN_PROCS=3, MN_DEBUG=schedtrace=0, and an
#                             LD_PRELOAD naming libmnthread.so
#   LD_PRELOAD=/x.so mnrun -- ...   LD_PRELOAD keeps /x.so and adds ours
#   mnrun -- sh -c 'exit 3'   exit status 3 comes back
#   arguments with spaces and empty arguments reach the program unchanged
#
# Exit: 0 pass, 1 fail.

fail=0
say() { printf '%s\n' "$*"; }
bad() { say "FAIL: $*"; fail=1; }

mnrun=${MN_BUILDDIR:-.}/scripts/mnrun
if [ ! -f "$mnrun" ] || [ ! -x "$mnrun" ]; then
	say "FAIL: no executable launcher at $mnrun"
	exit 1
fi

# The launcher preloads the installed library; point it at the one just
# built (MNRUN_LIB is the launcher's documented override).
if [ -n "$MN_LIB" ]; then
	MNRUN_LIB=$MN_LIB
	export MNRUN_LIB
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mnrunsh.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# run NAME ARGS...: run the launcher with a clean environment; stdout and
# stderr in $tmp/NAME.out and $tmp/NAME.err, status in $rc.
run() {
	name=$1
	shift
	env -u LD_PRELOAD -u MN_PROCS -u MN_DEBUG "$mnrun" "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
	rc=$?
}

# show NAME: the outputs of a run, for the log.
show() {
	say "--- stdout:"
	cat "$tmp/$1.out"
	say "--- stderr:"
	cat "$tmp/$1.err"
	say "---"
}

# --help
run help --help
if [ "$rc" -eq 0 ] && grep -qi usage "$tmp/help.out" "$tmp/help.err"; then
	say "mnrun --help: rc=0, usage ok"
else
	bad "mnrun --help: rc=$rc, expected 0 and a usage text"
	show help
fi

# --version
version=
if [ -r "${MN_BUILDDIR:-.}/config.h" ]; then
	version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' \
		"${MN_BUILDDIR:-.}/config.h")
fi
run version --version
if [ "$rc" -ne 0 ]; then
	bad "mnrun --version: rc=$rc, expected 0"
	show version
elif [ -n "$version" ]; then
	if grep -qF "$version" "$tmp/version.out"; then
		say "mnrun --version: rc=0, prints $version"
	else
		bad "mnrun --version does not print the package version $version"
		show version
	fi
elif grep -q '[0-9][0-9]*\.[0-9][0-9]*' "$tmp/version.out"; then
	say "mnrun --version: rc=0, prints a version"
else
	bad "mnrun --version prints no version number"
	show version
fi

# no arguments: a usage error
run noargs
if [ "$rc" -ne 0 ]; then
	say "mnrun (no arguments): rc=$rc (non-zero) ok"
else
	bad "mnrun with no arguments exits 0"
	show noargs
fi

# a program that does not exist
run nonexist -- /nonexistent/mnrun-test-prog
if [ "$rc" -eq 127 ] && [ -s "$tmp/nonexist.err" ]; then
	say "mnrun -- /nonexistent/...: rc=127 with a message ok"
else
	bad "mnrun -- /nonexistent/...: rc=$rc, expected 127 and a message on stderr"
	show nonexist
fi

# options become the environment
run env -p 3 -d schedtrace=0 -- sh -c 'echo "$MN_PROCS $MN_DEBUG"; echo "$LD_PRELOAD"'
line1=$(sed -n 1p "$tmp/env.out")
line2=$(sed -n 2p "$tmp/env.out")
if [ "$rc" -eq 0 ] && [ "$line1" = "3 schedtrace=0" ]; then
	say "mnrun -p 3 -d schedtrace=0: MN_PROCS/MN_DEBUG ok"
else
	bad "mnrun -p 3 -d schedtrace=0: rc=$rc, got \"$line1\", expected \"3 schedtrace=0\""
	show env
fi
run trace -d lockmain=1 --trace 250 --detail -- sh -c 'echo "$MN_DEBUG"'
if [ "$rc" -eq 0 ] && [ "$(cat "$tmp/trace.out")" = "lockmain=1,schedtrace=250,scheddetail=1" ]; then
	say "mnrun -d lockmain=1 --trace 250 --detail: MN_DEBUG ok"
else
	bad "mnrun --trace 250 --detail: rc=$rc, MN_DEBUG \"$(cat "$tmp/trace.out")\", expected \"lockmain=1,schedtrace=250,scheddetail=1\""
	show trace
fi
run badtrace --trace 1x -- true
if [ "$rc" -eq 2 ] && grep -q "trace" "$tmp/badtrace.err"; then
	say "mnrun --trace 1x: usage error ok"
else
	bad "mnrun --trace 1x: rc=$rc, expected 2 and a message"
	show badtrace
fi
case $line2 in
*libmnthread.so*) say "mnrun: LD_PRELOAD names libmnthread.so ok" ;;
*)
	bad "mnrun: LD_PRELOAD is \"$line2\", expected it to name libmnthread.so"
	show env
	;;
esac

# an LD_PRELOAD that is already set is kept
other=/nonexistent-mnrun-test-preload.so
LD_PRELOAD=$other "$mnrun" -- sh -c 'echo "$LD_PRELOAD"' \
	>"$tmp/keep.out" 2>"$tmp/keep.err" </dev/null
rc=$?
kept=$(sed -n 1p "$tmp/keep.out")
case $kept in
*"$other"*libmnthread.so* | *libmnthread.so*"$other"*)
	say "mnrun with LD_PRELOAD set: keeps it and adds libmnthread.so ok" ;;
*)
	bad "mnrun with LD_PRELOAD=$other: rc=$rc, LD_PRELOAD became \"$kept\""
	show keep
	;;
esac

# the program's exit status comes back
run status -- sh -c 'exit 3'
if [ "$rc" -eq 3 ]; then
	say "mnrun -- sh -c 'exit 3': rc=3 ok"
else
	bad "mnrun -- sh -c 'exit 3': rc=$rc, expected 3"
	show status
fi

# arguments reach the program unchanged
run args -- sh -c 'printf "[%s]" "$@"; echo' sh 'a b' '' 'c*' '$HOME'
got=$(sed -n 1p "$tmp/args.out")
if [ "$rc" -eq 0 ] && [ "$got" = '[a b][][c*][$HOME]' ]; then
	say "mnrun: arguments passed unchanged ok"
else
	bad "mnrun: rc=$rc, arguments arrived as $got, expected [a b][][c*][\$HOME]"
	show args
fi

if [ "$fail" -eq 0 ]; then
	say "PASS"
	exit 0
fi
say "FAIL"
exit 1
