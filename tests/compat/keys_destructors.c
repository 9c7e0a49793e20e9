/* keys_destructors: pthread_key_* values and destructors.
 *
 * Proves: key values are per thread and survive yields; at thread exit
 * (return or pthread_exit) each key's destructor runs once with the
 * thread's non-NULL value and sees the key already reset to NULL; a
 * destructor that sets its value again is called again, for at most
 * PTHREAD_DESTRUCTOR_ITERATIONS (4) rounds in all; one that sets it once
 * more runs exactly twice; keys with a NULL value, keys without a
 * destructor and keys deleted while threads still hold values call
 * nothing; a new key starts NULL in every thread, also when it reuses a
 * deleted key's slot; creating keys until EAGAIN stops at or below
 * PTHREAD_KEYS_MAX, and deleting them makes room again.  The order in
 * which different keys' destructors run is not asserted (POSIX leaves it
 * unspecified).
 *
 * Expects: exit 0 and the fixed counts below; a broken claim prints
 * "FAIL: ..." and exits 1.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "compat.h"

#define NTHREADS 8

static pthread_key_t k_plain;    /* destructor once */
static pthread_key_t k_again;    /* destructor re-sets its value always */
static pthread_key_t k_twice;    /* destructor re-sets its value once */
static pthread_key_t k_null;     /* never set: destructor must not run */
static pthread_key_t k_nodtor;   /* no destructor */
static pthread_key_t k_deleted;  /* deleted while threads hold values */

static atomic_int plain_calls, again_calls, twice_calls, null_calls,
	deleted_calls;
static atomic_int plain_seen[NTHREADS];
static int vals[NTHREADS];
static int again_max = 0;   /* most rounds seen in one thread */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int values_set;      /* guarded by mu */
static int key_deleted;     /* guarded by mu */

static void d_plain(void *v)
{
	int id = (int *)v - vals;
	if (id < 0 || id >= NTHREADS)
		FAIL("d_plain: bad value");
	if (pthread_getspecific(k_plain) != NULL)
		FAIL("d_plain: key not reset to NULL before its destructor");
	atomic_fetch_add(&plain_seen[id], 1);
	atomic_fetch_add(&plain_calls, 1);
}

/* The value counts the rounds: 1, 2, 3, ... */
static void d_again(void *v)
{
	intptr_t round = (intptr_t)v;
	atomic_fetch_add(&again_calls, 1);
	pthread_mutex_lock(&mu);
	if (round > again_max)
		again_max = (int)round;
	pthread_mutex_unlock(&mu);
	pthread_setspecific(k_again, (void *)(round + 1));
}

static void d_twice(void *v)
{
	atomic_fetch_add(&twice_calls, 1);
	if ((intptr_t)v == 1)
		pthread_setspecific(k_twice, (void *)2);
	else if ((intptr_t)v != 2)
		FAIL("d_twice: bad value");
}

static void d_null(void *v)
{
	atomic_fetch_add(&null_calls, 1);
}

static void d_deleted(void *v)
{
	atomic_fetch_add(&deleted_calls, 1);
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;

	if (pthread_getspecific(k_plain) != NULL ||
	    pthread_getspecific(k_again) != NULL)
		FAIL("thread %d: key values not NULL at start", id);
	if (pthread_setspecific(k_plain, &vals[id]) ||
	    pthread_setspecific(k_again, (void *)1) ||
	    pthread_setspecific(k_twice, (void *)1) ||
	    pthread_setspecific(k_nodtor, &vals[id]) ||
	    pthread_setspecific(k_deleted, &vals[id]))
		FAIL("thread %d: pthread_setspecific", id);
	pthread_setspecific(k_null, NULL);

	pthread_mutex_lock(&mu);
	values_set++;
	pthread_cond_broadcast(&cv);
	while (!key_deleted)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);

	for (int i = 0; i < 1000; i++) {
		sched_yield();
		if (pthread_getspecific(k_plain) != &vals[id] ||
		    pthread_getspecific(k_nodtor) != &vals[id] ||
		    pthread_getspecific(k_again) != (void *)1)
			FAIL("thread %d: key value changed after yield", id);
	}
	if (id % 2)
		pthread_exit(NULL);
	return NULL;
}

/* Keys in both of glibc's levels (the first 32 live in the thread
 * descriptor, the rest in blocks allocated on first use): every new
 * thread, including one that reuses an exited thread's descriptor, starts
 * with all of them NULL, whatever the threads before it left there. */
#define NWIDE 80
static pthread_key_t wide[NWIDE];
static atomic_int wide_dirty, wide_dtor;

static void d_wide(void *v)
{
	(void)v;
	atomic_fetch_add(&wide_dtor, 1);
}

static void *wide_worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	for (int i = 0; i < NWIDE; i++)
		if (pthread_getspecific(wide[i]) != NULL)
			atomic_fetch_add(&wide_dirty, 1);
	for (int i = id % 3; i < NWIDE; i += 1 + id % 4)
		pthread_setspecific(wide[i], (void *)(intptr_t)(i + 1));
	if (id % 5 == 0) /* set, then back to NULL: no destructor call */
		for (int i = 0; i < NWIDE; i++)
			pthread_setspecific(wide[i], NULL);
	return NULL;
}

