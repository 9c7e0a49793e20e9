#!/bin/sh
# symver.sh: versioned references bind to mnthread's unversioned definitions,
# and libmnthread.so exports nothing but interposed libc names.
#
# Run by automake as `sh tests/compat/symver.sh` from the build directory,
# with MN_LIB (absolute path of libmnthread.so), MN_BUILDDIR, MN_SRCDIR.
#
# 1. Compiles a small PIE program that takes the addresses of
#    pthread_create and pthread_join (references versioned GLIBC_2.34, as
#    any program linked against glibc >= 2.34 has), of their GLIBC_2.2.5
#    versions (as programs linked before 2.34 have, made here with .symver),
#    and of both versions of pthread_cond_wait/pthread_cond_signal
#    (GLIBC_2.2.5 and GLIBC_2.3.2), also through dlsym(RTLD_DEFAULT), and
#    prints the object each resolves to (dladdr).
# 2. Checks with readelf (or objdump) that the references are versioned.
# 3. Natively every address is in libc; under LD_PRELOAD=$MN_LIB every name
#    that libmnthread.so exports must resolve into libmnthread.so (a
#    versioned reference bound to our unversioned definition), names it
#    does not export must stay in libc, and pthread_create and pthread_join
#    must be exported.  The program also creates and joins threads through
#    both versions of pthread_create.
# 4. Every symbol libmnthread.so defines in its dynamic symbol table is a
#    name that libc (or ld.so) defines too: no mn_*, real_*, _Unwind_* or
#    other internal names leak.  Names listed in MN_PUBLIC_API below (the
#    library's deliberate public interface, if any) are exempt.
#
# Exit: 0 pass, 1 fail, 77 skip (no MN_LIB, or no C compiler).

MN_PUBLIC_API=""

fail=0
say() { printf '%s\n' "$*"; }
bad() { say "FAIL: $*"; fail=1; }

if [ -z "$MN_LIB" ] || [ ! -e "$MN_LIB" ]; then
	say "SKIP: MN_LIB (${MN_LIB:-unset}) does not exist"
	exit 77
fi
cc=${CC:-cc}
set -- $cc
if ! command -v "$1" >/dev/null 2>&1; then
	say "SKIP: no C compiler ($cc)"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mnsymver.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/prog.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>

/* References to the old versions, as in binaries linked before 2.34. */
extern int old_create(pthread_t *, const pthread_attr_t *,
		      void *(*)(void *), void *);
extern int old_join(pthread_t, void **);
extern int cond_wait_225(pthread_cond_t *, pthread_mutex_t *);
extern int cond_signal_225(pthread_cond_t *);
extern int cond_wait_232(pthread_cond_t *, pthread_mutex_t *);
extern int cond_signal_232(pthread_cond_t *);
__asm__(".symver old_create, pthread_create@GLIBC_2.2.5");
__asm__(".symver old_join, pthread_join@GLIBC_2.2.5");
__asm__(".symver cond_wait_225, pthread_cond_wait@GLIBC_2.2.5");
__asm__(".symver cond_signal_225, pthread_cond_signal@GLIBC_2.2.5");
__asm__(".symver cond_wait_232, pthread_cond_wait@GLIBC_2.3.2");
__asm__(".symver cond_signal_232, pthread_cond_signal@GLIBC_2.3.2");

static void show(const char *label, void *addr)
{
	Dl_info info;
	if (addr == NULL || dladdr(addr, &info) == 0 || info.dli_fname == NULL)
		printf("%s ?\n", label);
	else
		printf("%s %s\n", label, info.dli_fname);
}

static void *fn(void *arg) { return arg; }

int main(void)
{
	/* volatile: keep the compiler from folding the addresses away */
	void *volatile p;

	p = (void *)&pthread_create;   show("pthread_create@GLIBC_2.34 direct", p);
	p = (void *)&pthread_join;     show("pthread_join@GLIBC_2.34 direct", p);
	p = (void *)&old_create;       show("pthread_create@GLIBC_2.2.5 direct", p);
	p = (void *)&old_join;         show("pthread_join@GLIBC_2.2.5 direct", p);
	p = (void *)&cond_wait_225;    show("pthread_cond_wait@GLIBC_2.2.5 direct", p);
	p = (void *)&cond_signal_225;  show("pthread_cond_signal@GLIBC_2.2.5 direct", p);
	p = (void *)&cond_wait_232;    show("pthread_cond_wait@GLIBC_2.3.2 direct", p);
	p = (void *)&cond_signal_232;  show("pthread_cond_signal@GLIBC_2.3.2 direct", p);
	show("pthread_create@- dlsym", dlsym(RTLD_DEFAULT, "pthread_create"));
	show("pthread_join@- dlsym", dlsym(RTLD_DEFAULT, "pthread_join"));
	show("libc", dlsym(RTLD_DEFAULT, "gnu_get_libc_version"));
	show("ldso", (void *)getauxval(AT_BASE));

	pthread_t t;
	void *r1 = NULL, *r2 = NULL;
	if (pthread_create(&t, NULL, fn, (void *)11) || pthread_join(t, &r1) ||
	    old_create(&t, NULL, fn, (void *)22) || old_join(t, &r2) ||
	    r1 != (void *)11 || r2 != (void *)22) {
		printf("threads FAIL\n");
		return 1;
	}
	printf("threads ok\n");
	return 0;
}
EOF

