/* gdb_parked.c: threads parked in known places, for tests/compat/gdb_helper.sh
 * (the gdb helper, scripts/mnthread-gdb.py).
 *
 * Not a compare test: run under mnthread only, then attached by gdb.
 * Threads, each named with pthread_setname_np and each waiting in a
 * function of its own (never inlined, so a backtrace names it):
 *   mutexwait  wait_on_mutex: pthread_mutex_lock of a mutex main holds
 *   condwait   wait_on_cond:  pthread_cond_wait on a condition never signalled
 *   sleeper    wait_in_sleep: sleep(600)
 *   joiner     wait_in_join:  pthread_join of sleeper
 *   main       pthread_join of mutexwait
 * Once all are started it prints "ready <pid>" on stdout and main joins.
 * It never finishes by itself: the test kills it (an alarm of 120 s ends it
 * if the test does not).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t condlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int never_true;
static pthread_t sleeper;

__attribute__((noinline)) static void wait_on_mutex(void)
{
	pthread_mutex_lock(&held);
	pthread_mutex_unlock(&held);
}

__attribute__((noinline)) static void wait_on_cond(void)
{
	pthread_mutex_lock(&condlock);
	while (!never_true)
		pthread_cond_wait(&never, &condlock);
	pthread_mutex_unlock(&condlock);
}

__attribute__((noinline)) static void wait_in_sleep(void)
{
	sleep(600);
}

__attribute__((noinline)) static void wait_in_join(void)
{
	pthread_join(sleeper, NULL);
}

static void *run_mutex(void *arg)
{
	pthread_setname_np(pthread_self(), "mutexwait");
	wait_on_mutex();
	return arg;
}

static void *run_cond(void *arg)
{
	pthread_setname_np(pthread_self(), "condwait");
	wait_on_cond();
	return arg;
}

static void *run_sleep(void *arg)
{
	pthread_setname_np(pthread_self(), "sleeper");
	wait_in_sleep();
	return arg;
}

static void *run_join(void *arg)
{
	pthread_setname_np(pthread_self(), "joiner");
	wait_in_join();
	return arg;
}

int main(void)
{
	pthread_t mt, ct, jt;
	alarm(120);
	pthread_mutex_lock(&held);
	if (pthread_create(&mt, NULL, run_mutex, NULL) || pthread_create(&ct, NULL, run_cond, NULL) ||
	    pthread_create(&sleeper, NULL, run_sleep, NULL) || pthread_create(&jt, NULL, run_join, NULL)) {
		printf("FAIL: pthread_create\n");
		return 1;
	}
	/* Long enough for each to reach its wait. */
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	pthread_join(mt, NULL);
	return 0;
}
