#!/bin/bash
# python_threading.sh: CPython's own threading tests pass under mnthread
# wherever they pass natively.
#
# Run by automake as `bash tests/real/python_threading.sh` from the build
# directory, with MN_LIB (absolute path of libmnthread.so), MN_BUILDDIR,
# MN_SRCDIR.
#
# Runs the regression-test modules test_threading, test_thread, test_queue
# and test_threading_local of Debian's Python 3.11 test suite (package
# libpython3.11-testsuite) with
#     /usr/bin/python3.11 -m test -v --timeout T --junit-xml FILE MODULE
# once natively and once under mnrun (the build's scripts/mnrun with
# MNRUN_LIB=$MN_LIB; MN_PROCS as in the environment), serially.  T is PYTEST_TIMEOUT (default 120 s; natively the
# slowest module, test_threading, takes about 15 s on 2 cores); regrtest
# ends the whole module's run when it passes, and an outer timeout backs it
# up.  Subprocesses the tests start inherit LD_PRELOAD, so they run under
# mnthread too.
#
# Per-test outcomes (ok, skipped, failure, error) come from the JUnit XML
# file; if a run left none (it hung or crashed), from the -v log lines
# "test_x (test.module.Class.test_x) ... ok".  A test that hangs or crashes
# under mnthread is recorded as "hung"/"crashed", its log tail printed,
# and the module run again with --ignore for it (at most PYTEST_RERUNS
# more runs, default 2), so one hang does not hide the other results.
# Every test that is ok natively must be ok under mnthread; the
# differences are listed, with the traceback regrtest printed for each
# regression.  Tests that fail or are skipped natively are not held
# against mnthread (one that fails natively but passes under mnthread is
# only noted).
#
# PYTEST_MODULES overrides the module list (for a quicker subset); module
# names given as arguments override both.
# Prints how long the native and mnthread runs took.
#
# A test that crashes or hangs under mnthread is run once more alone; if
# it then passes it is reported as FLAKY and does not fail the suite.
#
# Exit: 0 pass, 1 fail, 77 skip (no MN_LIB, no /usr/bin/python3.11, or no
# test package).

