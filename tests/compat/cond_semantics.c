/* cond_semantics: pthread condition variables behave as glibc's do.
 *
 * Proves:
 *   - a signal with no waiter is not remembered: a later timedwait times out;
 *   - pthread_cond_signal wakes at least one of 8 waiters (with one token
 *     exactly one takes it), and a broadcast then wakes the rest;
 *   - pthread_cond_broadcast wakes all of 16 waiters;
 *   - no lost wake-up: 4 producers x 50000 items through an 8-slot bounded
 *     buffer to 4 consumers, with pthread_cond_signal only; exact count,
 *     sum and xor of the items;
 *   - pthread_cond_timedwait timing out returns ETIMEDOUT with the mutex
 *     re-acquired (another thread's trylock gets EBUSY; with an errorcheck
 *     mutex the unlock succeeds and a second unlock gets EPERM), also with
 *     a deadline already past;
 *   - pthread_condattr_setclock(CLOCK_MONOTONIC): timedwait measures the
 *     deadline on CLOCK_MONOTONIC (a waiter signalled before a monotonic
 *     deadline returns 0, not an early ETIMEDOUT), and the timeout does not
 *     come early; pthread_cond_clockwait with CLOCK_MONOTONIC and
 *     CLOCK_REALTIME times out (ETIMEDOUT) and is woken (0);
 *   - clockwait with CLOCK_PROCESS_CPUTIME_ID, clock 12345, clock -1 or a
 *     process CPU clock -> EINVAL,
 *     timedwait/clockwait with tv_nsec = 1e9 or -1 -> EINVAL, and in both
 *     cases the caller still owns the mutex;
 *   - waiting with an errorcheck or recursive mutex the caller does not
 *     own -> EPERM (wait and timedwait);
 *   - pthread_cond_destroy on an idle cond (fresh, used, or statically
 *     initialised) -> 0;
 *   - condattr roundtrips: pshared (PRIVATE/SHARED, 42 -> EINVAL), clock
 *     (REALTIME/MONOTONIC, CPU-time clocks and 12345 -> EINVAL);
 *   - a process-shared cond and mutex in MAP_SHARED memory: 200 round
 *     trips between two threads of this process, then 200 between the
 *     parent and a child of fork().
 *
 * Expects: exit 0 and a fixed list of "what: RESULT" lines.  A claim that
 * does not hold prints "FAIL: ..." and exits 1; a watchdog (SIGALRM, 90 s)
 * prints "FAIL: watchdog ..." if something hangs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <unistd.h>
#include "compat.h"


/* Another thread's trylock on M (released again on success). */
static void *trylock_thread(void *arg)
{
	pthread_mutex_t *m = arg;
	int rc = pthread_mutex_trylock(m);
	if (rc == 0)
		pthread_mutex_unlock(m);
	return (void *)(intptr_t)rc;
}

static int other_trylock(pthread_mutex_t *m)
{
	void *r;
	pthread_join(spawn(trylock_thread, m), &r);
	return (int)(intptr_t)r;
}

/* ---------------------------------------------------------- signal / broadcast */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t main_cv = PTHREAD_COND_INITIALIZER;
static int waiting, tokens, woken, released;

static void *token_waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	waiting++;
	pthread_cond_broadcast(&main_cv);
	while (tokens == 0)
		pthread_cond_wait(&cv, &mu);
	tokens--;
	woken++;
	pthread_cond_broadcast(&main_cv);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void *release_waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	waiting++;
	pthread_cond_broadcast(&main_cv);
	while (!released)
		pthread_cond_wait(&cv, &mu);
	woken++;
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* Wait (on main_cv, with a 10 s deadline) until *var reaches want. */
static int wait_for(int *var, int want)
{
	struct timespec ts = deadline(CLOCK_REALTIME, 10000);
	int rc = 0;
	while (*var < want && rc == 0)
		rc = pthread_cond_timedwait(&main_cv, &mu, &ts);
	return *var >= want ? 0 : rc;
}

