#!/bin/sh
# layering.sh: calls go down only.  sched/ and shims/ (libmnsched.la) must
# not call a name that libmnthread.so exports: such a call binds to our own
# interposer in preload/, an upward call (it recurses, or runs the runtime
# where the runtime is not ready).  The next definition of a libc name
# reaches the lower layers only as a hook filled by preload/ (sched/hooks.h,
# shims/hooks.h), or as a raw system call (sched/sys.h).
#
# Lists the undefined symbols of every object in the convenience library
# and fails, naming object and symbol, for each one that libmnthread.so
# exports.  Likewise sched/ must not call shims/: an object built from
# sched/ must not reference a symbol that an object built from shims/
# defines (objects are told apart by their source names, listed from
# MN_SRCDIR/shims).  Run by automake with MN_LIB, MN_BUILDDIR and
# MN_SRCDIR (see symver.sh).
#
# Exit: 0 pass, 1 fail, 77 skip (no build or no nm).

say() { printf '%s\n' "$*"; }

if [ -z "$MN_LIB" ] || [ ! -e "$MN_LIB" ]; then
	say "SKIP: MN_LIB (${MN_LIB:-unset}) does not exist"
	exit 77
fi
lib=${MN_BUILDDIR:-.}/.libs/libmnsched.a
if [ ! -e "$lib" ]; then
	say "SKIP: $lib does not exist"
	exit 77
fi
command -v nm >/dev/null 2>&1 || {
	say "SKIP: no nm"
	exit 77
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mnlayer.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

nm -D --defined-only "$MN_LIB" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
	sort -u >"$tmp/exports"
if [ ! -s "$tmp/exports" ]; then
	say "FAIL: cannot list the exports of $MN_LIB"
	exit 1
fi
# "archive:member: U name" for each undefined symbol of each member.
nm -A -u "$lib" | awk '{ sub(/@.*/, "", $NF); n = split($1, p, ":"); print p[n - 1], $NF }' |
	sort -u >"$tmp/undef"
nm -A --defined-only "$lib" | awk '$(NF - 1) ~ /^[A-Z]$/ { n = split($1, p, ":"); print p[n - 1], $NF }' |
	sort -u >"$tmp/defs"
if [ ! -s "$tmp/undef" ]; then
	say "FAIL: nm lists no undefined symbols in $lib"
	exit 1
fi

fail=0
while read -r obj sym; do
	if grep -qx "$sym" "$tmp/exports"; then
		say "FAIL: $obj calls $sym, an interposer exported by ${MN_LIB##*/} (an upward call)"
		fail=1
	fi
done <"$tmp/undef"

# sched/ -> shims/.  libtool names an object libmnsched_la-<source>.o.
srcdir=${MN_SRCDIR:-$(dirname "$0")/../..}
if [ -d "$srcdir/shims" ]; then
	for c in "$srcdir"/shims/*.c; do
		b=${c##*/}
		echo "libmnsched_la-${b%.c}.o"
	done >"$tmp/shim_objs"
	if awk '{ print $1 }' "$tmp/undef" "$tmp/defs" | grep -q "^lt[0-9]*-"; then
		say "FAIL: libtool renamed an object (two sources share a name): cannot tell sched/ from shims/"
		fail=1
	fi
	awk 'NR == FNR { shim[$1] = 1; next } ($1 in shim) { print $2 }' "$tmp/shim_objs" "$tmp/defs" |
		sort -u >"$tmp/shim_defs"
	awk 'NR == FNR { shim[$1] = 1; next } !($1 in shim) { print }' "$tmp/shim_objs" "$tmp/undef" >"$tmp/sched_undef"
	while read -r obj sym; do
		if grep -qx "$sym" "$tmp/shim_defs"; then
			say "FAIL: $obj (sched/) calls $sym, defined in shims/ (an upward call)"
			fail=1
		fi
	done <"$tmp/sched_undef"
else
	say "note: no $srcdir/shims: sched/ -> shims/ not checked"
fi

say "$(wc -l <"$tmp/exports") exported names, $(wc -l <"$tmp/undef") undefined references checked"
if [ "$fail" -eq 0 ]; then
	say "PASS"
	exit 0
fi
say "FAIL"
exit 1