static void wide_keys(void)
{
	int expect = 0;
	for (int i = 0; i < NWIDE; i++)
		if (pthread_key_create(&wide[i], d_wide))
			FAIL("wide key create");
	for (int id = 0; id < 300; id++) {
		pthread_t t;
		if (pthread_create(&t, NULL, wide_worker, (void *)(intptr_t)id) || pthread_join(t, NULL))
			FAIL("wide thread");
		if (id % 5)
			for (int i = id % 3; i < NWIDE; i += 1 + id % 4)
				expect++;
	}
	printf("keys in both levels: new threads saw a stale value %d times; destructor calls as expected: %s\n",
	       atomic_load(&wide_dirty), atomic_load(&wide_dtor) == expect ? "yes" : "no");
	for (int i = 0; i < NWIDE; i++)
		pthread_key_delete(wide[i]);
}

static void key_limit(void)
{
	static pthread_key_t many[PTHREAD_KEYS_MAX + 1];
	int n = 0, rc = 0;

	while (n <= PTHREAD_KEYS_MAX &&
	       (rc = pthread_key_create(&many[n], NULL)) == 0)
		n++;
	printf("key_create until failure: %s, at most PTHREAD_KEYS_MAX: %s\n",
	       rc == EAGAIN ? "EAGAIN" : "?", n <= PTHREAD_KEYS_MAX ? "yes" : "no");
	if (rc != EAGAIN || n > PTHREAD_KEYS_MAX || n < 100)
		FAIL("key limit: %d keys, rc %d", n, rc);
	for (int i = 0; i < n; i++)
		if (pthread_key_delete(many[i]) != 0)
			FAIL("pthread_key_delete #%d", i);
	for (int i = 0; i < n; i++)
		if (pthread_key_create(&many[i], NULL) != 0)
			FAIL("key_create after deleting all: #%d", i);
	for (int i = 0; i < n; i++)
		pthread_key_delete(many[i]);
	printf("keys deleted and created again: ok\n");
}

int main(void)
{
	pthread_t th[NTHREADS];

	if (pthread_key_create(&k_plain, d_plain) ||
	    pthread_key_create(&k_again, d_again) ||
	    pthread_key_create(&k_twice, d_twice) ||
	    pthread_key_create(&k_null, d_null) ||
	    pthread_key_create(&k_nodtor, NULL) ||
	    pthread_key_create(&k_deleted, d_deleted))
		FAIL("pthread_key_create");

	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i))
			FAIL("pthread_create");

	pthread_mutex_lock(&mu);
	while (values_set < NTHREADS)
		pthread_cond_wait(&cv, &mu);
	if (pthread_key_delete(k_deleted) != 0)
		FAIL("pthread_key_delete");
	key_deleted = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);

	for (int i = 0; i < NTHREADS; i++)
		if (pthread_join(th[i], NULL))
			FAIL("pthread_join");

	printf("threads %d\n", NTHREADS);
	printf("plain destructor calls %d\n", atomic_load(&plain_calls));
	printf("re-setting destructor calls %d (%d rounds per thread)\n",
	       atomic_load(&again_calls), again_max);
	printf("set-once-more destructor calls %d\n", atomic_load(&twice_calls));
	printf("NULL-valued key destructor calls %d\n", atomic_load(&null_calls));
	printf("deleted key destructor calls %d\n", atomic_load(&deleted_calls));
	if (atomic_load(&plain_calls) != NTHREADS)
		FAIL("plain destructor calls");
	for (int i = 0; i < NTHREADS; i++)
		if (atomic_load(&plain_seen[i]) != 1)
			FAIL("thread %d: plain destructor ran %d times", i,
			     atomic_load(&plain_seen[i]));
	if (again_max != PTHREAD_DESTRUCTOR_ITERATIONS ||
	    atomic_load(&again_calls) != NTHREADS * PTHREAD_DESTRUCTOR_ITERATIONS)
		FAIL("re-setting destructor: expected %d rounds",
		     PTHREAD_DESTRUCTOR_ITERATIONS);
	if (atomic_load(&twice_calls) != 2 * NTHREADS)
		FAIL("set-once-more destructor calls");
	if (atomic_load(&null_calls) != 0 || atomic_load(&deleted_calls) != 0)
		FAIL("a destructor ran that must not");

	wide_keys();

	/* A new key starts NULL, also in a slot a deleted key used. */
	static int x;
	pthread_key_t ka, kb;
	if (pthread_key_create(&ka, NULL) || pthread_setspecific(ka, &x))
		FAIL("key ka");
	pthread_key_delete(ka);
	if (pthread_key_create(&kb, NULL))
		FAIL("key kb");
	printf("new key after delete starts NULL: %s\n",
	       pthread_getspecific(kb) == NULL ? "yes" : "no");
	if (pthread_getspecific(kb) != NULL)
		FAIL("new key not NULL");
	pthread_key_delete(kb);

	key_limit();
	printf("ok\n");
	return 0;
}
