/* c11_threads: the C11 <threads.h> interface.
 *
 * Proves: thrd_create returns thrd_success and thrd_join delivers the
 * thread's int result; thrd_exit from a nested call ends the thread with
 * its value; thrd_detach returns thrd_success and a detached thread runs
 * to completion (a mtx/cnd handshake tells main); thrd_yield works in a
 * loop; thrd_sleep of 10 ms returns 0 after at least that long;
 * thrd_current inside a thread equals (thrd_equal) the id thrd_create
 * gave, differs from main's, and thrd_equal(thrd_current(),
 * thrd_current()) holds; tss_create/tss_set/tss_get are per thread, the
 * tss destructor runs at each thread's exit with that thread's value,
 * and a key deleted (tss_delete) while a thread holds a value calls no
 * destructor; call_once from 8 threads runs its function once.  glibc
 * implements these with internal calls that an interposer of pthread_*
 * alone does not see.
 *
 * Expects: exit 0 and the fixed lines below; a broken claim prints
 * "FAIL: ..." and exits 1.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <threads.h>
#include <time.h>
#define COMPAT_C11 /* <threads.h>: none of the pthread helpers */
#include "compat.h"

#define NTHREADS 8

static tss_t key;
static tss_t dead_key;
static atomic_int dtor_calls, dtor_sum, dead_dtor_calls;
static once_flag flag = ONCE_FLAG_INIT;
static atomic_int once_calls;
static thrd_t seen_self[NTHREADS];
static thrd_t main_thrd;

static mtx_t mu;
static cnd_t cv;
static int detached_done;   /* guarded by mu */

static void dtor(void *v)
{
	atomic_fetch_add(&dtor_calls, 1);
	atomic_fetch_add(&dtor_sum, *(int *)v);
}

static void dead_dtor(void *v)
{
	atomic_fetch_add(&dead_dtor_calls, 1);
}

static void once_fn(void)
{
	atomic_fetch_add(&once_calls, 1);
	thrd_yield();
}

static int values[NTHREADS];

static int worker(void *arg)
{
	int id = (int)(intptr_t)arg;

	seen_self[id] = thrd_current();
	if (thrd_equal(thrd_current(), main_thrd))
		FAIL("thread %d: thrd_current equals main's", id);
	if (!thrd_equal(thrd_current(), thrd_current()))
		FAIL("thrd_equal(current, current) is false");
	if (tss_get(key) != NULL)
		FAIL("tss value not NULL at thread start");
	values[id] = id + 1;
	if (tss_set(key, &values[id]) != thrd_success)
		FAIL("tss_set");
	call_once(&flag, once_fn);
	for (int i = 0; i < 500; i++) {
		thrd_yield();
		if (tss_get(key) != &values[id])
			FAIL("thread %d: tss value changed after yield", id);
	}
	return 100 + id;
}

__attribute__((noinline)) static void exit_inner(int value)
{
	thrd_exit(value);
}

__attribute__((noinline)) static void exit_outer(int value)
{
	exit_inner(value);
}

static int exiter(void *arg)
{
	exit_outer((int)(intptr_t)arg);
	return -1;   /* not reached */
}

static int holder_state;   /* guarded by mu: 1 value set, 2 key deleted */

/* Sets dead_key, then exits only after main has deleted it. */
static int holder(void *arg)
{
	if (tss_set(dead_key, &values[0]) != thrd_success)
		FAIL("tss_set dead_key");
	mtx_lock(&mu);
	holder_state = 1;
	cnd_broadcast(&cv);
	while (holder_state != 2)
		cnd_wait(&cv, &mu);
	mtx_unlock(&mu);
	return 0;
}

