#!/bin/bash
# blockreport.sh: MN_DEBUG=blockreport=MS names the code that holds an OS
# thread in the kernel without telling the runtime (issue 14's pinning
# report).  tests/compat/silent_block (its comment says what it does)
# blocks threads in fgets on a pipe, in a raw futex wait and in
# syscall(SYS_read); under mnthread at MN_PROCS=1 with blockreport=20 its
# stdout must equal native's, and stderr must have one report per call
# site, each naming the test's own function (block_fgets,
# block_raw_futex, block_syscall_read); without the key, no report.
#
# Exit: 0 pass, 1 fail, 77 skip (no MN_LIB).
prog=${MN_BUILDDIR:-.}/tests/compat/silent_block
[ -n "$MN_LIB" ] && [ -f "$MN_LIB" ] || { echo "blockreport.sh: no MN_LIB, skipped"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
head='has held its OS thread in the kernel'
timeout -s KILL 120 "$prog" >"$tmp/native" 2>/dev/null || { echo "FAIL: the native run failed"; exit 1; }
fail=0
timeout -s KILL 120 env LD_PRELOAD="$MN_LIB" MN_PROCS=1 MN_DEBUG=blockreport=20 "$prog" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 0 ] || ! cmp -s "$tmp/native" "$tmp/out"; then
	echo "FAIL: blockreport=20: exit $rc, stdout as native: $(cmp -s "$tmp/native" "$tmp/out" && echo yes || echo no)"
	fail=1
fi
for fn in block_fgets block_raw_futex block_syscall_read; do
	# the report whose frames name fn
	n=$(awk -v h="$head" -v fn=" $fn+0x" 'index($0, h) { if (seen) c++; seen = 0; next }
		index($0, fn) { seen = 1 } END { if (seen) c++; print c + 0 }' "$tmp/err")
	if [ "$n" -ne 1 ]; then
		echo "FAIL: reports naming $fn: $n (want 1)"
		fail=1
	else
		echo "ok: one report names $fn"
	fi
done
timeout -s KILL 120 env LD_PRELOAD="$MN_LIB" MN_PROCS=1 "$prog" >/dev/null 2>"$tmp/err0"
if grep -q -F "$head" "$tmp/err0"; then
	echo "FAIL: a report without MN_DEBUG=blockreport"
	fail=1
fi
[ $fail -ne 0 ] && sed 's/^/  stderr: /' "$tmp/err" | head -60
exit $fail
