#!/bin/bash
# cond_oldabi.sh: programs bound to the old (GLIBC_2.2.5) pthread_cond_*
# versions work under mnthread, and those calls are interposed.
#
# glibc exports pthread_cond_{init,destroy,wait,timedwait,signal,broadcast}
# at two versions: GLIBC_2.3.2 (the default, today's condvar) and the old
# GLIBC_2.2.5, whose pthread_cond_t is used as a pointer-sized handle to a
# real condvar allocated lazily (by init's caller never, by the first wait
# or signal that finds it NULL).  Binaries linked against glibc before 2.3.2
# still reference the old versions.
#
# Run by automake as `bash tests/compat/cond_oldabi.sh` from the build
# directory, with MN_LIB (absolute path of libmnthread.so), MN_BUILDDIR,
# MN_SRCDIR.
#
# 1. Compiles (with ${CC:-cc}, as a PIE so that taking a function's address
#    does not give the executable's own PLT stub) a program that binds to
#    the six old versions with .symver and:
#      - runs a producer/consumer (2 producers x 20000 items, 2 consumers,
#        4 slots) on two conds made with the old init, signal only;
#      - ping-pongs 1000 times between two threads on a zero-filled static
#        cond never passed to init (the lazy allocation path);
#      - wakes 4 waiters with one old broadcast;
#      - old timedwait: 20 ms -> ETIMEDOUT with the mutex held again (an
#        errorcheck mutex's unlock succeeds), woken before a 10 s deadline
#        -> 0, tv_nsec = 1e9 -> EINVAL;
#      - old destroy -> 0;
#      - old init with a process-shared or CLOCK_MONOTONIC attribute ->
#        EINVAL, while the new init takes both.
# 2. Checks with objdump -T (or readelf) that the program references the
#    @GLIBC_2.2.5 versions.
# 3. Runs it natively and under LD_PRELOAD=$MN_LIB with MN_PROCS=1 and 2:
#    stdout and exit status must be the same.
# 4. Runs it with OLDABI_WHERE=1, which makes it print, for each old
#    function and for the new pthread_cond_init, the object dladdr() finds
#    at its resolved address: natively all are in libc; under mnthread all
#    must be in libmnthread.so.
#
# Exit: 0 pass, 1 fail, 77 skip (no MN_LIB, or no C compiler).

fail=0
say() { printf '%s\n' "$*"; }
bad() {
	say "FAIL: $*"
	fail=1
}

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
timeout_s=${COMPARE_TIMEOUT:-120}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mncondold.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/prog.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern int old_cond_init(pthread_cond_t *, const pthread_condattr_t *);
extern int old_cond_destroy(pthread_cond_t *);
extern int old_cond_wait(pthread_cond_t *, pthread_mutex_t *);
extern int old_cond_timedwait(pthread_cond_t *, pthread_mutex_t *,
			      const struct timespec *);
extern int old_cond_signal(pthread_cond_t *);
extern int old_cond_broadcast(pthread_cond_t *);
__asm__(".symver old_cond_init, pthread_cond_init@GLIBC_2.2.5");
__asm__(".symver old_cond_destroy, pthread_cond_destroy@GLIBC_2.2.5");
__asm__(".symver old_cond_wait, pthread_cond_wait@GLIBC_2.2.5");
__asm__(".symver old_cond_timedwait, pthread_cond_timedwait@GLIBC_2.2.5");
__asm__(".symver old_cond_signal, pthread_cond_signal@GLIBC_2.2.5");
__asm__(".symver old_cond_broadcast, pthread_cond_broadcast@GLIBC_2.2.5");

static int failures;

static const char *errname(int e)
{
	static char buf[32];
	switch (e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EPERM: return "EPERM";
	case EBUSY: return "EBUSY";
	case ENOMEM: return "ENOMEM";
	}
	snprintf(buf, sizeof buf, "E?%d", e);
	return buf;
}

static void expect(const char *what, int got, int want)
{
	printf("%s: %s\n", what, errname(got));
	if (got != want) {
		printf("FAIL: %s: expected %s\n", what, errname(want));
		failures++;
	}
}

static void expect_val(const char *what, long got, long want)
{
	printf("%s: %ld\n", what, got);
	if (got != want) {
		printf("FAIL: %s: expected %ld\n", what, want);
		failures++;
	}
}

static void where(const char *name, void *addr)
{
	Dl_info info;
	if (addr == NULL || dladdr(addr, &info) == 0 || info.dli_fname == NULL)
		printf("%s ?\n", name);
	else
		printf("%s %s\n", name, info.dli_fname);
}

