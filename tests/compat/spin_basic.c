/* spin_basic: pthread spin locks behave as glibc's do.
 *
 * Proves:
 *   - mutual exclusion: 4 threads x 100000 increments of two fields under
 *     pthread_spin_lock give exactly 400000 each, and no thread ever sees
 *     another inside (an "inside" flag checked and set under the lock);
 *   - the same with pthread_spin_trylock loops (retrying on EBUSY), 4 x 50000;
 *   - pthread_spin_trylock on a lock held by another thread -> EBUSY, and by
 *     the holder itself -> EBUSY; on a free lock -> 0;
 *   - pthread_spin_init with PTHREAD_PROCESS_PRIVATE, PTHREAD_PROCESS_SHARED
 *     and (glibc does not check it) 42 -> what glibc returns (0), the locks
 *     work; a zero-filled spin lock is LOCKED (glibc on x86_64 stores 1
 *     for "unlocked"), and pthread_spin_unlock makes it usable;
 *   - pthread_spin_unlock and pthread_spin_destroy -> 0;
 *   - a holder that sleeps (usleep) with the lock held while 1 to 8
 *     threads spin for it (as many as mnthread has processors, and more)
 *     still wakes up and releases it; so does a sleeper that 1 to 8
 *     threads wait for in sched_yield loops.
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
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "compat.h"


#define THREADS 4
#define ITERS 100000
#define TRY_ITERS 50000

struct counted {
	pthread_spinlock_t *l;
	int use_trylock;
	volatile long a, b;
	volatile int inside;
	long overlaps, errors;
};

static void *worker(void *arg)
{
	struct counted *c = arg;
	long overlaps = 0, errors = 0;
	int n = c->use_trylock ? TRY_ITERS : ITERS;
	for (int i = 0; i < n; i++) {
		if (c->use_trylock) {
			int rc;
			while ((rc = pthread_spin_trylock(c->l)) == EBUSY)
				sched_yield();
			errors += rc != 0;
		} else {
			errors += pthread_spin_lock(c->l) != 0;
		}
		if (c->inside)
			overlaps++;
		c->inside = 1;
		long a = c->a;
		c->a = a + 1;
		c->b = c->b + 1;
		c->inside = 0;
		errors += pthread_spin_unlock(c->l) != 0;
	}
	__atomic_add_fetch(&c->overlaps, overlaps, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&c->errors, errors, __ATOMIC_SEQ_CST);
	return NULL;
}

static void exclusion(const char *label, pthread_spinlock_t *l, int use_trylock)
{
	struct counted c = {l, use_trylock, 0, 0, 0, 0, 0};
	pthread_t t[THREADS];
	char w[128];
	for (int i = 0; i < THREADS; i++) {
		int rc = pthread_create(&t[i], NULL, worker, &c);
		if (rc != 0) {
			printf("FAIL: pthread_create: %s\n", errname(rc));
			exit(1);
		}
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	long want = (long)THREADS * (use_trylock ? TRY_ITERS : ITERS);
	snprintf(w, sizeof w, "%s: field a", label);
	expect_val(w, c.a, want);
	snprintf(w, sizeof w, "%s: field b", label);
	expect_val(w, c.b, want);
	snprintf(w, sizeof w, "%s: overlaps", label);
	expect_val(w, c.overlaps, 0);
	snprintf(w, sizeof w, "%s: errors", label);
	expect_val(w, c.errors, 0);
}

static void *trylock_thread(void *arg)
{
	pthread_spinlock_t *l = arg;
	int rc = pthread_spin_trylock(l);
	if (rc == 0)
		pthread_spin_unlock(l);
	return (void *)(intptr_t)rc;
}

static int other_trylock(pthread_spinlock_t *l)
{
	pthread_t t;
	void *r;
	if (pthread_create(&t, NULL, trylock_thread, (void *)l) != 0) {
		printf("FAIL: pthread_create\n");
		exit(1);
	}
	pthread_join(t, &r);
	return (int)(intptr_t)r;
}

/* Spinners and yielders that outnumber the processors: the sleeper they
 * wait for must still get to run (under mnthread: its timer fires although
 * every P runs a spinning or yielding thread). */
#define WAITERS 8
static pthread_spinlock_t sleepy;
static atomic_int got_lock, flag_seen;
static volatile int flag;

static void *spin_waiter(void *arg)
{
	(void)arg;
	pthread_spin_lock(&sleepy);
	atomic_fetch_add(&got_lock, 1);
	pthread_spin_unlock(&sleepy);
	return NULL;
}

