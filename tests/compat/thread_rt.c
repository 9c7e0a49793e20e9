/* tests/compat/thread_rt.c: real-time scheduling policies are the
 * kernel's, per thread (issue 13, locked threads).
 *
 * The kernel's view of the calling thread is read from /proc/thread-self/
 * stat (rt_priority and policy, fields 40 and 41): under mnthread that is
 * the OS thread the G runs on, so a policy only recorded would show.
 *  1. A thread made with SCHED_FIFO 10 by attribute (explicit): the
 *     getters and the kernel say FIFO 10; a thread running meanwhile with
 *     the default attributes says OTHER 0 to both.
 *  2. That thread makes one with the default (inherited) attributes:
 *     FIFO 10 as well; pthread_setschedparam(self, SCHED_RR, 5) in it is
 *     RR 5 for the kernel; sched_setscheduler(gettid(), SCHED_OTHER) of
 *     it by its id puts it back (for the kernel and sched_getscheduler;
 *     glibc's pthread_getschedparam keeps what it cached).
 *  3. Threads made after those ended are OTHER 0 for the kernel: nothing
 *     is left on an OS thread another thread may run on.
 *  4. Three FIFO threads of priorities 5, 15 and 10 wait on a mutex main
 *     holds: unlocked, it goes to them highest first (15, 10, 5), as the
 *     kernel queues futex waiters.
 *  5. An invalid priority is EINVAL; an invalid policy is EINVAL.
 * Without the right to real-time policies (not root, no RLIMIT_RTPRIO),
 * one line says so and the test ends: the same natively.
 *
 * Expects: the same lines natively and under mnthread, exit 0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "compat.h"

static const char *polname(int p)
{
	switch (p & ~SCHED_RESET_ON_FORK) {
	case SCHED_OTHER: return "OTHER";
	case SCHED_FIFO: return "FIFO";
	case SCHED_RR: return "RR";
	case SCHED_BATCH: return "BATCH";
	case SCHED_IDLE: return "IDLE";
	default: return "?";
	}
}

/* "POLICY PRIO" as the kernel has it for the calling thread. */
static void kernel_view(char *buf, size_t len)
{
	FILE *f = fopen("/proc/thread-self/stat", "r");
	char line[1024];
	if (!f || !fgets(line, sizeof line, f)) {
		snprintf(buf, len, "unreadable");
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	/* fields after the command name, which ends at the last ')' */
	char *p = strrchr(line, ')');
	long v[64] = { 0 };
	int n = 2; /* p points before field 3 */
	for (char *tok = strtok(p + 1, " "); tok && n < 63; tok = strtok(NULL, " "))
		v[++n] = strtol(tok, NULL, 10);
	snprintf(buf, len, "%s %ld", polname((int)v[41]), v[40]);
}

static void report(const char *who)
{
	int pol;
	struct sched_param sp;
	pthread_getschedparam(pthread_self(), &pol, &sp);
	char k[64];
	kernel_view(k, sizeof k);
	printf("%s: getschedparam %s %d, sched_getscheduler %s, kernel %s\n", who, polname(pol),
	       sp.sched_priority, polname(sched_getscheduler(0)), k);
}

static atomic_int rt_done;

static void *bystander(void *arg)
{
	(void)arg;
	while (!atomic_load(&rt_done))
		usleep(1000);
	report("bystander (default attributes, while the FIFO thread runs)");
	return NULL;
}

static void *child(void *arg)
{
	(void)arg;
	report("child of the FIFO thread (inherited)");
	struct sched_param sp = { .sched_priority = 5 };
	int r = pthread_setschedparam(pthread_self(), SCHED_RR, &sp);
	printf("child: pthread_setschedparam(RR 5): %s\n", errname(r));
	report("child after setschedparam");
	sp.sched_priority = 0;
	r = sched_setscheduler((pid_t)syscall(SYS_gettid), SCHED_OTHER, &sp);
	printf("child: sched_setscheduler(own id, OTHER 0): %s\n", errname(r == 0 ? 0 : errno));
	/* Not pthread_getschedparam: glibc answers from what it cached at
	 * pthread_setschedparam, which sched_setscheduler leaves alone. */
	char k[64];
	kernel_view(k, sizeof k);
	printf("child after sched_setscheduler: sched_getscheduler %s, kernel %s\n",
	       polname(sched_getscheduler(0)), k);
	return NULL;
}

static void *fifo_thread(void *arg)
{
	(void)arg;
	report("FIFO 10 thread");
	pthread_t c;
	int r = pthread_create(&c, NULL, child, NULL);
	if (r == 0)
		pthread_join(c, NULL);
	else
		printf("FIFO thread: pthread_create of child: %s\n", errname(r));
	atomic_store(&rt_done, 1);
	return NULL;
}

static void *plain(void *arg)
{
	(void)arg;
	report("later thread");
	return NULL;
}

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static atomic_int arrived;
static int order[3], norder;

static void *contender(void *arg)
{
	(void)arg;
	atomic_fetch_add(&arrived, 1);
	pthread_mutex_lock(&m);
	int pol;
	struct sched_param sp;
	pthread_getschedparam(pthread_self(), &pol, &sp);
	order[norder++] = sp.sched_priority;
	pthread_mutex_unlock(&m);
	return NULL;
}

static int make(pthread_t *t, int policy, int prio, void *(*fn)(void *))
{
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&a, policy);
	struct sched_param sp = { .sched_priority = prio };
	pthread_attr_setschedparam(&a, &sp);
	int r = pthread_create(t, &a, fn, NULL);
	pthread_attr_destroy(&a);
	return r;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_t t, b;
	int r = make(&t, SCHED_FIFO, 10, fifo_thread);
	if (r == EPERM) {
		printf("real-time policies are not permitted here (not root, no RLIMIT_RTPRIO): skipped\n");
		return 0;
	}
	if (r) {
		printf("FAIL: pthread_create FIFO 10: %s\n", errname(r));
		return 1;
	}
	pthread_create(&b, NULL, bystander, NULL);
	pthread_join(t, NULL);
	pthread_join(b, NULL);

	for (int i = 0; i < 4; i++) {
		pthread_create(&t, NULL, plain, NULL);
		pthread_join(t, NULL);
	}
	report("main");

	pthread_t w[3];
	int prios[3] = { 5, 15, 10 };
	pthread_mutex_lock(&m);
	for (int i = 0; i < 3; i++)
		if ((r = make(&w[i], SCHED_FIFO, prios[i], contender)) != 0)
			printf("FAIL: pthread_create FIFO %d: %s\n", prios[i], errname(r));
	while (atomic_load(&arrived) < 3)
		usleep(1000);
	usleep(100000); /* each one from its count to its wait */
	pthread_mutex_unlock(&m);
	for (int i = 0; i < 3; i++)
		pthread_join(w[i], NULL);
	printf("mutex taken in the order of priorities %d %d %d\n", order[0], order[1], order[2]);

	struct sched_param sp = { .sched_priority = 100 };
	printf("setschedparam(FIFO 100): %s\n", errname(pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp)));
	sp.sched_priority = 0;
	printf("setschedparam(policy 77): %s\n", errname(pthread_setschedparam(pthread_self(), 77, &sp)));
	report("main at the end");
	return 0;
}