static struct timespec deadline(int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static pthread_t spawn(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	if (pthread_create(&t, NULL, fn, arg) != 0) {
		printf("FAIL: pthread_create\n");
		exit(1);
	}
	return t;
}

/* ---- producer/consumer on conds made by the old init */
#define PRODUCERS 2
#define CONSUMERS 2
#define ITEMS 20000
#define SLOTS 4
static pthread_mutex_t bm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full, not_empty;
static unsigned long buf[SLOTS];
static int head, count;
static long taken, got;
static unsigned long sum;

static void *producer(void *arg)
{
	unsigned long p = (uintptr_t)arg;
	for (unsigned long i = 0; i < ITEMS; i++) {
		pthread_mutex_lock(&bm);
		while (count == SLOTS)
			old_cond_wait(&not_full, &bm);
		buf[(head + count) % SLOTS] = p * 1000003UL + i * 7919UL + 1;
		count++;
		old_cond_signal(&not_empty);
		pthread_mutex_unlock(&bm);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	unsigned long s = 0;
	long n = 0;
	for (;;) {
		pthread_mutex_lock(&bm);
		while (count == 0 && taken < (long)PRODUCERS * ITEMS)
			old_cond_wait(&not_empty, &bm);
		if (count == 0) {
			pthread_mutex_unlock(&bm);
			break;
		}
		s += buf[head];
		head = (head + 1) % SLOTS;
		count--;
		taken++;
		n++;
		if (taken == (long)PRODUCERS * ITEMS)
			old_cond_broadcast(&not_empty);
		old_cond_signal(&not_full);
		pthread_mutex_unlock(&bm);
	}
	pthread_mutex_lock(&bm);
	sum += s;
	got += n;
	pthread_mutex_unlock(&bm);
	return NULL;
}

/* ---- ping-pong on a zero-filled cond never initialised */
static pthread_mutex_t pm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lazy;   /* zero-filled */
static int turn;
static long pongs;

static void *ponger(void *arg)
{
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&pm);
		while (turn != 1)
			old_cond_wait(&lazy, &pm);
		turn = 0;
		pongs++;
		old_cond_signal(&lazy);
		pthread_mutex_unlock(&pm);
	}
	return NULL;
}

/* ---- broadcast */
static pthread_cond_t bc;
static int waiting, released, woken;

static void *bwaiter(void *arg)
{
	pthread_mutex_lock(&pm);
	waiting++;
	old_cond_signal(&lazy);   /* tell main */
	while (!released)
		old_cond_wait(&bc, &pm);
	woken++;
	pthread_mutex_unlock(&pm);
	return NULL;
}