if ! $cc -O1 -fPIE -pie -pthread -o "$tmp/prog" "$tmp/prog.c" -ldl 2>"$tmp/cc.err"; then
	cat "$tmp/cc.err"
	bad "cannot compile the probe program with $cc"
	exit 1
fi

# 2. The program's references are versioned.
if command -v readelf >/dev/null 2>&1; then
	readelf --dyn-syms -W "$tmp/prog" >"$tmp/syms"
	tool=readelf
elif command -v objdump >/dev/null 2>&1; then
	# objdump -T writes "(GLIBC_2.34) pthread_create"; make it name@ver
	objdump -T "$tmp/prog" |
		sed -n 's/.*(\(GLIBC_[0-9.]*\)) *\([A-Za-z_0-9]*\)$/\2@\1/p' >"$tmp/syms"
	tool=objdump
else
	tool=
	say "note: neither readelf nor objdump: reference versions not checked"
fi
if [ -n "$tool" ]; then
	for ref in pthread_create@GLIBC_2.34 pthread_join@GLIBC_2.34 \
		pthread_create@GLIBC_2.2.5 pthread_cond_wait@GLIBC_2.3.2 \
		pthread_cond_wait@GLIBC_2.2.5; do
		if grep -q "[[:space:]]$ref\([[:space:]]\|$\)" "$tmp/syms" ||
			grep -q "^$ref\$" "$tmp/syms"; then
			say "reference $ref: present ($tool)"
		else
			bad "the probe's dynamic symbols lack $ref ($tool)"
		fi
	done
fi

# What libmnthread.so exports (names without versions, A = version nodes).
nm -D --defined-only "$MN_LIB" >"$tmp/mn.nm" || {
	bad "nm -D $MN_LIB failed"
	exit 1
}
awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' "$tmp/mn.nm" | sort -u >"$tmp/mn.exports"
exported() { grep -qx "$1" "$tmp/mn.exports"; }

# 3a. Natively: everything in libc.
if ! "$tmp/prog" >"$tmp/native.out"; then
	cat "$tmp/native.out"
	bad "the probe program fails natively"
	exit 1
fi
libc=$(sed -n 's/^libc //p' "$tmp/native.out")
ldso=$(sed -n 's/^ldso //p' "$tmp/native.out")
say "native: libc is $libc"
while read -r label how path; do
	case $label in libc | ldso | threads) continue ;; esac
	[ "$path" = "$libc" ] || bad "natively, $label ($how) resolves to $path, not libc"
done <"$tmp/native.out"

# 3b. Under mnthread.
mnbase=${MN_LIB##*/}
if ! env LD_PRELOAD="$MN_LIB" "$tmp/prog" >"$tmp/mn.out"; then
	cat "$tmp/mn.out"
	bad "the probe program fails under LD_PRELOAD=$MN_LIB"
fi
for required in pthread_create pthread_join; do
	exported "$required" || bad "$MN_LIB does not export $required"
done
grep -q '^threads ok$' "$tmp/mn.out" || bad "threads via both pthread_create versions failed under mnthread"
while read -r label how path; do
	case $label in libc | ldso | threads) continue ;; esac
	name=${label%%@*}
	if exported "$name"; then
		if [ "${path##*/}" = "$mnbase" ]; then
			say "$label ($how): $mnbase ok"
		else
			bad "$label ($how) resolves to $path, not $mnbase"
		fi
	else
		if [ "$path" = "$libc" ]; then
			say "$label ($how): not exported by $mnbase, stays in libc"
		else
			bad "$label ($how) resolves to $path (not exported by $mnbase, so libc expected)"
		fi
	fi
done <"$tmp/mn.out"

# 4. Only interposed libc names are exported.
: >"$tmp/libc.defs"
for obj in "$libc" "$ldso"; do
	[ -n "$obj" ] && [ -e "$obj" ] || continue
	nm -D --defined-only "$obj" |
		awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' >>"$tmp/libc.defs"
done
sort -u -o "$tmp/libc.defs" "$tmp/libc.defs"
if [ ! -s "$tmp/libc.defs" ]; then
	bad "cannot list libc's symbols (libc: $libc)"
else
	n=0
	while read -r sym; do
		n=$((n + 1))
		case " $MN_PUBLIC_API " in *" $sym "*) continue ;; esac
		case $sym in
		mn_* | real_*) bad "$mnbase exports an internal name: $sym" ;;
		*) grep -qx "$sym" "$tmp/libc.defs" ||
			bad "$mnbase exports $sym, which is not a libc name" ;;
		esac
	done <"$tmp/mn.exports"
	say "$mnbase exports $n symbols"
fi

if [ "$fail" -eq 0 ]; then
	say "PASS"
	exit 0
fi
say "FAIL"
exit 1
