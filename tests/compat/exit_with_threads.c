/* exit_with_threads: exit() while other threads are still running.
 *
 * Proves: exit(0) called by main ends the process at once although other
 * threads are still busy (spinning with sched_yield and snprintf), asleep
 * in nanosleep for an hour, or blocked for ever in pthread_cond_wait; all
 * lines written to stdout with stdio and never flushed (stdout is a pipe
 * under compare, so fully buffered), by main and by another thread, still
 * appear; an atexit handler registered from a non-main thread runs at exit
 * (atexit mangles the handler with the per-thread pointer guard).
 *
 * Expects: exit status 0 and the fixed lines below, the atexit line last.
 * Nothing may be lost or duplicated.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NSPIN 3
#define NLINES 2000

static atomic_int ready;
static atomic_int registered;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void at_exit_handler(void)
{
	printf("atexit handler registered in a thread ran\n");
}

static void *spinner(void *arg)
{
	char buf[64];
	unsigned long n = 0;

	atomic_fetch_add(&ready, 1);
	for (;;) {
		snprintf(buf, sizeof buf, "spin %lu %ld", n++,
			 (long)(intptr_t)arg);
		sched_yield();
	}
	return NULL;
}

static void *sleeper(void *arg)
{
	atomic_fetch_add(&ready, 1);
	for (;;) {
		struct timespec ts = {3600, 0};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void *waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	atomic_fetch_add(&ready, 1);
	for (;;)
		pthread_cond_wait(&never, &mu);
	return NULL;
}

static void *registrar(void *arg)
{
	if (atexit(at_exit_handler) != 0) {
		printf("FAIL: atexit in a thread\n");
		exit(1);
	}
	printf("thread: registered an atexit handler\n");
	atomic_store(&registered, 1);
	return spinner(arg);
}

int main(void)
{
	pthread_t th;
	int nthreads = 0;

	for (int i = 0; i < NSPIN; i++, nthreads++)
		if (pthread_create(&th, NULL, spinner, (void *)(intptr_t)i))
			goto fail;
	if (pthread_create(&th, NULL, sleeper, NULL) ||
	    pthread_create(&th, NULL, waiter, NULL))
		goto fail;
	nthreads += 2;
	while (atomic_load(&ready) < nthreads)
		sched_yield();

	/* The registrar writes its line before main writes any. */
	if (pthread_create(&th, NULL, registrar, (void *)(intptr_t)NSPIN))
		goto fail;
	while (!atomic_load(&registered))
		sched_yield();

	for (int i = 0; i < NLINES; i++)
		printf("main line %d of %d, some padding to fill the buffer\n",
		       i, NLINES);
	printf("main: calling exit(0) with threads running\n");
	exit(0);

fail:
	printf("FAIL: pthread_create\n");
	return 1;
}
