/* tests/compat/thread_kprops.c: a thread's kernel scheduling state is its
 * own (issue 13, locked threads).
 *
 *  1. A thread pins itself to one CPU (pthread_setaffinity_np) and
 *     yields 10,000 times while two unpinned threads spin: sched_getcpu()
 *     is that CPU every time, and pthread_getaffinity_np reads the mask
 *     back.  After it ends, a new thread's mask is the process's whole
 *     mask (nothing leaked to the OS thread it ran on).
 *  2. A thread pins another one that waits on a semaphore; woken, that
 *     one runs on the CPU it was given.
 *  3. setpriority(PRIO_PROCESS, 0, 7) in a thread: getpriority says 7
 *     there, 0 in a thread running meanwhile and in one made after it
 *     ended; nice(2) in another thread says 2.
 *  (Real-time policies are recorded only under mnthread: not checked.)
 *
 * Expects: the same lines natively and under mnthread, exit 0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "compat.h"

static cpu_set_t all;
static int target_cpu;
static atomic_int stop;

static void *spinner(void *arg)
{
	while (!atomic_load(&stop))
		;
	return arg;
}

static void *pinned(void *arg)
{
	(void)arg;
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(target_cpu, &one);
	int r = pthread_setaffinity_np(pthread_self(), sizeof one, &one);
	int stayed = 1;
	for (int i = 0; i < 10000; i++) {
		sched_yield();
		if (sched_getcpu() != target_cpu)
			stayed = 0;
	}
	cpu_set_t back;
	pthread_getaffinity_np(pthread_self(), sizeof back, &back);
	printf("pinned thread: setaffinity=%s, on its CPU after each of 10000 yields: %s, mask read back: %s\n",
	       errname(r), stayed ? "yes" : "no", CPU_EQUAL(&back, &one) ? "yes" : "no");
	return NULL;
}

static void *mask_reader(void *arg)
{
	cpu_set_t cur;
	sched_getaffinity(0, sizeof cur, &cur);
	*(int *)arg = CPU_EQUAL(&cur, &all);
	return NULL;
}

static sem_t go;
static void *waiter(void *arg)
{
	(void)arg;
	sem_wait(&go);
	int ok = 1;
	for (int i = 0; i < 1000; i++) {
		sched_yield();
		if (sched_getcpu() != target_cpu)
			ok = 0;
	}
	return (void *)(intptr_t)ok;
}

static atomic_int nice_set;
static void *niced(void *arg)
{
	(void)arg;
	int r = setpriority(PRIO_PROCESS, 0, 7);
	errno = 0;
	int p = getpriority(PRIO_PROCESS, 0);
	atomic_store(&nice_set, 1);
	while (atomic_load(&nice_set) != 2)
		sched_yield();
	printf("setpriority(PRIO_PROCESS, 0, 7)=%d, getpriority there: %d\n", r, p);
	return NULL;
}

static void *read_nice(void *arg)
{
	errno = 0;
	*(int *)arg = getpriority(PRIO_PROCESS, 0);
	return NULL;
}

static void *nice2(void *arg)
{
	*(int *)arg = nice(2);
	return NULL;
}

int main(void)
{
	signal(SIGALRM, on_alarm);
	alarm(60);
	sched_getaffinity(0, sizeof all, &all);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all))
			target_cpu = c; /* the last one allowed */
	void *res;
	int v;

	phase = "pinned";
	pthread_t s1 = spawn(spinner, NULL), s2 = spawn(spinner, NULL);
	pthread_join(spawn(pinned, NULL), NULL);
	atomic_store(&stop, 1);
	pthread_join(s1, NULL);
	pthread_join(s2, NULL);
	pthread_join(spawn(mask_reader, &v), NULL);
	printf("a thread made afterwards has the whole mask: %s\n", v ? "yes" : "no");

	phase = "pin another";
	sem_init(&go, 0, 0);
	pthread_t w = spawn(waiter, NULL);
	usleep(20000);
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(target_cpu, &one);
	int r = pthread_setaffinity_np(w, sizeof one, &one);
	sem_post(&go);
	pthread_join(w, &res);
	printf("pinned while waiting: setaffinity=%s, on its CPU once woken: %s\n", errname(r), res ? "yes" : "no");

	phase = "nice";
	pthread_t n = spawn(niced, NULL);
	while (atomic_load(&nice_set) != 1)
		sched_yield();
	pthread_join(spawn(read_nice, &v), NULL);
	printf("another thread meanwhile: getpriority %d\n", v);
	atomic_store(&nice_set, 2);
	pthread_join(n, NULL);
	pthread_join(spawn(read_nice, &v), NULL);
	printf("a thread made afterwards: getpriority %d\n", v);
	pthread_join(spawn(nice2, &v), NULL);
	printf("nice(2) in a thread: %d\n", v);

	printf("all done\n");
	return 0;
}
