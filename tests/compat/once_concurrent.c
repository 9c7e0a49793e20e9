/* once_concurrent: pthread_once under contention.
 *
 * Proves: with 16 threads released together onto one pthread_once, the
 * init routine runs exactly once, the others wait for it (it yields and
 * works for a while) and all see its effects when pthread_once returns;
 * an init routine that itself calls pthread_once on a different control
 * works (no deadlock, inner init once); 100 once controls hit by all 16
 * threads in different orders each run their init exactly once; a control
 * already done returns at once.
 *
 * Expects: exit 0 and the fixed counts below; a broken claim prints
 * "FAIL: ..." and exits 1.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "compat.h"

#define NTHREADS 16
#define NCTL 100

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_once_t outer = PTHREAD_ONCE_INIT;
static pthread_once_t inner = PTHREAD_ONCE_INIT;
static pthread_once_t ctl[NCTL];

static atomic_int init_runs, outer_runs, inner_runs, ctl_runs[NCTL];
static int payload;        /* written only by init, read after once */
static int inner_payload;  /* written only by init_inner */
static atomic_int arrived;

static void init(void)
{
	atomic_fetch_add(&init_runs, 1);
	/* Take a while, so that the others really wait. */
	for (int i = 0; i < 200; i++)
		sched_yield();
	payload = 42;
}

static void init_inner(void)
{
	atomic_fetch_add(&inner_runs, 1);
	sched_yield();
	inner_payload = 7;
}

static void init_outer(void)
{
	atomic_fetch_add(&outer_runs, 1);
	pthread_once(&inner, init_inner);
	if (inner_payload != 7)
		FAIL("inner once not complete inside outer init");
}

/* pthread_once passes no argument: the caller leaves the index of the
 * control it is about to use in a thread-local variable. */
static _Thread_local int my_ctl;

static void init_indexed(void)
{
	atomic_fetch_add(&ctl_runs[my_ctl], 1);
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;

	atomic_fetch_add(&arrived, 1);
	while (atomic_load(&arrived) < NTHREADS)
		sched_yield();

	if (pthread_once(&once, init) != 0)
		FAIL("pthread_once");
	if (payload != 42)
		FAIL("thread %d: pthread_once returned before init finished",
		     id);
	if (pthread_once(&outer, init_outer) != 0 || inner_payload != 7)
		FAIL("nested pthread_once");

	for (int k = 0; k < NCTL; k++) {
		my_ctl = (k + id * 7) % NCTL;
		if (pthread_once(&ctl[my_ctl], init_indexed) != 0)
			FAIL("pthread_once ctl %d", my_ctl);
		if (atomic_load(&ctl_runs[my_ctl]) != 1)
			FAIL("ctl %d: init not done when once returned", my_ctl);
	}
	/* Already done: returns without running init again. */
	if (pthread_once(&once, init) != 0 || atomic_load(&init_runs) != 1)
		FAIL("second pthread_once ran init again");
	return NULL;
}

int main(void)
{
	pthread_t th[NTHREADS];

	for (int i = 0; i < NCTL; i++)
		ctl[i] = (pthread_once_t)PTHREAD_ONCE_INIT;
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i))
			FAIL("pthread_create");
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_join(th[i], NULL))
			FAIL("pthread_join");

	int total = 0;
	for (int i = 0; i < NCTL; i++) {
		if (atomic_load(&ctl_runs[i]) != 1)
			FAIL("ctl %d init ran %d times", i,
			     atomic_load(&ctl_runs[i]));
		total += atomic_load(&ctl_runs[i]);
	}
	printf("threads %d\n", NTHREADS);
	printf("init ran %d\n", atomic_load(&init_runs));
	printf("outer init ran %d, inner init ran %d\n",
	       atomic_load(&outer_runs), atomic_load(&inner_runs));
	printf("%d controls, inits %d\n", NCTL, total);
	if (atomic_load(&init_runs) != 1 || atomic_load(&outer_runs) != 1 ||
	    atomic_load(&inner_runs) != 1)
		FAIL("an init ran more than once");
	return 0;
}
