/* thread_errors: the error numbers of glibc's thread functions.
 *
 * Proves: each misuse below returns the error number glibc returns:
 *   join self -> EDEADLK; join a detached thread -> EINVAL; detach twice ->
 *   EINVAL; pthread_tryjoin_np on a running thread -> EBUSY;
 *   pthread_tryjoin_np on a detached running thread -> EBUSY (glibc
 *   checks "running" first); pthread_timedjoin_np with a past deadline on
 *   a running thread -> ETIMEDOUT; pthread_clockjoin_np with
 *   CLOCK_PROCESS_CPUTIME_ID -> EINVAL; pthread_attr_setdetachstate(42),
 *   setinheritsched(42), setschedpolicy(42) -> EINVAL; a stack size below
 *   PTHREAD_STACK_MIN -> EINVAL; setscope(PTHREAD_SCOPE_PROCESS) ->
 *   ENOTSUP; joining a thread created detached -> EINVAL.
 * And the successes around them: tryjoin/timedjoin/clockjoin of a finished
 * thread return 0 and its result, detaching a finished thread returns 0.
 * Threads whose handles are used are kept alive (blocked on a gate) until
 * the misuse has been tried, so every handle is valid.
 *
 * Expects: exit 0 and one "name: ERRNAME" line per case.  A result that
 * differs from the expected one prints "FAIL: ..." and exits 1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures;

static const char *errname(int e)
{
	static char buf[32];
	switch (e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case EDEADLK: return "EDEADLK";
	case EBUSY: return "EBUSY";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ENOTSUP: return "ENOTSUP";
	case ESRCH: return "ESRCH";
	case EAGAIN: return "EAGAIN";
	case EPERM: return "EPERM";
	case ENOMEM: return "ENOMEM";
	case ERANGE: return "ERANGE";
	}
	snprintf(buf, sizeof buf, "E?%d", e);
	return buf;
}

static void expect(const char *name, int got, int want)
{
	printf("%s: %s\n", name, errname(got));
	if (got != want) {
		printf("FAIL: %s: expected %s\n", name, errname(want));
		failures++;
	}
}

/* A gate: threads block until it opens.  Each thread gets its own. */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int open;
	int started;
};
#define GATE_INIT {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0}

static void *gated(void *arg)
{
	struct gate *g = arg;
	pthread_mutex_lock(&g->mu);
	g->started = 1;
	pthread_cond_broadcast(&g->cv);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
	return (void *)(intptr_t)77;
}