static int flag;
static void *late_signal(void *arg)
{
	usleep(20000);
	pthread_mutex_lock(&pm);
	flag = 1;
	old_cond_signal(&bc);
	pthread_mutex_unlock(&pm);
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(100);

	if (getenv("OLDABI_WHERE")) {
		/* volatile: keep the compiler from folding the addresses away */
		void *volatile p;
		p = (void *)&old_cond_init;      where("pthread_cond_init@GLIBC_2.2.5", p);
		p = (void *)&old_cond_destroy;   where("pthread_cond_destroy@GLIBC_2.2.5", p);
		p = (void *)&old_cond_wait;      where("pthread_cond_wait@GLIBC_2.2.5", p);
		p = (void *)&old_cond_timedwait; where("pthread_cond_timedwait@GLIBC_2.2.5", p);
		p = (void *)&old_cond_signal;    where("pthread_cond_signal@GLIBC_2.2.5", p);
		p = (void *)&old_cond_broadcast; where("pthread_cond_broadcast@GLIBC_2.2.5", p);
		p = (void *)&pthread_cond_init;  where("pthread_cond_init@GLIBC_2.3.2", p);
		p = dlsym(RTLD_DEFAULT, "gnu_get_libc_version");
		where("libc", p);
		return 0;
	}

	/* producer/consumer */
	expect("old init not_full", old_cond_init(&not_full, NULL), 0);
	expect("old init not_empty", old_cond_init(&not_empty, NULL), 0);
	pthread_t p[PRODUCERS], c[CONSUMERS];
	for (unsigned long i = 0; i < CONSUMERS; i++)
		c[i] = spawn(consumer, NULL);
	for (unsigned long i = 0; i < PRODUCERS; i++)
		p[i] = spawn(producer, (void *)(uintptr_t)i);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(p[i], NULL);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(c[i], NULL);
	unsigned long want = 0;
	for (unsigned long q = 0; q < PRODUCERS; q++)
		for (unsigned long i = 0; i < ITEMS; i++)
			want += q * 1000003UL + i * 7919UL + 1;
	expect_val("producer/consumer items", got, (long)PRODUCERS * ITEMS);
	printf("producer/consumer sum: %lu\n", sum);
	if (sum != want) {
		printf("FAIL: producer/consumer sum: expected %lu\n", want);
		failures++;
	}
	expect("old destroy not_full", old_cond_destroy(&not_full), 0);
	expect("old destroy not_empty", old_cond_destroy(&not_empty), 0);

	/* the lazy path */
	pthread_t t = spawn(ponger, NULL);
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&pm);
		turn = 1;
		old_cond_signal(&lazy);
		while (turn != 0)
			old_cond_wait(&lazy, &pm);
		pthread_mutex_unlock(&pm);
	}
	pthread_join(t, NULL);
	expect_val("ping-pong on a zero-filled cond", pongs, 1000);

	/* broadcast */
	expect("old init bc", old_cond_init(&bc, NULL), 0);
	pthread_t w[4];
	for (int i = 0; i < 4; i++)
		w[i] = spawn(bwaiter, NULL);
	pthread_mutex_lock(&pm);
	while (waiting < 4)
		old_cond_wait(&lazy, &pm);
	released = 1;
	expect("old broadcast", old_cond_broadcast(&bc), 0);
	pthread_mutex_unlock(&pm);
	for (int i = 0; i < 4; i++)
		pthread_join(w[i], NULL);
	expect_val("woken by one broadcast", woken, 4);

	/* timedwait */
	pthread_mutexattr_t ma;
	pthread_mutex_t em;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&em, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_mutex_lock(&em);
	struct timespec ts = deadline(20);
	expect("old timedwait 20ms", old_cond_timedwait(&bc, &em, &ts), ETIMEDOUT);
	expect("after it, unlock", pthread_mutex_unlock(&em), 0);
	expect("after it, second unlock", pthread_mutex_unlock(&em), EPERM);
	pthread_mutex_lock(&em);
	ts = deadline(1000);
	ts.tv_nsec = 1000000000;
	expect("old timedwait tv_nsec=1e9", old_cond_timedwait(&bc, &em, &ts), EINVAL);
	pthread_mutex_unlock(&em);
	pthread_mutex_lock(&pm);
	t = spawn(late_signal, NULL);
	ts = deadline(10000);
	int rc = 0;
	while (!flag && rc == 0)
		rc = old_cond_timedwait(&bc, &pm, &ts);
	expect("old timedwait woken before its deadline", rc, 0);
	pthread_mutex_unlock(&pm);
	pthread_join(t, NULL);
	expect("old destroy bc", old_cond_destroy(&bc), 0);
	expect("old destroy lazy", old_cond_destroy(&lazy), 0);

	/* The old init refuses a process-shared or CLOCK_MONOTONIC
	 * attribute (the old condvars had neither); the new one takes both. */
	pthread_condattr_t ca;
	pthread_cond_t x;
	pthread_condattr_init(&ca);
	expect("old init with a default attr", old_cond_init(&x, &ca), 0);
	expect("old destroy it", old_cond_destroy(&x), 0);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	expect("old init with a process-shared attr", old_cond_init(&x, &ca), EINVAL);
	expect("new init with it", pthread_cond_init(&x, &ca), 0);
	expect("new destroy", pthread_cond_destroy(&x), 0);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_PRIVATE);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	expect("old init with a CLOCK_MONOTONIC attr", old_cond_init(&x, &ca), EINVAL);
	expect("new init with it", pthread_cond_init(&x, &ca), 0);
	pthread_mutex_lock(&pm);
	ts = deadline(0);
	ts.tv_nsec = 0; /* a CLOCK_MONOTONIC deadline: long past */
	ts.tv_sec = 1;
	expect("new timedwait on it, deadline past", pthread_cond_timedwait(&x, &pm, &ts), ETIMEDOUT);
	pthread_mutex_unlock(&pm);
	expect("new destroy", pthread_cond_destroy(&x), 0);
	pthread_condattr_setclock(&ca, CLOCK_REALTIME);
	expect("old init with the attr back to default", old_cond_init(&x, &ca), 0);
	expect("old destroy it", old_cond_destroy(&x), 0);
	pthread_condattr_destroy(&ca);

	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
