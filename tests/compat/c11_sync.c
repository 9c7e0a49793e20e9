/* c11_sync: C11 <threads.h> mutexes and condition variables behave as
 * glibc's do.
 *
 * Proves:
 *   - mtx_init with mtx_plain, mtx_timed, mtx_plain|mtx_recursive and
 *     mtx_timed|mtx_recursive -> thrd_success; with 42 -> what glibc
 *     returns (thrd_success: glibc treats unknown types as plain);
 *   - for each: mutual exclusion (4 threads x 20000 increments, through
 *     thrd_create/thrd_join), mtx_trylock by another thread while held ->
 *     thrd_busy, mtx_timedlock by another thread with a 20 ms deadline ->
 *     thrd_timedout, and with a 10 s deadline while the holder lets go ->
 *     thrd_success; on a free mutex trylock/timedlock -> thrd_success;
 *   - recursive ones: the owner locks 10 deep (mtx_lock, mtx_trylock,
 *     mtx_timedlock) and other threads get thrd_busy until the 10th unlock;
 *   - mtx_timedlock by another thread with tv_nsec = 1e9 on a held mutex
 *     -> thrd_error;
 *   - cnd_signal / cnd_broadcast: one token wakes exactly one of 6 waiters,
 *     a broadcast the rest; cnd_timedwait with a 20 ms deadline ->
 *     thrd_timedout with the mutex held again; a cnd_timedwait woken before
 *     its deadline -> thrd_success; cnd_timedwait with tv_nsec = 1e9 ->
 *     thrd_error;
 *   - producer/consumer with mtx_t/cnd_t: 3 producers x 40000 items
 *     through a 4-slot buffer to 3 consumers, exact count and sum.
 *
 * Expects: exit 0 and a fixed list of "what: RESULT" lines.  A claim that
 * does not hold prints "FAIL: ..." and exits 1; a watchdog (SIGALRM, 90 s)
 * prints "FAIL: watchdog ..." if something hangs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>
#define COMPAT_C11
#include "compat.h"


static const char *thrdname(int r)
{
	static char buf[32];
	switch (r) {
	case thrd_success: return "thrd_success";
	case thrd_busy: return "thrd_busy";
	case thrd_error: return "thrd_error";
	case thrd_nomem: return "thrd_nomem";
	case thrd_timedout: return "thrd_timedout";
	}
	snprintf(buf, sizeof buf, "thrd_?%d", r);
	return buf;
}

static void expect(const char *what, int got, int want)
{
	printf("%s: %s\n", what, thrdname(got));
	if (got != want) {
		printf("FAIL: %s: expected %s\n", what, thrdname(want));
		failures++;
	}
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (thrd_sleep(&ts, &ts) == -1)
		;
}

static struct timespec deadline(int ms)
{
	struct timespec ts;
	timespec_get(&ts, TIME_UTC);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static thrd_t spawn(thrd_start_t fn, void *arg)
{
	thrd_t t;
	int rc = thrd_create(&t, fn, arg);
	if (rc != thrd_success) {
		printf("FAIL: thrd_create: %s\n", thrdname(rc));
		exit(1);
	}
	return t;
}

/* ---------------------------------------------------------- mutexes */
struct call {
	mtx_t *m;
	int how;   /* 0 trylock, 1 timedlock 20 ms, 2 timedlock 10 s, 3 lock,
		    * 4 timedlock with tv_nsec = 1e9 */
	int rc;
};

static int call_thread(void *arg)
{
	struct call *c = arg;
	struct timespec ts;
	switch (c->how) {
	case 0: c->rc = mtx_trylock(c->m); break;
	case 1: ts = deadline(20); c->rc = mtx_timedlock(c->m, &ts); break;
	case 2: ts = deadline(10000); c->rc = mtx_timedlock(c->m, &ts); break;
	case 3: c->rc = mtx_lock(c->m); break;
	case 4:
		ts = deadline(1000);
		ts.tv_nsec = 1000000000;
		c->rc = mtx_timedlock(c->m, &ts);
		break;
	}
	if (c->rc == thrd_success)
		mtx_unlock(c->m);
	return 0;
}

static int in_thread(mtx_t *m, int how)
{
	struct call c = {m, how, -1};
	thrd_join(spawn(call_thread, &c), NULL);
	return c.rc;
}

struct excl {
	mtx_t *m;
	volatile long counter;
	long errors;
};

static int excl_thread(void *arg)
{
	struct excl *x = arg;
	long errors = 0;
	for (int i = 0; i < 20000; i++) {
		errors += mtx_lock(x->m) != thrd_success;
		long v = x->counter;
		if ((i & 63) == 0)
			thrd_yield();
		x->counter = v + 1;
		errors += mtx_unlock(x->m) != thrd_success;
	}
	__atomic_add_fetch(&x->errors, errors, __ATOMIC_SEQ_CST);
	return 0;
}

