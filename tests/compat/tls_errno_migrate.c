/* tls_errno_migrate: per-thread state survives yields and migrations.
 *
 * Proves: errno, __thread variables (initialised from a nonzero TLS image,
 * then given per-thread values), the address of errno and of a __thread
 * variable, pthread_self() and a pthread_key value all stay those of the
 * calling thread across sched_yield() and busy work, with 8 threads doing
 * 20,000 yields each (a user-level scheduler migrates them between OS
 * threads here; peers were seen returning another thread's errno after a
 * yield).  Also: pthread_self() inside a thread equals the pthread_t that
 * pthread_create returned for it.
 *
 * Expects: exit 0 and the fixed summary below; any wrong value prints
 * "FAIL: ..." and exits 1.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "compat.h"

#define NTHREADS 8
#define NYIELDS 20000

__thread int tv = 42;                          /* nonzero TLS image */
__thread long tarr[4] = {1, 2, 3, 4};          /* a larger image */
static __thread unsigned long long tbss;       /* zero-initialised TLS */

static pthread_key_t key;
static atomic_int arrived;
static atomic_long total_checks;
static pthread_t self_seen[NTHREADS];
static int slots[NTHREADS + 1];

/* Out of line, so the compiler cannot fold the address computation into the
 * caller and must ask the thread pointer each time. */
__attribute__((noinline)) static int *tv_addr(void) { return &tv; }
__attribute__((noinline)) static int *errno_addr(void) { return &errno; }

/* Busy work between yields, long enough for a time-slice preemption to hit
 * it sometimes; the result is checked so the loop cannot be dropped. */
__attribute__((noinline)) static unsigned busy(unsigned seed, int n)
{
	volatile unsigned x = seed;
	for (int i = 0; i < n; i++)
		x = x * 1103515245u + 12345u;
	return x;
}

static long worker_loop(int id, pthread_t self0)
{
	long checks = 0;
	int *tva = tv_addr(), *erra = errno_addr();
	int errval = 1000 + id;

	if (pthread_setspecific(key, &slots[id]) != 0)
		FAIL("thread %d: pthread_setspecific", id);
	tv = 7000 + id;
	tarr[2] = 100 * id;
	tbss = 0xabc0000ull + (unsigned)id;

	for (int i = 0; i < NYIELDS; i++) {
		errno = errval;
		if (sched_yield() != 0)
			FAIL("thread %d: sched_yield failed", id);
		if (errno != errval)
			FAIL("thread %d: errno %d after yield %d, expected %d",
			     id, errno, i, errval);
		unsigned r1 = busy((unsigned)i, (i % 64) * 8);
		unsigned r2 = busy((unsigned)i, (i % 64) * 8);
		if (r1 != r2)
			FAIL("thread %d: busy work differs", id);
		if (errno != errval)
			FAIL("thread %d: errno %d after busy work, expected %d",
			     id, errno, errval);
		if (tv != 7000 + id || tarr[2] != 100 * id || tarr[3] != 4 ||
		    tbss != 0xabc0000ull + (unsigned)id)
			FAIL("thread %d: __thread values wrong after yield %d",
			     id, i);
		if (tv_addr() != tva || errno_addr() != erra)
			FAIL("thread %d: TLS address moved after yield %d", id,
			     i);
		pthread_t s = pthread_self();
		if (s != self0 || !pthread_equal(s, self0))
			FAIL("thread %d: pthread_self changed after yield %d",
			     id, i);
		if (pthread_getspecific(key) != &slots[id])
			FAIL("thread %d: key value wrong after yield %d", id,
			     i);
		/* vary the errno value so a stale copy cannot pass by luck */
		errval = 1000 + id + (i & 1) * 100;
		checks += 6;
	}
	return checks;
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;

	if (tv != 42 || tarr[0] != 1 || tarr[3] != 4 || tbss != 0)
		FAIL("thread %d: TLS not initialised from its image", id);
	if (errno != 0)
		FAIL("thread %d: errno %d at thread start", id, errno);
	if (pthread_getspecific(key) != NULL)
		FAIL("thread %d: key value not NULL at thread start", id);
	self_seen[id] = pthread_self();

	/* Start together so the threads really overlap. */
	atomic_fetch_add(&arrived, 1);
	while (atomic_load(&arrived) < NTHREADS)
		sched_yield();

	atomic_fetch_add(&total_checks, worker_loop(id, self_seen[id]));
	return arg;
}

int main(void)
{
	pthread_t th[NTHREADS];

	if (pthread_key_create(&key, NULL) != 0)
		FAIL("pthread_key_create");
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i))
			FAIL("pthread_create %d", i);

	/* The main thread checks its own state while the others run. */
	tv = 1;
	errno = 0;
	pthread_t mself = pthread_self();
	int *mtva = tv_addr();
	pthread_setspecific(key, &slots[NTHREADS]);
	for (int i = 0; i < 2000; i++) {
		errno = 555;
		sched_yield();
		if (errno != 555 || tv != 1 || tv_addr() != mtva ||
		    !pthread_equal(pthread_self(), mself) ||
		    pthread_getspecific(key) != &slots[NTHREADS])
			FAIL("main thread state changed after yield %d", i);
	}

	for (int i = 0; i < NTHREADS; i++) {
		void *ret;
		if (pthread_join(th[i], &ret) != 0)
			FAIL("pthread_join %d", i);
		if (ret != (void *)(intptr_t)i)
			FAIL("thread %d returned a wrong value", i);
		if (!pthread_equal(self_seen[i], th[i]))
			FAIL("thread %d: pthread_self() != pthread_create's id",
			     i);
	}
	for (int i = 0; i < NTHREADS; i++)
		for (int j = i + 1; j < NTHREADS; j++)
			if (pthread_equal(self_seen[i], self_seen[j]))
				FAIL("threads %d and %d had the same id", i, j);

	printf("threads %d\n", NTHREADS);
	printf("yields per thread %d\n", NYIELDS);
	printf("checks %ld\n", atomic_load(&total_checks));
	printf("checks ok\n");
	return 0;
}
