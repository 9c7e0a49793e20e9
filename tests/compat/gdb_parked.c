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
 *   main       wait_for_go:   read of a line from stdin (a pipe)
 * Once all are started it prints "ready <pid>" on stdout and main reads.
 * Given a line, main releases the mutex and the condition, joins those two
 * threads, prints "done" and exits (sleeper and joiner end with the
 * process): the test's proof that the process runs on after gdb detached.
 * An alarm of 120 s ends it if the test does not.
 *
 * GDB_PARKED_GUARD=0 creates the threads with no guard page, for a core
 * made with gdb's gcore: gdb 13 reads a mapping in 1 MiB pieces and gives
 * up on the rest of it at the first piece it cannot read, and a
 * MADV_GUARD_INSTALL guard page cannot be read (mprotect guards are
 * mappings of their own, which gcore passes over).  The kernel merges the
 * stacks, which are alike, into one mapping, so a G just below a guard (a
 * G's struct lies at the top of its stack mapping, the guard at the
 * bottom) is lost, and the Gs after it.  The runtime's first allocation,
 * M0's scheduler stack, keeps its guard; a first thread with a stack of
 * another size (not reused by the others), created and joined at once,
 * takes the place below it.
 *
 * The asm statements after the calls keep them from being tail calls, so
 * the waiting function keeps its frame at any optimisation level.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t condlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int never_true;
static pthread_t sleeper;

static _Atomic int started; /* threads about to wait */

#define NO_TAIL_CALL() __asm__ volatile("" ::: "memory")

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
	NO_TAIL_CALL();
}

__attribute__((noinline)) static void wait_in_join(void)
{
	pthread_join(sleeper, NULL);
	NO_TAIL_CALL();
}

__attribute__((noinline)) static int wait_for_go(void)
{
	char line[64];
	int r = fgets(line, sizeof line, stdin) != NULL;
	NO_TAIL_CALL();
	return r;
}

static void *run_mutex(void *arg)
{
	pthread_setname_np(pthread_self(), "mutexwait");
	started++;
	wait_on_mutex();
	return arg;
}

static void *run_cond(void *arg)
{
	pthread_setname_np(pthread_self(), "condwait");
	started++;
	wait_on_cond();
	return arg;
}

static void *run_sleep(void *arg)
{
	pthread_setname_np(pthread_self(), "sleeper");
	started++;
	wait_in_sleep();
	return arg;
}

static void *run_join(void *arg)
{
	pthread_setname_np(pthread_self(), "joiner");
	started++;
	wait_in_join();
	return arg;
}

static void *run_spacer(void *arg)
{
	return arg;
}

int main(void)
{
	pthread_t mt, ct, jt;
	pthread_attr_t attr;
	alarm(120);
	pthread_attr_init(&attr);
	const char *guard = getenv("GDB_PARKED_GUARD");
	if (guard && strcmp(guard, "0") == 0) {
		pthread_attr_t sattr;
		pthread_t spacer;
		pthread_attr_init(&sattr);
		pthread_attr_setguardsize(&sattr, 0);
		pthread_attr_setstacksize(&sattr, 2u << 20);
		if (pthread_create(&spacer, &sattr, run_spacer, NULL) || pthread_join(spacer, NULL)) {
			printf("FAIL: spacer thread\n");
			return 1;
		}
		pthread_attr_setguardsize(&attr, 0);
	}
	pthread_mutex_lock(&held);
	if (pthread_create(&mt, &attr, run_mutex, NULL) || pthread_create(&ct, &attr, run_cond, NULL) ||
	    pthread_create(&sleeper, &attr, run_sleep, NULL) || pthread_create(&jt, &attr, run_join, NULL)) {
		printf("FAIL: pthread_create\n");
		return 1;
	}
	/* Each has started; then long enough for it to reach its wait. */
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	while (started < 4)
		nanosleep(&ts, NULL);
	ts.tv_nsec = 300 * 1000 * 1000;
	nanosleep(&ts, NULL);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	if (!wait_for_go()) {
		printf("FAIL: no line on stdin\n");
		return 1;
	}
	pthread_mutex_unlock(&held);
	pthread_mutex_lock(&condlock);
	never_true = 1;
	pthread_cond_broadcast(&never);
	pthread_mutex_unlock(&condlock);
	pthread_join(mt, NULL);
	pthread_join(ct, NULL);
	printf("done\n");
	fflush(stdout);
	return 0;
}
