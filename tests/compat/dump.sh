#!/bin/sh
# dump.sh: seeing inside (issue 14), under mnthread only (there is no
# native counterpart to compare with).  With tests/compat/dump_threads:
#   park, MN_PROCS=2, MN_DEBUG=schedtrace=200,scheddetail=1,dumpsig=QUIT:
#     - mnrun --dump PID: every thread listed with its wait (mutex, cond,
#       sleep, join, netpoll fd N with the pipe's descriptor, running for
#       the spinner) and a backtrace naming the program's function it
#       waits in (wait_in_mutex, ..., spin_forever, main);
#     - mnrun --dump PID --json, parsed with python3: the same, and each
#       thread's tid is what gettid said in it (main's: the pid);
#     - kill -QUIT: the dump on stderr, and the process lives on;
#     - the schedtrace blocks: one P line per P, the G lines (per status)
#       add up to gs=, and each running G's M line names that G;
#   count 25, MN_DEBUG=summary=1: the exit line says threads_created=26;
#   overflow: the stack overflow line, then a backtrace naming recurse;
#   mnrun --dump's usage errors (2) and a pid that is no process (1);
#   bad values of the new MN_DEBUG keys: one line each, the rest applies.
# Run by automake with MN_LIB, MN_BUILDDIR and MN_SRCDIR set.
# Exit: 0 pass, 1 fail, 77 skip (no MN_LIB or no python3).

say() { printf '%s\n' "$*"; }
if [ -z "$MN_LIB" ] || [ ! -e "$MN_LIB" ]; then
	say "SKIP: MN_LIB (${MN_LIB:-unset}) does not exist"
	exit 77
fi
command -v python3 >/dev/null 2>&1 || {
	say "SKIP: no python3"
	exit 77
}
b=${MN_BUILDDIR:-.}
prog=$b/tests/compat/dump_threads
mnrun=$b/scripts/mnrun
MNRUN_LIB=$MN_LIB
MNRUN_DUMP=$b/scripts/mndump
export MNRUN_LIB MNRUN_DUMP
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mndump.XXXXXX") || exit 99
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() {
	say "FAIL: $*"
	fail=1
}

# ---------------------------------------------------------------- park
MN_PROCS=2 MN_DEBUG=schedtrace=200,scheddetail=1,dumpsig=QUIT LD_PRELOAD=$MN_LIB \
	"$prog" park >"$tmp/out" 2>"$tmp/err" &
pid=$!
i=0
while ! grep -q '^ready' "$tmp/out" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
		say "FAIL: dump_threads park did not get ready"
		cat "$tmp/err"
		exit 1
	fi
	sleep 0.1
done
sleep 0.3 # main into its join (it says ready just before)

timeout 60 sh "$mnrun" --dump "$pid" >"$tmp/text" 2>"$tmp/text.err" || bad "mnrun --dump: exit $? ($(cat "$tmp/text.err"))"
timeout 60 sh "$mnrun" --dump "$pid" --json >"$tmp/json" 2>"$tmp/json.err" ||
	bad "mnrun --dump --json: exit $? ($(cat "$tmp/json.err"))"
kill -QUIT "$pid"
sleep 1
kill -0 "$pid" 2>/dev/null || bad "SIGQUIT with dumpsig=QUIT ended the process"
sleep 0.5
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=

python3 - "$tmp" <<'EOF' || fail=1
import json, re, sys
tmp = sys.argv[1]
out = open(tmp + "/out").read()
err = open(tmp + "/err").read()
text = open(tmp + "/text").read()
bad = []
tids = dict(re.findall(r"^tid (\S+) (\d+)$", out, re.M))
fd = re.search(r"^fd (\d+)$", out, re.M).group(1)
pid = tids["main"]
want = {
    "w_mutex": ("mutex", "wait_in_mutex"), "w_cond": ("cond", "wait_in_cond"),
    "w_sleep": ("sleep", "wait_in_sleep"), "w_join": ("join", "wait_in_join"),
    "w_pipe": ("netpoll fd " + fd, "wait_in_pipe_read"), "w_spin": ("running", "spin_forever"),
    "main": ("join", "main"),
}