static void signal_and_broadcast(void)
{
	pthread_t t[16];

	phase = "signal with no waiter";
	pthread_mutex_lock(&mu);
	expect("signal with no waiter", pthread_cond_signal(&cv), 0);
	expect("broadcast with no waiter", pthread_cond_broadcast(&cv), 0);
	struct timespec ts = deadline(CLOCK_REALTIME, 30);
	expect("a later timedwait is not woken by it", pthread_cond_timedwait(&cv, &mu, &ts),
	       ETIMEDOUT);
	pthread_mutex_unlock(&mu);

	phase = "signal wakes one";
	waiting = tokens = woken = 0;
	for (int i = 0; i < 8; i++)
		t[i] = spawn(token_waiter, NULL);
	pthread_mutex_lock(&mu);
	expect("8 waiters waiting", wait_for(&waiting, 8), 0);
	tokens = 1;
	expect("signal", pthread_cond_signal(&cv), 0);
	expect("a waiter woke and took the token", wait_for(&woken, 1), 0);
	pthread_mutex_unlock(&mu);
	sleep_ms(20);
	pthread_mutex_lock(&mu);
	expect_val("woken after one signal and one token", woken, 1);
	tokens = 7;
	expect("broadcast", pthread_cond_broadcast(&cv), 0);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	expect_val("woken in all", woken, 8);
	expect_val("tokens left", tokens, 0);

	phase = "broadcast wakes all";
	waiting = woken = released = 0;
	for (int i = 0; i < 16; i++)
		t[i] = spawn(release_waiter, NULL);
	pthread_mutex_lock(&mu);
	expect("16 waiters waiting", wait_for(&waiting, 16), 0);
	released = 1;
	expect("one broadcast", pthread_cond_broadcast(&cv), 0);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < 16; i++)
		pthread_join(t[i], NULL);
	expect_val("woken by the broadcast", woken, 16);
}

/* ---------------------------------------------------------- bounded buffer */
#define PRODUCERS 4
#define CONSUMERS 4
#define ITEMS 50000
#define SLOTS 8

static struct {
	pthread_mutex_t m;
	pthread_cond_t not_full, not_empty;
	unsigned long buf[SLOTS];
	int head, count;
	long taken;
	unsigned long sum, xor;
	long got;
} bb = {.m = PTHREAD_MUTEX_INITIALIZER, .not_full = PTHREAD_COND_INITIALIZER,
	.not_empty = PTHREAD_COND_INITIALIZER};

