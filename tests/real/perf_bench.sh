#!/bin/bash
# perf_bench.sh: `perf bench sched pipe -T` (two threads passing a token
# through pipes) and `perf bench sched messaging -t -g 5` (groups of
# threads messaging through sockets) run to the end under mnthread with
# their usual report (usecs/op; Total time).  Skipped, with perf's reason,
# when perf cannot run here.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need perf linux-perf
if ! perf bench sched pipe -T -l 10 >"$real_tmp/probe" 2>&1; then
	skip "perf bench cannot run here: $(tail -n 1 "$real_tmp/probe")"
fi
both perf bench sched pipe -T -l 20000
grep -q "usecs/op" "$real_tmp/mnthread.out" || [ "$mn_rc" -ne 0 ] || bad "pipe: no usecs/op in the report"
say "pipe: native $(awk '/usecs\/op/ { print $1 }' "$real_tmp/native.out") us/op, mnthread $(awk '/usecs\/op/ { print $1 }' "$real_tmp/mnthread.out") us/op"
both perf bench sched messaging -t -g 5 -l 50
grep -q "Total time" "$real_tmp/mnthread.out" || [ "$mn_rc" -ne 0 ] || bad "messaging: no total time in the report"
say "messaging: native $(awk '/Total time/ { print $3 }' "$real_tmp/native.out") s, mnthread $(awk '/Total time/ { print $3 }' "$real_tmp/mnthread.out") s"
finish