# The text dump: a header line per thread, then its frames.
blocks = re.split(r"\n(?=thread \d+ )", text)
seen = {}
for blk in blocks[1:]:
    head = blk.split("\n", 1)[0]
    m = re.match(r'thread (\d+) \(tid (\d+), "([^"]*)"\)( main)?: ([^,]+)', head)
    if not m:
        bad.append("text: unparsed header: " + head)
        continue
    name = "main" if m.group(4) else m.group(3)
    seen[name] = (m.group(2), m.group(5), blk)
for name, (reason, fn) in want.items():
    if name not in seen:
        bad.append("text: no thread " + name)
        continue
    tid, r, blk = seen[name]
    if r != reason:
        bad.append("text: %s waits for %r, expected %r" % (name, r, reason))
    if not re.search(r"^  #\d+ 0x[0-9a-f]+ %s\+0x" % re.escape(fn), blk, re.M):
        bad.append("text: %s's backtrace does not name %s:\n%s" % (name, fn, blk))
    if tid != tids[name]:
        bad.append("text: %s tid %s, gettid said %s" % (name, tid, tids[name]))
if "end of thread dump" not in text:
    bad.append("text: no end line")

# The JSON dump.
d = json.load(open(tmp + "/json"))
if str(d["pid"]) != pid:
    bad.append("json: pid %s, expected %s" % (d["pid"], pid))
th = d["threads"]
if len(th) != len(want):
    bad.append("json: %d threads, expected %d" % (len(th), len(want)))
for t in th:
    name = "main" if t["main"] else t["name"]
    if name not in want:
        bad.append("json: unexpected thread %r" % t)
        continue
    reason, fn = want[name]
    if t["wait"] != reason:
        bad.append("json: %s waits for %r, expected %r" % (name, t["wait"], reason))
    if str(t["tid"]) != tids[name]:
        bad.append("json: %s tid %s, gettid said %s" % (name, t["tid"], tids[name]))
    funcs = [f["func"] for f in t["backtrace"]]
    if fn not in funcs:
        bad.append("json: %s's backtrace %r does not name %s" % (name, funcs, fn))
    if name == "w_spin":
        if t["status"] != "running" or t["m"] is None:
            bad.append("json: the spinner is %s on M %r" % (t["status"], t["m"]))
    elif t["status"] != "waiting" or not isinstance(t["wait_ms"], int) or \
            t["wait_ms"] < (0 if name == "main" else 100):
        bad.append("json: %s: status %s, waited %r ms" % (name, t["status"], t["wait_ms"]))

# dumpsig=QUIT: the dump on stderr.
if not re.search(r"^mnthread: thread dump of process %s " % pid, err, re.M) or \
        "mnthread: end of thread dump" not in err:
    bad.append("dumpsig=QUIT: no dump on stderr")

# schedtrace + scheddetail blocks.
nblocks = 0
for blk in re.split(r"^(?=SCHED )", err, flags=re.M):
    if not blk.startswith("SCHED "):
        continue
    lines = blk.split("\n")
    m = re.search(r"procs=(\d+) .* gs=(\d+)", lines[0])
    if not m:
        bad.append("schedtrace: unparsed " + lines[0])
        continue
    procs, gs = int(m.group(1)), int(m.group(2))
    ps = [l for l in lines if re.match(r"  P\d+: status=\w+ schedtick=\d+ syscalltick=\d+ m=-?\d+ runqsize=\d+$", l)]
    ms = {}
    for l in lines:
        mm = re.match(r"  M(\d+): tid=\d+ p=-?\d+ curg=(-?\d+) spinning=[01] inkernel=[01] lockedg=-?\d+$", l)
        if mm:
            ms[mm.group(1)] = mm.group(2)
    gl = [re.match(r'  G(\d+): status=(\w+) wait="[^"]*" ms=\d+ m=(-?\d+) name="[^"]*"( main)?$', l)
          for l in lines if l.startswith("  G")]
    if None in gl:
        bad.append("scheddetail: unparsed G line in\n" + blk)
        continue
    nblocks += 1
    if len(ps) != procs:
        bad.append("scheddetail: %d P lines for procs=%d" % (len(ps), procs))
    if not ms:
        bad.append("scheddetail: no M lines")
    bystatus = {}
    for g in gl:
        bystatus[g.group(2)] = bystatus.get(g.group(2), 0) + 1
        if g.group(2) == "running" and ms.get(g.group(3)) != g.group(1):
            bad.append("scheddetail: G%s runs on M%s, whose curg is %s" % (g.group(1), g.group(3), ms.get(g.group(3))))
    if sum(bystatus.values()) != gs:
        bad.append("scheddetail: Gs per status %r add up to %d, gs=%d" % (bystatus, sum(bystatus.values()), gs))