EOF

if ! $cc -O1 -fPIE -pie -pthread -o "$tmp/prog" "$tmp/prog.c" -ldl 2>"$tmp/cc.err"; then
	cat "$tmp/cc.err"
	bad "cannot compile the test program with $cc"
	exit 1
fi

# 2. The references are to the old versions.
funcs="init destroy wait timedwait signal broadcast"
if command -v objdump >/dev/null 2>&1; then
	# objdump -T writes "... (GLIBC_2.2.5) pthread_cond_wait"
	objdump -T "$tmp/prog" |
		sed -n 's/.*(\(GLIBC_[0-9.]*\)) *\([A-Za-z_0-9]*\)$/\2@\1/p' >"$tmp/syms"
	tool=objdump
elif command -v readelf >/dev/null 2>&1; then
	readelf --dyn-syms -W "$tmp/prog" | awk 'NF >= 8 { print $8 }' >"$tmp/syms"
	tool=readelf
else
	tool=
	say "note: neither objdump nor readelf: reference versions not checked"
fi
if [ -n "$tool" ]; then
	for f in $funcs; do
		ref=pthread_cond_$f@GLIBC_2.2.5
		if grep -q "^$ref\$" "$tmp/syms"; then
			say "reference $ref: present ($tool)"
		else
			bad "the program's dynamic symbols lack $ref ($tool)"
		fi
		# init, destroy and timedwait are also called at the new version
		case $f in init | destroy | timedwait) continue ;; esac
		if grep -q "^pthread_cond_$f@GLIBC_2.3.2\$" "$tmp/syms"; then
			bad "the program also references pthread_cond_$f@GLIBC_2.3.2"
		fi
	done
fi

# 3. Native and mnthread runs agree.
describe() {
	local rc=$1
	case $rc in
	124) echo "rc=124 (timed out after ${timeout_s}s)" ;;
	*) if [ "$rc" -gt 128 ]; then echo "rc=$rc (killed by SIG$(kill -l $((rc - 128)) 2>/dev/null))"; else echo "rc=$rc"; fi ;;
	esac
}
timeout -k 10 "$timeout_s" env -u LD_PRELOAD -u MN_PROCS "$tmp/prog" >"$tmp/native.out"
native_rc=$?
say "native: $(describe $native_rc)"
if [ "$native_rc" -ne 0 ]; then
	cat "$tmp/native.out"
	bad "the program fails natively"
	exit 1
fi
for p in 1 2; do
	timeout -k 10 "$timeout_s" env LD_PRELOAD="$MN_LIB" MN_PROCS=$p "$tmp/prog" >"$tmp/mn$p.out"
	rc=$?
	if [ "$rc" -ne "$native_rc" ]; then
		bad "MN_PROCS=$p: $(describe $rc), native rc=$native_rc"
	fi
	if cmp -s "$tmp/native.out" "$tmp/mn$p.out"; then
		say "MN_PROCS=$p: $(describe $rc), stdout matches native"
	else
		bad "MN_PROCS=$p: stdout differs from native"
		diff -u --label native --label "MN_PROCS=$p" "$tmp/native.out" "$tmp/mn$p.out"
	fi
done

# 4. Where the old functions resolve.
env -u LD_PRELOAD OLDABI_WHERE=1 "$tmp/prog" >"$tmp/where.native" ||
	bad "OLDABI_WHERE run fails natively"
libc=$(sed -n 's/^libc //p' "$tmp/where.native")
say "native: libc is $libc"
while read -r name path; do
	[ "$name" = libc ] && continue
	if [ "$path" = "$libc" ]; then
		say "native: $name in libc"
	else
		bad "natively, $name resolves to $path, not libc"
	fi
done <"$tmp/where.native"
env LD_PRELOAD="$MN_LIB" MN_PROCS=1 OLDABI_WHERE=1 "$tmp/prog" >"$tmp/where.mn" ||
	bad "OLDABI_WHERE run fails under mnthread"
mnbase=${MN_LIB##*/}
while read -r name path; do
	[ "$name" = libc ] && continue
	if [ "${path##*/}" = "$mnbase" ]; then
		say "mnthread: $name in $mnbase"
	else
		bad "under mnthread, $name resolves to $path, not $mnbase"
	fi
done <"$tmp/where.mn"

if [ "$fail" -eq 0 ]; then
	say "PASS"
	exit 0
fi
say "FAIL"
exit 1