static void *yield_waiter(void *arg)
{
	(void)arg;
	while (!flag)
		sched_yield();
	atomic_fetch_add(&flag_seen, 1);
	return NULL;
}

/* n waiters, for every n up to WAITERS: the case that used to hang
 * under mnthread is n equal to the number of processors (every P runs a
 * waiter and no run queue holds anything). */
static void sleeper_runs(void)
{
	pthread_t t[WAITERS];
	for (int n = 1; n <= WAITERS; n++) {
		phase = "sleeping holder";
		atomic_store(&got_lock, 0);
		pthread_spin_init(&sleepy, PTHREAD_PROCESS_PRIVATE);
		pthread_spin_lock(&sleepy);
		for (int i = 0; i < n; i++)
			must(pthread_create(&t[i], NULL, spin_waiter, NULL), "pthread_create");
		usleep(10000);
		expect_val("spinners inside while the holder slept", atomic_load(&got_lock), 0);
		pthread_spin_unlock(&sleepy);
		for (int i = 0; i < n; i++)
			pthread_join(t[i], NULL);
		expect_val("spinners that got the lock after the sleep", atomic_load(&got_lock), n);
		pthread_spin_destroy(&sleepy);

		phase = "yielding waiters";
		flag = 0;
		atomic_store(&flag_seen, 0);
		for (int i = 0; i < n; i++)
			must(pthread_create(&t[i], NULL, yield_waiter, NULL), "pthread_create");
		usleep(10000);
		flag = 1;
		for (int i = 0; i < n; i++)
			pthread_join(t[i], NULL);
		expect_val("yielders that saw the sleeper's flag", atomic_load(&flag_seen), n);
	}
}

int main(void)
{
	pthread_spinlock_t l;
	static pthread_spinlock_t zero;   /* zero-filled */

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(90);

	phase = "private";
	expect("init PRIVATE", pthread_spin_init(&l, PTHREAD_PROCESS_PRIVATE), 0);
	exclusion("private lock", &l, 0);
	exclusion("private trylock", &l, 1);

	phase = "trylock";
	expect("trylock free", pthread_spin_trylock(&l), 0);
	expect("trylock by the holder", pthread_spin_trylock(&l), EBUSY);
	expect("trylock by another thread", other_trylock(&l), EBUSY);
	expect("unlock", pthread_spin_unlock(&l), 0);
	expect("trylock by another thread, free", other_trylock(&l), 0);
	expect("lock", pthread_spin_lock(&l), 0);
	expect("trylock by another thread, locked", other_trylock(&l), EBUSY);
	expect("unlock", pthread_spin_unlock(&l), 0);
	expect("destroy", pthread_spin_destroy(&l), 0);

	phase = "shared";
	expect("init SHARED", pthread_spin_init(&l, PTHREAD_PROCESS_SHARED), 0);
	exclusion("shared lock", &l, 0);
	expect("trylock", pthread_spin_trylock(&l), 0);
	expect("trylock by another thread", other_trylock(&l), EBUSY);
	expect("unlock", pthread_spin_unlock(&l), 0);
	expect("destroy", pthread_spin_destroy(&l), 0);

	phase = "pshared 42";
	expect("init pshared 42", pthread_spin_init(&l, 42), 0);
	expect("trylock", pthread_spin_trylock(&l), 0);
	expect("unlock", pthread_spin_unlock(&l), 0);
	expect("destroy", pthread_spin_destroy(&l), 0);

	phase = "zero-filled";
	/* glibc's x86_64 spin locks use 1 for "unlocked" (pthread_spin_init
	 * stores 1, trylock swaps 1 for 0): zero-filled memory is a LOCKED
	 * spin lock, and pthread_spin_unlock makes it usable. */
	expect("zero-filled: trylock", pthread_spin_trylock(&zero), EBUSY);
	expect("zero-filled: trylock by another thread", other_trylock(&zero), EBUSY);
	expect("zero-filled: unlock", pthread_spin_unlock(&zero), 0);
	expect("zero-filled, unlocked: trylock", pthread_spin_trylock(&zero), 0);
	expect("zero-filled, unlocked: trylock by another thread", other_trylock(&zero),
	       EBUSY);
	expect("zero-filled, unlocked: unlock", pthread_spin_unlock(&zero), 0);
	exclusion("zero-filled lock", &zero, 0);

	sleeper_runs();

	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