static void mutex_type(const char *name, int type, int recursive, int timed)
{
	mtx_t m;
	char w[160];
	thrd_t t[4];
	struct timespec ts;

#define W(s) (snprintf(w, sizeof w, "%s: %s", name, s), w)
	phase = name;
	expect(W("mtx_init"), mtx_init(&m, type), thrd_success);

	struct excl x = {&m, 0, 0};
	for (int i = 0; i < 4; i++)
		t[i] = spawn(excl_thread, &x);
	for (int i = 0; i < 4; i++)
		thrd_join(t[i], NULL);
	expect_val(W("exclusion 4 x 20000"), x.counter, 80000);
	expect_val(W("exclusion errors"), x.errors, 0);

	expect(W("trylock free"), mtx_trylock(&m), thrd_success);
	expect(W("other trylock while held"), in_thread(&m, 0), thrd_busy);
	if (timed) {
		expect(W("other timedlock 20ms while held"), in_thread(&m, 1), thrd_timedout);
		expect(W("other timedlock tv_nsec=1e9 while held"), in_thread(&m, 4),
		       thrd_error);
	}
	if (recursive) {
		ts = deadline(1000);
		expect(W("owner lock (depth 2)"), mtx_lock(&m), thrd_success);
		expect(W("owner trylock (depth 3)"), mtx_trylock(&m), thrd_success);
		int bad = 0;
		for (int i = 3; i < 10; i++)
			bad += (timed ? mtx_timedlock(&m, &ts) : mtx_lock(&m)) != thrd_success;
		expect_val(W("owner locks to depth 10, failures"), bad, 0);
		bad = 0;
		for (int i = 0; i < 9; i++)
			bad += mtx_unlock(&m) != thrd_success;
		expect_val(W("9 unlocks, failures"), bad, 0);
		expect(W("other trylock at depth 1"), in_thread(&m, 0), thrd_busy);
	}
	expect(W("unlock"), mtx_unlock(&m), thrd_success);
	expect(W("other trylock free"), in_thread(&m, 0), thrd_success);
	if (timed)
		expect(W("other timedlock free"), in_thread(&m, 2), thrd_success);

	/* Blocked lockers woken by the unlock. */
	for (int how = 2; how <= 3; how++) {
		if (how == 2 && !timed)
			continue;
		struct call c = {&m, how, -1};
		mtx_lock(&m);
		thrd_t bt = spawn(call_thread, &c);
		sleep_ms(10);
		mtx_unlock(&m);
		thrd_join(bt, NULL);
		expect(W(how == 2 ? "blocked timedlock woken by unlock"
				  : "blocked lock woken by unlock"), c.rc, thrd_success);
	}
	mtx_destroy(&m);
#undef W
}

/* ---------------------------------------------------------- condvars */
static mtx_t mu;
static cnd_t cv, main_cv;
static int waiting, tokens, woken;

static int token_waiter(void *arg)
{
	mtx_lock(&mu);
	waiting++;
	cnd_broadcast(&main_cv);
	while (tokens == 0)
		cnd_wait(&cv, &mu);
	tokens--;
	woken++;
	cnd_broadcast(&main_cv);
	mtx_unlock(&mu);
	return 0;
}

static int wait_for(int *var, int want)
{
	struct timespec ts = deadline(10000);
	int rc = thrd_success;
	while (*var < want && rc == thrd_success)
		rc = cnd_timedwait(&main_cv, &mu, &ts);
	return *var >= want ? thrd_success : rc;
}

struct late {
	int ms;
	int *flag;
};

static int late_signaller(void *arg)
{
	struct late *l = arg;
	sleep_ms(l->ms);
	mtx_lock(&mu);
	*l->flag = 1;
	cnd_signal(&cv);
	mtx_unlock(&mu);
	return 0;
}

static int other_trylock_mu(void)
{
	struct call c = {&mu, 0, -1};
	thrd_join(spawn(call_thread, &c), NULL);
	return c.rc;
}

static void condvars(void)
{
	thrd_t t[6];
	struct timespec ts;

	phase = "cnd";
	expect("mtx_init plain", mtx_init(&mu, mtx_plain), thrd_success);
	expect("cnd_init", cnd_init(&cv), thrd_success);
	expect("cnd_init", cnd_init(&main_cv), thrd_success);

	waiting = tokens = woken = 0;
	for (int i = 0; i < 6; i++)
		t[i] = spawn(token_waiter, NULL);
	mtx_lock(&mu);
	expect("6 waiters waiting", wait_for(&waiting, 6), thrd_success);
	tokens = 1;
	expect("cnd_signal", cnd_signal(&cv), thrd_success);
	expect("one waiter took the token", wait_for(&woken, 1), thrd_success);
	mtx_unlock(&mu);
	sleep_ms(20);
	mtx_lock(&mu);
	expect_val("woken after one signal and one token", woken, 1);
	tokens = 5;
	expect("cnd_broadcast", cnd_broadcast(&cv), thrd_success);
	mtx_unlock(&mu);
	for (int i = 0; i < 6; i++)
		thrd_join(t[i], NULL);
	expect_val("woken in all", woken, 6);

	phase = "cnd_timedwait";
	mtx_lock(&mu);
	ts = deadline(20);
	expect("cnd_timedwait 20ms", cnd_timedwait(&cv, &mu, &ts), thrd_timedout);
	expect("after it, another thread's trylock", other_trylock_mu(), thrd_busy);
	ts = deadline(1000);
	ts.tv_nsec = 1000000000;
	expect("cnd_timedwait tv_nsec=1e9", cnd_timedwait(&cv, &mu, &ts), thrd_error);
	expect("after it, another thread's trylock", other_trylock_mu(), thrd_busy);
	int flag = 0;
	struct late l = {20, &flag};
	thrd_t lt = spawn(late_signaller, &l);
	ts = deadline(10000);
	int rc = thrd_success;
	while (!flag && rc == thrd_success)
		rc = cnd_timedwait(&cv, &mu, &ts);
	expect("cnd_timedwait woken before its deadline", rc, thrd_success);
	mtx_unlock(&mu);
	thrd_join(lt, NULL);
	cnd_destroy(&cv);
	cnd_destroy(&main_cv);
	mtx_destroy(&mu);
}