static void wait_started(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	while (!g->started)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void open_gate(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->open = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

static pthread_t start(struct gate *g, const pthread_attr_t *attr)
{
	pthread_t t;
	int rc = pthread_create(&t, attr, gated, g);
	if (rc != 0) {
		printf("FAIL: pthread_create: %s\n", errname(rc));
		exit(1);
	}
	wait_started(g);
	return t;
}

static void *quick(void *arg)
{
	return arg;
}

int main(void)
{
	pthread_attr_t attr;
	struct timespec ts;
	void *ret;

	/* Joining oneself. */
	expect("join self", pthread_join(pthread_self(), NULL), EDEADLK);

	/* A running thread, detached after creation. */
	static struct gate g1 = GATE_INIT;
	pthread_t t1 = start(&g1, NULL);
	expect("detach running", pthread_detach(t1), 0);
	expect("join detached", pthread_join(t1, NULL), EINVAL);
	expect("detach twice", pthread_detach(t1), EINVAL);
	/* glibc's tryjoin looks at "still running" before "detached". */
	expect("tryjoin detached running", pthread_tryjoin_np(t1, NULL), EBUSY);
	/* Keep g1's thread alive until the end: its handle stays valid. */

	/* A running joinable thread. */
	static struct gate g2 = GATE_INIT;
	pthread_t t2 = start(&g2, NULL);
	expect("tryjoin running", pthread_tryjoin_np(t2, NULL), EBUSY);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec -= 1;
	expect("timedjoin past deadline", pthread_timedjoin_np(t2, NULL, &ts),
	       ETIMEDOUT);
	ts.tv_sec = 0;
	ts.tv_nsec = 0;
	expect("timedjoin epoch deadline", pthread_timedjoin_np(t2, NULL, &ts),
	       ETIMEDOUT);
	/* Not tried: a deadline with tv_nsec >= 1e9.  glibc 2.36 does not
	 * return EINVAL there: its join loop ignores the futex wait's EINVAL
	 * and spins until the thread ends. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	expect("clockjoin monotonic past",
	       pthread_clockjoin_np(t2, NULL, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	ts.tv_sec += 5;
	expect("clockjoin CLOCK_PROCESS_CPUTIME_ID",
	       pthread_clockjoin_np(t2, NULL, CLOCK_PROCESS_CPUTIME_ID, &ts),
	       EINVAL);
	expect("clockjoin clock 12345",
	       pthread_clockjoin_np(t2, NULL, (clockid_t)12345, &ts), EINVAL);
	open_gate(&g2);
	ret = NULL;
	expect("join after gate", pthread_join(t2, &ret), 0);
	if (ret != (void *)(intptr_t)77) {
		printf("FAIL: join returned a wrong value\n");
		failures++;
	}

	/* Finished threads: the *join_np forms and detach succeed. */
	pthread_t t3;
	pthread_create(&t3, NULL, quick, (void *)(intptr_t)3);
	expect("timedjoin finishing",
	       pthread_timedjoin_np(t3, &ret,
				    &(struct timespec){time(NULL) + 60, 0}),
	       0);
	if (ret != (void *)(intptr_t)3) {
		printf("FAIL: timedjoin returned a wrong value\n");
		failures++;
	}
	pthread_create(&t3, NULL, quick, (void *)(intptr_t)4);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += 60;
	expect("clockjoin finishing",
	       pthread_clockjoin_np(t3, &ret, CLOCK_MONOTONIC, &ts), 0);
	if (ret != (void *)(intptr_t)4) {
		printf("FAIL: clockjoin returned a wrong value\n");
		failures++;
	}
	pthread_create(&t3, NULL, quick, (void *)(intptr_t)5);
	pthread_join(t3, NULL);   /* so that the next thread is surely done */
	pthread_create(&t3, NULL, quick, (void *)(intptr_t)6);
	int rc;
	while ((rc = pthread_tryjoin_np(t3, &ret)) == EBUSY)
		sched_yield();
	expect("tryjoin finished", rc, 0);
	if (ret != (void *)(intptr_t)6) {
		printf("FAIL: tryjoin returned a wrong value\n");
		failures++;
	}
	pthread_create(&t3, NULL, quick, NULL);
	expect("detach finishing", pthread_detach(t3), 0);

	/* Attribute misuse. */
	pthread_attr_init(&attr);
	expect("setdetachstate 42", pthread_attr_setdetachstate(&attr, 42),
	       EINVAL);
	expect("setinheritsched 42", pthread_attr_setinheritsched(&attr, 42),
	       EINVAL);
	expect("setschedpolicy 42", pthread_attr_setschedpolicy(&attr, 42),
	       EINVAL);
	expect("setstacksize PTHREAD_STACK_MIN-1",
	       pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN - 1), EINVAL);
	expect("setstacksize 0", pthread_attr_setstacksize(&attr, 0), EINVAL);
	expect("setstacksize PTHREAD_STACK_MIN",
	       pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN), 0);
	expect("setscope PTHREAD_SCOPE_PROCESS",
	       pthread_attr_setscope(&attr, PTHREAD_SCOPE_PROCESS), ENOTSUP);
	expect("setscope 42", pthread_attr_setscope(&attr, 42), EINVAL);
	expect("setscope PTHREAD_SCOPE_SYSTEM",
	       pthread_attr_setscope(&attr, PTHREAD_SCOPE_SYSTEM), 0);
	pthread_attr_destroy(&attr);

	/* Created detached, then joined: the thread is still blocked. */
	static struct gate g4 = GATE_INIT;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t t4 = start(&g4, &attr);
	pthread_attr_destroy(&attr);
	expect("join created-detached", pthread_join(t4, NULL), EINVAL);
	expect("detach created-detached", pthread_detach(t4), EINVAL);
	expect("timedjoin created-detached",
	       pthread_timedjoin_np(t4, NULL,
				    &(struct timespec){time(NULL) + 60, 0}),
	       EINVAL);

	open_gate(&g4);
	open_gate(&g1);

	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all %s\n", "as expected");
	return 0;
}