py=/usr/bin/python3.11
# Modules: the arguments (python_futures.sh passes its own), else
# PYTEST_MODULES, else the threading modules.
if [ $# -gt 0 ]; then
	modules=$*
else
	modules=${PYTEST_MODULES:-"test_threading test_thread test_queue test_threading_local"}
fi
limit=${PYTEST_TIMEOUT:-120}
reruns=${PYTEST_RERUNS:-2}
# PYTEST_IGNORE: a regrtest --ignore pattern left out of both runs
# (default: none; "*fork*" leaves out the tests that fork).
skip_pattern=${PYTEST_IGNORE-}
common=()
[ -n "$skip_pattern" ] && common=(--ignore "$skip_pattern")

say() { printf '%s\n' "$*"; }
fail=0
bad() {
	say "FAIL: $*"
	fail=1
}

if [ -z "$MN_LIB" ] || [ ! -e "$MN_LIB" ]; then
	say "SKIP: MN_LIB (${MN_LIB:-unset}) does not exist"
	exit 77
fi
if [ ! -x "$py" ]; then
	say "SKIP: $py is not installed"
	exit 77
fi
for m in $modules; do
	if ! env -u LD_PRELOAD "$py" -c "import test.libregrtest, test.$m" >/dev/null 2>&1; then
		say "SKIP: $py cannot import test.$m (install libpython3.11-testsuite)"
		exit 77
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mnpytest.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# outcomes XML LOG: "test-id outcome" lines, sorted.
outcomes() {
	env -u LD_PRELOAD "$py" - "$1" "$2" <<'EOF'
import re, sys
import xml.etree.ElementTree as ET

xml_path, log_path = sys.argv[1], sys.argv[2]
res = {}
try:
    for tc in ET.parse(xml_path).getroot().iter('testcase'):
        tags = [k.tag for k in tc]
        if 'error' in tags:
            out = 'error'
        elif 'failure' in tags:
            out = 'failure'
        elif 'skipped' in tags:
            out = 'skipped'
        elif tc.get('status') == 'run':
            out = 'ok'
        else:
            out = 'not-run'
        res[tc.get('name')] = out
except Exception:
    # No XML: read the -v log.  "test_x (test.mod.Class.test_x)" starts a
    # test; its outcome follows on the same line after " ... " or later,
    # possibly alone on a line after the test's own output.
    start = re.compile(r'^(test\w*) \((test\.[\w.]+)\)')
    verdict = re.compile(r'(?:^| \.\.\. )(ok|FAIL|ERROR|skipped\b.*|expected failure|unexpected success)$')
    current = None
    with open(log_path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            m = start.match(line)
            if m:
                current = m.group(2)
                res.setdefault(current, 'not-finished')
            if current is None:
                continue
            v = verdict.search(line)
            if v:
                word = v.group(1)
                res[current] = {'ok': 'ok', 'FAIL': 'failure', 'ERROR': 'error',
                                'expected failure': 'ok',
                                'unexpected success': 'failure'}.get(
                                    word, 'skipped' if word.startswith('skipped') else word)
                current = None
for name in sorted(res):
    print(name, res[name])
EOF
}

# traceback LOG TEST-ID: regrtest's report for one failed test, from its
# "FAIL: name (id)" or "ERROR: name (id)" header to the next "=====" line
# or the "Ran N tests" summary.
traceback() {
	awk -v id="($2)" '
		/^(FAIL|ERROR): / { on = (index($0, id) > 0) }
		on && (/^=+$/ || /^Ran [0-9]+ test/) { on = 0 }
		on { print }
	' "$1" | head -60
}

# run MODE MODULE TAG [regrtest options...]: one regrtest run; sets rc and
# secs_run; leaves $tmp/TAG.log, $tmp/TAG.xml and $tmp/TAG.res.
run() {
	local mode=$1 m=$2 tag=$3
	shift 3
	local start end pre
	mkdir -p "$tmp/$tag.d"
	if [ "$mode" = native ]; then
		pre=(env -u LD_PRELOAD)
	else
		pre=(env -u LD_PRELOAD MNRUN_LIB="$MN_LIB" "$MN_BUILDDIR/scripts/mnrun" --)
	fi
	start=$(date +%s.%N)
	# timeout makes itself a process group leader: once the run is over,
	# whatever it left behind (a hung grandchild) is killed with the group.
	(cd "$tmp/$tag.d" && exec timeout -k 10 $((limit + 30)) "${pre[@]}" \
		"$py" -m test -v --timeout "$limit" --junit-xml "$tmp/$tag.xml" "$@" "$m" \
		>"$tmp/$tag.log" 2>&1 </dev/null) &
	local pid=$!
	wait "$pid"
	rc=$?
	kill -KILL -- "-$pid" 2>/dev/null
	end=$(date +%s.%N)
	secs_run=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	outcomes "$tmp/$tag.xml" "$tmp/$tag.log" >"$tmp/$tag.res"
}

total_native=0
total_mn=0
for m in $modules; do
	run native "$m" "native.$m" "${common[@]}"
	say "$m native: rc=$rc, ${secs_run}s"
	total_native=$(awk -v a="$total_native" -v b="$secs_run" 'BEGIN { print a + b }')
	if [ "$rc" -ge 124 ] || grep -q 'Timeout ([0-9:]*)!' "$tmp/native.$m.log"; then
		bad "$m: the native run was killed or timed out (rc=$rc)"
		tail -20 "$tmp/native.$m.log"
	fi

	# Under mnthread: a test that hangs (regrtest's --timeout ends the
	# whole run) or crashes the interpreter is recorded as such, and the
	# module is run again without it, at most $reruns more times.
	: >"$tmp/mnthread.$m.res"
	ignore=()
	for attempt in $(seq 0 "$reruns"); do
		tag=mnthread.$m.$attempt
		run mnthread "$m" "$tag" "${common[@]}" "${ignore[@]}"
		say "$m mnthread (run $((attempt + 1))): rc=$rc, ${secs_run}s"
		total_mn=$(awk -v a="$total_mn" -v b="$secs_run" 'BEGIN { print a + b }')
		how=crashed
		if grep -q 'Timeout ([0-9:]*)!' "$tmp/$tag.log" || [ "$rc" -eq 124 ] ||
			[ "$rc" -eq 137 ]; then
			how=hung
		fi
		# merge: this run's outcomes win; its unfinished test is $how
		awk -v how="$how" -v new="$tmp/$tag.res" '
			FILENAME != new { o[$1] = $2; next }
			{ o[$1] = ($2 == "not-finished") ? how : $2 }
			END { for (k in o) print k, o[k] }' \
			"$tmp/mnthread.$m.res" "$tmp/$tag.res" | LC_ALL=C sort >"$tmp/merged"
		mv "$tmp/merged" "$tmp/mnthread.$m.res"
		unfinished=$(awk '$2 == "not-finished" { print $1 }' "$tmp/$tag.res")
		if [ "$rc" -eq 0 ] || [ -z "$unfinished" ]; then
			if [ "$rc" -ge 124 ]; then
				bad "$m: the mnthread run was killed (rc=$rc) outside any test"
				tail -30 "$tmp/$tag.log"
			fi
			break
		fi
		for id in $unfinished; do
			if [ "$how" = hung ]; then
				say "  $id hung under mnthread; where regrtest's timeout found it:"
				sed -n '/Timeout ([0-9:]*)!/,$p' "$tmp/$tag.log" | head -14 | sed 's/^/    /'
			else
				say "  $id crashed under mnthread; the last lines of its log:"
				tail -25 "$tmp/$tag.log" | sed 's/^/    /'
			fi
			ignore+=(--ignore "$id")
		done
		if [ "$attempt" -eq "$reruns" ]; then
			say "  (no more reruns: tests after it in $m are not run)"
		fi
	done

	# Compare the outcomes.
	n_ok=$(awk '$2 == "ok"' "$tmp/native.$m.res" | wc -l)
	n_all=$(wc -l <"$tmp/native.$m.res")
	mn_ok=$(awk '$2 == "ok"' "$tmp/mnthread.$m.res" | wc -l)
	say "$m: native $n_ok ok of $n_all; mnthread $mn_ok ok"
	if [ "$n_all" -eq 0 ]; then
		bad "$m: no test outcomes found in the native run"
		tail -20 "$tmp/native.$m.log"
		continue
	fi
	LC_ALL=C join -a 1 -e missing -o 0,1.2,2.2 "$tmp/native.$m.res" "$tmp/mnthread.$m.res" >"$tmp/$m.joined"
	regressions=0
	while read -r id nat mn; do
		[ "$nat" = "$mn" ] && continue
		if [ "$nat" = ok ] && { [ "$mn" = crashed ] || [ "$mn" = hung ]; }; then
			# One more try of that test alone: a crash that does not come
			# back is reported as FLAKY (loudly, with its traceback) but
			# does not fail the suite; a second crash does.
			name=${id##*.}
			run mnthread "$m" "retry.$name" "${common[@]}" --match "$name"
			if [ "$rc" -eq 0 ] && grep -q "^$id ok\$" "$tmp/retry.$name.res"; then
				say "  FLAKY $id: $mn once under mnthread, ok when run again"
				continue
			fi
		fi
		if [ "$nat" = ok ]; then
			say "  REGRESSION $id: native=ok mnthread=$mn"
			regressions=$((regressions + 1))
			for log in "$tmp"/mnthread."$m".*.log; do
				traceback "$log" "$id"
			done | head -25 | sed 's/^/    /'
		else
			say "  note $id: native=$nat mnthread=$mn"
		fi
	done <"$tmp/$m.joined"
	if [ "$regressions" -gt 0 ]; then
		bad "$m: $regressions test(s) pass natively but not under mnthread"
	fi
done
say "time: native ${total_native}s, mnthread ${total_mn}s"

if [ "$fail" -eq 0 ]; then
	say "PASS"
	exit 0
fi
say "FAIL"
exit 1
