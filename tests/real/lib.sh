# tests/real/lib.sh: what the real-program tests share (sourced, not run).
#
# Each test in tests/real/ runs an unmodified program from a Debian package
# natively and under mnthread (LD_PRELOAD=$MN_LIB, MN_PROCS as in the
# environment, else 2) and says what counts as passing next to its checks.
# automake runs them from the build directory with MN_LIB, MN_BUILDDIR and
# MN_SRCDIR set.  Exit status: 0 pass, 1 fail, 77 skip (with the reason).
#
# Environment: REAL_TIMEOUT, seconds allowed to each run (default 120).

set -u

real_name=${0##*/}
real_name=${real_name%.sh}
real_timeout=${REAL_TIMEOUT:-120}
real_procs=${MN_PROCS:-2}
real_fail=0

say() { printf '%s: %s\n' "$real_name" "$*"; }
bad() {
	say "FAIL: $*"
	real_fail=1
}
skip() {
	say "SKIP: $*"
	exit 77
}
# finish: the verdict and the exit status.
finish() {
	if [ "$real_fail" -eq 0 ]; then
		say PASS
		exit 0
	fi
	say FAIL
	exit 1
}

if [ -z "${MN_LIB:-}" ] || [ ! -e "$MN_LIB" ]; then
	skip "MN_LIB (${MN_LIB:-unset}) does not exist"
fi

real_tmp=$(mktemp -d "${TMPDIR:-/tmp}/mnreal.XXXXXX") || exit 99
trap 'rm -rf "$real_tmp"' EXIT

# need CMD PACKAGE: skip unless CMD is installed (scripts/deps installs it).
need() {
	command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (Debian package $2; scripts/deps installs it)"
}

# describe RC: an exit status in words.
describe() {
	local rc=$1 sig
	case $rc in
	124 | 137) echo "rc=$rc (timed out after ${real_timeout}s)" ;;
	*)
		if [ "$rc" -gt 128 ]; then
			sig=$(kill -l $((rc - 128)) 2>/dev/null)
			echo "rc=$rc (killed by SIG${sig:-?})"
		else
			echo "rc=$rc"
		fi
		;;
	esac
}

# run LABEL CMD...: run CMD natively (LABEL "native") or under mnthread (any
# other label) within the time limit; stdout to $real_tmp/LABEL.out, stderr
# to $real_tmp/LABEL.err.  Sets run_rc and run_secs; prints one line.
run() {
	local label=$1 t0 t1
	shift
	local -a envs=(env -u LD_PRELOAD)
	[ "$label" = native ] || envs=(env LD_PRELOAD="$MN_LIB" MN_PROCS="$real_procs")
	t0=$(date +%s.%N)
	timeout -k 10 "$real_timeout" "${envs[@]}" "$@" >"$real_tmp/$label.out" 2>"$real_tmp/$label.err"
	run_rc=$?
	t1=$(date +%s.%N)
	run_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	say "$label: $(describe "$run_rc"), ${run_secs}s: $*"
}

# show LABEL: the last lines of a run's output, for a failure.
show() {
	say "--- $1 stdout (last 15 lines):"
	tail -n 15 "$real_tmp/$1.out"
	say "--- $1 stderr (last 15 lines):"
	tail -n 15 "$real_tmp/$1.err"
}

# both CMD...: run CMD natively, then under mnthread; the native run must
# exit 0 (else the machine, not mnthread, is wrong: FAIL), and the mnthread
# run must exit 0 too.  Sets native_secs and mn_secs.
both() {
	run native "$@"
	native_rc=$run_rc native_secs=$run_secs
	if [ "$native_rc" -ne 0 ]; then
		bad "the native run itself failed"
		show native
	fi
	run mnthread "$@"
	mn_rc=$run_rc mn_secs=$run_secs
	if [ "$mn_rc" -ne 0 ]; then
		bad "under mnthread: $(describe "$mn_rc")"
		show mnthread
	fi
}