static void *producer(void *arg)
{
	unsigned long p = (uintptr_t)arg;
	for (unsigned long i = 0; i < ITEMS; i++) {
		unsigned long v = p * 1000003UL + i * 7919UL + 1;
		pthread_mutex_lock(&bb.m);
		while (bb.count == SLOTS)
			pthread_cond_wait(&bb.not_full, &bb.m);
		bb.buf[(bb.head + bb.count) % SLOTS] = v;
		bb.count++;
		pthread_cond_signal(&bb.not_empty);
		pthread_mutex_unlock(&bb.m);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	unsigned long sum = 0, xor = 0;
	long got = 0;
	for (;;) {
		pthread_mutex_lock(&bb.m);
		while (bb.count == 0 && bb.taken < (long)PRODUCERS * ITEMS)
			pthread_cond_wait(&bb.not_empty, &bb.m);
		if (bb.count == 0) {   /* everything has been taken */
			pthread_mutex_unlock(&bb.m);
			break;
		}
		unsigned long v = bb.buf[bb.head];
		bb.head = (bb.head + 1) % SLOTS;
		bb.count--;
		bb.taken++;
		if (bb.taken == (long)PRODUCERS * ITEMS)
			pthread_cond_broadcast(&bb.not_empty);   /* let the others finish */
		pthread_cond_signal(&bb.not_full);
		pthread_mutex_unlock(&bb.m);
		sum += v;
		xor ^= v;
		got++;
	}
	pthread_mutex_lock(&bb.m);
	bb.sum += sum;
	bb.xor ^= xor;
	bb.got += got;
	pthread_mutex_unlock(&bb.m);
	return NULL;
}

static void bounded_buffer(void)
{
	pthread_t p[PRODUCERS], c[CONSUMERS];
	unsigned long want_sum = 0, want_xor = 0;

	phase = "bounded buffer";
	for (unsigned long i = 0; i < CONSUMERS; i++)
		c[i] = spawn(consumer, NULL);
	for (unsigned long i = 0; i < PRODUCERS; i++)
		p[i] = spawn(producer, (void *)(uintptr_t)i);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(p[i], NULL);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(c[i], NULL);
	for (unsigned long p = 0; p < PRODUCERS; p++)
		for (unsigned long i = 0; i < ITEMS; i++) {
			unsigned long v = p * 1000003UL + i * 7919UL + 1;
			want_sum += v;
			want_xor ^= v;
		}
	expect_val("bounded buffer: items consumed", bb.got, (long)PRODUCERS * ITEMS);
	printf("bounded buffer: sum %lu xor %lu\n", bb.sum, bb.xor);
	if (bb.sum != want_sum || bb.xor != want_xor) {
		printf("FAIL: bounded buffer: expected sum %lu xor %lu\n", want_sum, want_xor);
		failures++;
	}
	expect_val("bounded buffer: left in the buffer", bb.count, 0);
}

/* ---------------------------------------------------------- timeouts */
struct late_signal {
	pthread_mutex_t *m;
	pthread_cond_t *c;
	int *flag;
	int ms;
};

static void *late_signaller(void *arg)
{
	struct late_signal *s = arg;
	sleep_ms(s->ms);
	pthread_mutex_lock(s->m);
	*s->flag = 1;
	pthread_cond_signal(s->c);
	pthread_mutex_unlock(s->m);
	return NULL;
}

/* Wait on C for *flag with the given call until it is set or the call
 * returns nonzero. */
enum { W_TIMED, W_CLOCK_MONO, W_CLOCK_REAL };

static int wait_flag(pthread_cond_t *c, pthread_mutex_t *m, int *flag, int how,
		     const struct timespec *ts)
{
	int rc = 0;
	while (!*flag && rc == 0) {
		switch (how) {
		case W_TIMED: rc = pthread_cond_timedwait(c, m, ts); break;
		case W_CLOCK_MONO: rc = pthread_cond_clockwait(c, m, CLOCK_MONOTONIC, ts); break;
		case W_CLOCK_REAL: rc = pthread_cond_clockwait(c, m, CLOCK_REALTIME, ts); break;
		}
	}
	return rc;
}

static void timeouts(void)
{
	pthread_mutexattr_t ma;
	pthread_mutex_t em, m = PTHREAD_MUTEX_INITIALIZER;
	pthread_condattr_t ca;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER, mc;
	struct timespec ts, t0;
	int flag;

	phase = "timedwait timeout";
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	must(pthread_mutex_init(&em, &ma), "mutex init");
	pthread_mutexattr_destroy(&ma);

	pthread_mutex_lock(&em);
	ts = deadline(CLOCK_REALTIME, 20);
	expect("timedwait 20ms (errorcheck mutex)", pthread_cond_timedwait(&c, &em, &ts),
	       ETIMEDOUT);
	expect("after the timeout, another thread's trylock", other_trylock(&em), EBUSY);
	expect("after the timeout, unlock", pthread_mutex_unlock(&em), 0);
	expect("after the timeout, second unlock", pthread_mutex_unlock(&em), EPERM);

	pthread_mutex_lock(&em);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec -= 1;
	expect("timedwait past deadline", pthread_cond_timedwait(&c, &em, &ts), ETIMEDOUT);
	expect("after it, unlock", pthread_mutex_unlock(&em), 0);
	expect("after it, second unlock", pthread_mutex_unlock(&em), EPERM);

	pthread_mutex_lock(&m);
	ts = deadline(CLOCK_REALTIME, 20);
	expect("timedwait 20ms (normal mutex)", pthread_cond_timedwait(&c, &m, &ts), ETIMEDOUT);
	expect("after the timeout, another thread's trylock", other_trylock(&m), EBUSY);
	pthread_mutex_unlock(&m);

	/* Timeouts do not come early. */
	phase = "timeout length";
	pthread_mutex_lock(&m);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ts = deadline(CLOCK_REALTIME, 100);
	expect("timedwait 100ms", pthread_cond_timedwait(&c, &m, &ts), ETIMEDOUT);
	expect_val("timedwait 100ms took at least 100ms", elapsed_ms(&t0) >= 99, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ts = deadline(CLOCK_MONOTONIC, 100);
	expect("clockwait monotonic 100ms",
	       pthread_cond_clockwait(&c, &m, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
	expect_val("clockwait monotonic 100ms took at least 100ms", elapsed_ms(&t0) >= 99, 1);
	ts = deadline(CLOCK_REALTIME, 20);
	expect("clockwait realtime 20ms",
	       pthread_cond_clockwait(&c, &m, CLOCK_REALTIME, &ts), ETIMEDOUT);
	pthread_mutex_unlock(&m);

	/* A monotonic cond. */
	phase = "monotonic cond";
	pthread_condattr_init(&ca);
	must(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC), "setclock");
	expect("init cond with CLOCK_MONOTONIC", pthread_cond_init(&mc, &ca), 0);
	pthread_condattr_destroy(&ca);
	pthread_mutex_lock(&m);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ts = deadline(CLOCK_MONOTONIC, 100);
	expect("monotonic cond: timedwait 100ms", pthread_cond_timedwait(&mc, &m, &ts),
	       ETIMEDOUT);
	expect_val("monotonic cond: took at least 100ms", elapsed_ms(&t0) >= 99, 1);
	pthread_mutex_unlock(&m);

	/* Woken before a deadline 10 s away: a monotonic deadline read as
	 * a realtime one would be long past and time out at once. */
	static const struct {
		const char *what;
		int how;
		clockid_t clk;
		int monotonic_cond;
	} woken[] = {
		{"monotonic cond: timedwait woken before the deadline", W_TIMED,
		 CLOCK_MONOTONIC, 1},
		{"realtime cond: timedwait woken before the deadline", W_TIMED,
		 CLOCK_REALTIME, 0},
		{"clockwait monotonic woken before the deadline", W_CLOCK_MONO,
		 CLOCK_MONOTONIC, 0},
		{"clockwait realtime woken before the deadline", W_CLOCK_REAL,
		 CLOCK_REALTIME, 0},
		{"monotonic cond: clockwait realtime woken", W_CLOCK_REAL,
		 CLOCK_REALTIME, 1},
	};
	for (size_t i = 0; i < sizeof woken / sizeof woken[0]; i++) {
		pthread_cond_t *cc = woken[i].monotonic_cond ? &mc : &c;
		struct late_signal ls = {&m, cc, &flag, 30};
		phase = woken[i].what;
		flag = 0;
		pthread_mutex_lock(&m);
		pthread_t t = spawn(late_signaller, &ls);
		ts = deadline(woken[i].clk, 10000);
		expect(woken[i].what, wait_flag(cc, &m, &flag, woken[i].how, &ts), 0);
		pthread_mutex_unlock(&m);
		pthread_join(t, NULL);
	}
	expect("destroy the monotonic cond", pthread_cond_destroy(&mc), 0);

	/* Invalid arguments: EINVAL and the mutex still held. */
	phase = "invalid arguments";
	pthread_mutex_lock(&em);
	ts = deadline(CLOCK_REALTIME, 1000);
	expect("clockwait CLOCK_PROCESS_CPUTIME_ID",
	       pthread_cond_clockwait(&c, &em, CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL);
	expect("clockwait CLOCK_THREAD_CPUTIME_ID",
	       pthread_cond_clockwait(&c, &em, CLOCK_THREAD_CPUTIME_ID, &ts), EINVAL);
	expect("clockwait clock 12345",
	       pthread_cond_clockwait(&c, &em, (clockid_t)12345, &ts), EINVAL);
	expect("clockwait clock -1", pthread_cond_clockwait(&c, &em, (clockid_t)-1, &ts), EINVAL);
	clockid_t cpuclock;
	if (clock_getcpuclockid(getpid(), &cpuclock) == 0)
		expect("clockwait a process CPU clock (negative id)",
		       pthread_cond_clockwait(&c, &em, cpuclock, &ts), EINVAL);
	ts.tv_nsec = 1000000000;
	expect("timedwait tv_nsec=1e9", pthread_cond_timedwait(&c, &em, &ts), EINVAL);
	ts.tv_nsec = -1;
	expect("timedwait tv_nsec=-1", pthread_cond_timedwait(&c, &em, &ts), EINVAL);
	ts = deadline(CLOCK_MONOTONIC, 1000);
	ts.tv_nsec = 1000000000;
	expect("clockwait monotonic tv_nsec=1e9",
	       pthread_cond_clockwait(&c, &em, CLOCK_MONOTONIC, &ts), EINVAL);
	expect("after the EINVALs, another thread's trylock", other_trylock(&em), EBUSY);
	expect("after the EINVALs, unlock", pthread_mutex_unlock(&em), 0);
	expect("after the EINVALs, second unlock", pthread_mutex_unlock(&em), EPERM);

	/* Waiting with a mutex one does not own. */
	phase = "not owner";
	ts = deadline(CLOCK_REALTIME, 1000);
	expect("wait, errorcheck mutex unlocked", pthread_cond_wait(&c, &em), EPERM);
	expect("timedwait, errorcheck mutex unlocked", pthread_cond_timedwait(&c, &em, &ts),
	       EPERM);
	ts = deadline(CLOCK_MONOTONIC, 1000);
	expect("clockwait monotonic, errorcheck mutex unlocked",
	       pthread_cond_clockwait(&c, &em, CLOCK_MONOTONIC, &ts), EPERM);
	pthread_mutex_t rm = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
	expect("wait, recursive mutex unlocked", pthread_cond_wait(&c, &rm), EPERM);
	expect("errorcheck mutex still unlocked: trylock", pthread_mutex_trylock(&em), 0);
	pthread_mutex_unlock(&em);

	phase = "destroy";
	expect("destroy an idle used cond", pthread_cond_destroy(&c), 0);
	pthread_cond_t fresh;
	expect("init a fresh cond", pthread_cond_init(&fresh, NULL), 0);
	expect("destroy a fresh cond", pthread_cond_destroy(&fresh), 0);
	pthread_cond_t st = PTHREAD_COND_INITIALIZER;
	expect("destroy a static cond", pthread_cond_destroy(&st), 0);
	pthread_mutex_destroy(&em);
}

/* ---------------------------------------------------------- attributes */
static void condattr(void)
{
	pthread_condattr_t a;
	int v;
	clockid_t clk;

	phase = "condattr";
	expect("condattr init", pthread_condattr_init(&a), 0);
	v = -1;
	expect("condattr getpshared", pthread_condattr_getpshared(&a, &v), 0);
	expect_val("condattr default pshared is PRIVATE", v == PTHREAD_PROCESS_PRIVATE, 1);
	expect("condattr setpshared SHARED",
	       pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
	pthread_condattr_getpshared(&a, &v);
	expect_val("condattr getpshared is SHARED", v == PTHREAD_PROCESS_SHARED, 1);
	expect("condattr setpshared 42", pthread_condattr_setpshared(&a, 42), EINVAL);
	pthread_condattr_getpshared(&a, &v);
	expect_val("condattr still SHARED", v == PTHREAD_PROCESS_SHARED, 1);

	clk = -1;
	expect("condattr getclock", pthread_condattr_getclock(&a, &clk), 0);
	expect_val("condattr default clock is REALTIME", clk == CLOCK_REALTIME, 1);
	expect("condattr setclock MONOTONIC", pthread_condattr_setclock(&a, CLOCK_MONOTONIC),
	       0);
	pthread_condattr_getclock(&a, &clk);
	expect_val("condattr getclock is MONOTONIC", clk == CLOCK_MONOTONIC, 1);
	expect("condattr setclock CLOCK_PROCESS_CPUTIME_ID",
	       pthread_condattr_setclock(&a, CLOCK_PROCESS_CPUTIME_ID), EINVAL);
	expect("condattr setclock CLOCK_THREAD_CPUTIME_ID",
	       pthread_condattr_setclock(&a, CLOCK_THREAD_CPUTIME_ID), EINVAL);
	expect("condattr setclock 12345", pthread_condattr_setclock(&a, (clockid_t)12345),
	       EINVAL);
	pthread_condattr_getclock(&a, &clk);
	expect_val("condattr still MONOTONIC", clk == CLOCK_MONOTONIC, 1);
	pthread_condattr_getpshared(&a, &v);
	expect_val("condattr pshared unchanged by setclock", v == PTHREAD_PROCESS_SHARED, 1);
	expect("condattr setclock REALTIME", pthread_condattr_setclock(&a, CLOCK_REALTIME), 0);
	pthread_condattr_getclock(&a, &clk);
	expect_val("condattr getclock is REALTIME", clk == CLOCK_REALTIME, 1);
	expect("condattr destroy", pthread_condattr_destroy(&a), 0);
}

/* ---------------------------------------------------------- process-shared */
#define ROUNDTRIPS 200
struct shared {
	pthread_mutex_t m;
	pthread_cond_t c;
	int turn;   /* 0: parent's turn to post, 1: child's */
	int rounds;
};

static int child_side(struct shared *sh)
{
	int bad = 0;
	for (int i = 0; i < ROUNDTRIPS; i++) {
		bad |= pthread_mutex_lock(&sh->m);
		while (sh->turn != 1)
			bad |= pthread_cond_wait(&sh->c, &sh->m);
		sh->rounds++;
		sh->turn = 0;
		bad |= pthread_cond_signal(&sh->c);
		bad |= pthread_mutex_unlock(&sh->m);
	}
	return bad ? 1 : 0;
}

static void parent_side(struct shared *sh)
{
	for (int i = 0; i < ROUNDTRIPS; i++) {
		pthread_mutex_lock(&sh->m);
		sh->turn = 1;
		pthread_cond_signal(&sh->c);
		while (sh->turn != 0)
			pthread_cond_wait(&sh->c, &sh->m);
		pthread_mutex_unlock(&sh->m);
	}
}

static void *child_thread(void *arg)
{
	return (void *)(intptr_t)child_side(arg);
}

static void process_shared(void)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	struct shared *sh;
	int status;
	void *ret;

	phase = "process-shared cond";
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		printf("FAIL: mmap\n");
		exit(1);
	}
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	expect("pshared: mutex init", pthread_mutex_init(&sh->m, &ma), 0);
	expect("pshared: cond init", pthread_cond_init(&sh->c, &ca), 0);
	pthread_mutexattr_destroy(&ma);
	pthread_condattr_destroy(&ca);

	/* First between two threads of this process. */
	sh->turn = 0;
	sh->rounds = 0;
	pthread_t t = spawn(child_thread, sh);
	parent_side(sh);
	pthread_join(t, &ret);
	expect_val("pshared, threads: other side's errors", (long)(intptr_t)ret, 0);
	expect_val("pshared, threads: round trips", sh->rounds, ROUNDTRIPS);

	/* Then between a parent and a child process. */
	sh->turn = 0;
	sh->rounds = 0;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		printf("FAIL: fork\n");
		exit(1);
	}
	if (pid == 0)
		_exit(child_side(sh));
	parent_side(sh);
	waitpid(pid, &status, 0);
	expect_val("pshared, fork: child exit status",
		   WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status), 0);
	expect_val("pshared, fork: round trips", sh->rounds, ROUNDTRIPS);
	expect("pshared: cond destroy", pthread_cond_destroy(&sh->c), 0);
	expect("pshared: mutex destroy", pthread_mutex_destroy(&sh->m), 0);
	munmap(sh, sizeof *sh);
}

/* Broadcast, then destroy at once and reuse the memory while the woken
 * waiters still wait for the mutex (allowed: none is blocked on the
 * condvar any more); process-private and process-shared condvars, in a
 * heap block that is freed and reallocated each round. */
struct destroyable {
	pthread_mutex_t m;
	pthread_cond_t c;
	int go, woken;
};

static void *destroy_waiter(void *arg)
{
	struct destroyable *d = arg;
	pthread_mutex_lock(&d->m);
	while (!d->go)
		pthread_cond_wait(&d->c, &d->m);
	d->woken++;
	pthread_mutex_unlock(&d->m);
	return NULL;
}

static void destroy_after_broadcast(int pshared)
{
	int bad = 0;
	for (int round = 0; round < 40; round++) {
		struct destroyable *d = calloc(1, sizeof *d);
		pthread_mutexattr_t ma;
		pthread_condattr_t ca;
		pthread_mutexattr_init(&ma);
		pthread_condattr_init(&ca);
		pthread_mutexattr_setpshared(&ma, pshared);
		pthread_condattr_setpshared(&ca, pshared);
		pthread_mutex_init(&d->m, &ma);
		pthread_cond_init(&d->c, &ca);
		pthread_t t[4];
		for (int i = 0; i < 4; i++)
			must(pthread_create(&t[i], NULL, destroy_waiter, d), "pthread_create");
		sleep_ms(1);
		pthread_mutex_lock(&d->m);
		d->go = 1;
		pthread_cond_broadcast(&d->c);
		bad += pthread_cond_destroy(&d->c) != 0;
		memset(&d->c, 0x5a, sizeof d->c); /* the memory is ours again */
		pthread_mutex_unlock(&d->m);
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		bad += d->woken != 4;
		pthread_mutex_destroy(&d->m);
		free(d);
	}
	expect_val(pshared ? "destroy right after broadcast (process-shared): bad rounds"
			   : "destroy right after broadcast: bad rounds",
		   bad, 0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(90);

	destroy_after_broadcast(PTHREAD_PROCESS_PRIVATE);
	destroy_after_broadcast(PTHREAD_PROCESS_SHARED);

	signal_and_broadcast();
	bounded_buffer();
	timeouts();
	condattr();
	process_shared();

	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