static int detached(void *arg)
{
	thrd_sleep(&(struct timespec){0, 5000000}, NULL);
	mtx_lock(&mu);
	detached_done = 1;
	cnd_signal(&cv);
	mtx_unlock(&mu);
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	thrd_t th[NTHREADS], t;
	int res;

	main_thrd = thrd_current();
	if (tss_create(&key, dtor) != thrd_success ||
	    tss_create(&dead_key, dead_dtor) != thrd_success)
		FAIL("tss_create");
	if (mtx_init(&mu, mtx_plain) != thrd_success ||
	    cnd_init(&cv) != thrd_success)
		FAIL("mtx_init/cnd_init");

	for (int i = 0; i < NTHREADS; i++)
		if (thrd_create(&th[i], worker, (void *)(intptr_t)i) !=
		    thrd_success)
			FAIL("thrd_create");
	int sum = 0;
	for (int i = 0; i < NTHREADS; i++) {
		if (thrd_join(th[i], &res) != thrd_success)
			FAIL("thrd_join");
		if (res != 100 + i)
			FAIL("thread %d returned %d", i, res);
		if (!thrd_equal(th[i], seen_self[i]))
			FAIL("thread %d: thrd_current differs from thrd_create's",
			     i);
		sum += res;
	}
	printf("thrd_create/thrd_join: %d threads, results sum %d\n",
	       NTHREADS, sum);
	printf("call_once ran %d\n", atomic_load(&once_calls));
	printf("tss destructor calls %d, value sum %d\n",
	       atomic_load(&dtor_calls), atomic_load(&dtor_sum));
	if (atomic_load(&once_calls) != 1 ||
	    atomic_load(&dtor_calls) != NTHREADS ||
	    atomic_load(&dtor_sum) != NTHREADS * (NTHREADS + 1) / 2)
		FAIL("call_once or tss destructor counts");

	/* tss_delete while a thread holds a value: no destructor runs. */
	if (thrd_create(&t, holder, NULL) != thrd_success)
		FAIL("thrd_create holder");
	mtx_lock(&mu);
	while (holder_state != 1)
		cnd_wait(&cv, &mu);
	tss_delete(dead_key);
	holder_state = 2;
	cnd_broadcast(&cv);
	mtx_unlock(&mu);
	if (thrd_join(t, &res) != thrd_success || res != 0)
		FAIL("thrd_join holder");
	printf("destructor calls of a tss key deleted while set: %d\n",
	       atomic_load(&dead_dtor_calls));
	if (atomic_load(&dead_dtor_calls) != 0)
		FAIL("destructor of a deleted tss key ran");

	/* thrd_exit from a nested call. */
	if (thrd_create(&t, exiter, (void *)(intptr_t)37) != thrd_success ||
	    thrd_join(t, &res) != thrd_success)
		FAIL("thrd_exit thread");
	printf("thrd_exit value %d\n", res);
	if (res != 37)
		FAIL("thrd_exit value");

	/* thrd_detach, then wait for the thread's word. */
	if (thrd_create(&t, detached, NULL) != thrd_success)
		FAIL("thrd_create detached");
	printf("thrd_detach: %s\n",
	       thrd_detach(t) == thrd_success ? "thrd_success" : "error");
	mtx_lock(&mu);
	while (!detached_done)
		cnd_wait(&cv, &mu);
	mtx_unlock(&mu);
	printf("detached thread finished\n");

	/* thrd_sleep. */
	double t0 = now();
	struct timespec rem = {9, 9};
	res = thrd_sleep(&(struct timespec){0, 10000000}, &rem);
	double dt = now() - t0;
	printf("thrd_sleep 10 ms: returned %d, slept long enough: %s\n", res,
	       dt >= 0.0099 ? "yes" : "no");
	if (res != 0 || dt < 0.0099)
		FAIL("thrd_sleep");

	for (int i = 0; i < 1000; i++)
		thrd_yield();
	printf("thrd_yield x1000: ok\n");
	if (!thrd_equal(thrd_current(), main_thrd))
		FAIL("main's thrd_current changed");
	tss_delete(key);
	mtx_destroy(&mu);
	cnd_destroy(&cv);
	printf("ok\n");
	return 0;
}