/* ---------------------------------------------------------- producer/consumer */
#define PRODUCERS 3
#define CONSUMERS 3
#define ITEMS 40000
#define SLOTS 4

static struct {
	mtx_t m;
	cnd_t not_full, not_empty;
	unsigned long buf[SLOTS];
	int head, count;
	long taken;
	unsigned long sum;
	long got;
} bb;

static int producer(void *arg)
{
	unsigned long p = (uintptr_t)arg;
	for (unsigned long i = 0; i < ITEMS; i++) {
		unsigned long v = p * 1000003UL + i * 7919UL + 1;
		mtx_lock(&bb.m);
		while (bb.count == SLOTS)
			cnd_wait(&bb.not_full, &bb.m);
		bb.buf[(bb.head + bb.count) % SLOTS] = v;
		bb.count++;
		cnd_signal(&bb.not_empty);
		mtx_unlock(&bb.m);
	}
	return 0;
}

static int consumer(void *arg)
{
	unsigned long sum = 0;
	long got = 0;
	for (;;) {
		mtx_lock(&bb.m);
		while (bb.count == 0 && bb.taken < (long)PRODUCERS * ITEMS)
			cnd_wait(&bb.not_empty, &bb.m);
		if (bb.count == 0) {
			mtx_unlock(&bb.m);
			break;
		}
		unsigned long v = bb.buf[bb.head];
		bb.head = (bb.head + 1) % SLOTS;
		bb.count--;
		bb.taken++;
		if (bb.taken == (long)PRODUCERS * ITEMS)
			cnd_broadcast(&bb.not_empty);
		cnd_signal(&bb.not_full);
		mtx_unlock(&bb.m);
		sum += v;
		got++;
	}
	mtx_lock(&bb.m);
	bb.sum += sum;
	bb.got += got;
	mtx_unlock(&bb.m);
	return 0;
}

static void producer_consumer(void)
{
	thrd_t p[PRODUCERS], c[CONSUMERS];
	unsigned long want = 0;

	phase = "producer/consumer";
	mtx_init(&bb.m, mtx_plain);
	cnd_init(&bb.not_full);
	cnd_init(&bb.not_empty);
	for (unsigned long i = 0; i < CONSUMERS; i++)
		c[i] = spawn(consumer, NULL);
	for (unsigned long i = 0; i < PRODUCERS; i++)
		p[i] = spawn(producer, (void *)(uintptr_t)i);
	for (int i = 0; i < PRODUCERS; i++)
		thrd_join(p[i], NULL);
	for (int i = 0; i < CONSUMERS; i++)
		thrd_join(c[i], NULL);
	for (unsigned long p = 0; p < PRODUCERS; p++)
		for (unsigned long i = 0; i < ITEMS; i++)
			want += p * 1000003UL + i * 7919UL + 1;
	expect_val("producer/consumer: items", bb.got, (long)PRODUCERS * ITEMS);
	printf("producer/consumer: sum %lu\n", bb.sum);
	if (bb.sum != want) {
		printf("FAIL: producer/consumer: expected sum %lu\n", want);
		failures++;
	}
	cnd_destroy(&bb.not_full);
	cnd_destroy(&bb.not_empty);
	mtx_destroy(&bb.m);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(90);

	mutex_type("mtx_plain", mtx_plain, 0, 0);
	mutex_type("mtx_timed", mtx_timed, 0, 1);
	mutex_type("mtx_plain|mtx_recursive", mtx_plain | mtx_recursive, 1, 0);
	mutex_type("mtx_timed|mtx_recursive", mtx_timed | mtx_recursive, 1, 1);

	mtx_t m;
	int rc = mtx_init(&m, 42);
	printf("mtx_init 42: %s\n", thrdname(rc));
	if (rc == thrd_success) {
		expect("mtx_init 42: lock", mtx_lock(&m), thrd_success);
		expect("mtx_init 42: unlock", mtx_unlock(&m), thrd_success);
		mtx_destroy(&m);
	}

	condvars();
	producer_consumer();

	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