if nblocks < 2:
    bad.append("schedtrace: %d blocks with detail" % nblocks)
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
EOF

# ---------------------------------------------------------------- summary
MN_DEBUG=summary=1 LD_PRELOAD=$MN_LIB timeout 60 "$prog" count 25 >"$tmp/cout" 2>"$tmp/cerr" ||
	bad "count 25: exit $?"
line=$(grep '^mnthread: summary: ' "$tmp/cerr")
case $line in
*" threads_created=26 "*) ;;
*) bad "summary: expected threads_created=26 in '$line'" ;;
esac
for k in peak_threads peak_os_threads context_switches; do
	v=$(printf '%s\n' "$line" | sed -n "s/.* $k=\([0-9]*\).*/\1/p")
	[ -n "$v" ] && [ "$v" -ge 1 ] || bad "summary: $k='$v' in '$line'"
done
v=$(printf '%s\n' "$line" | sed -n 's/.* context_switches=\([0-9]*\).*/\1/p')
[ -n "$v" ] && [ "$v" -ge 25 ] || bad "summary: context_switches=$v for 25 threads"
LD_PRELOAD=$MN_LIB "$prog" count 3 >/dev/null 2>"$tmp/cerr2"
grep -q 'summary' "$tmp/cerr2" && bad "summary printed without MN_DEBUG=summary=1"

# ---------------------------------------------------------------- overflow
LD_PRELOAD=$MN_LIB timeout 60 "$prog" overflow >/dev/null 2>"$tmp/oerr"
grep -q '^mnthread: stack overflow in thread ' "$tmp/oerr" || bad "overflow: no report: $(head -3 "$tmp/oerr")"
grep -q '^  #[0-9]* 0x[0-9a-f]* recurse+0x' "$tmp/oerr" || bad "overflow: no backtrace naming recurse: $(head -5 "$tmp/oerr")"

# ---------------------------------------------------------------- mnrun usage
sh "$mnrun" --dump abc >/dev/null 2>&1
[ $? = 2 ] || bad "mnrun --dump abc: expected exit 2"
sh "$mnrun" --json -- true >/dev/null 2>&1
[ $? = 2 ] || bad "mnrun --json without --dump: expected exit 2"
sh "$mnrun" --help | grep -q -- '--dump PID' || bad "mnrun --help does not tell of --dump"
sh "$mnrun" --dump 999999999 >/dev/null 2>&1
[ $? = 1 ] || bad "mnrun --dump of no process: expected exit 1"

# ---------------------------------------------------------------- bad values
MN_DEBUG=scheddetail=2,summary=x,dumpsig=KILL,summary=1 LD_PRELOAD=$MN_LIB "$prog" count 1 >/dev/null 2>"$tmp/verr"
for k in scheddetail summary dumpsig; do
	n=$(grep -c "^mnthread: ignoring MN_DEBUG $k=" "$tmp/verr")
	[ "$n" = 1 ] || bad "MN_DEBUG $k bad value: $n lines"
done
grep -q '^mnthread: summary: ' "$tmp/verr" || bad "summary=1 after bad items not applied"

[ $fail = 0 ] && say "PASS: dump.sh"
exit $fail
