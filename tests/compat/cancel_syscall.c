/* cancel_syscall: pthread_cancel of a thread blocked in a system call that
 * glibc makes a cancellation point acts at once, as natively (issue 13):
 * the call is a process-shared condition variable's wait (glibc's own,
 * which waits in the kernel) and waitpid for a child that lives 3 s.
 * Each line says whether the thread was cancelled, whether its cleanup
 * handler ran with the mutex held again, and whether the join came back
 * well before the call would have ended by itself.
 *
 * Expects: the same lines natively and under mnthread, exit 0; the
 * watchdog (30 s) prints "FAIL: watchdog: stuck in PHASE".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include "compat.h"

static pthread_mutex_t m;
static pthread_cond_t c;
static atomic_int started;
static volatile int cleaned, held;

static void cleanup(void *arg)
{
	(void)arg;
	cleaned = 1;
	held = pthread_mutex_trylock(&m) == EBUSY; /* the wait took it back */
	pthread_mutex_unlock(&m);
}

static void *cond_waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	pthread_cleanup_push(cleanup, NULL);
	atomic_store(&started, 1);
	for (;;)
		pthread_cond_wait(&c, &m);
	pthread_cleanup_pop(0);
	return NULL;
}

static void *child_waiter(void *arg)
{
	(void)arg;
	atomic_store(&started, 1);
	int st;
	waitpid(-1, &st, 0);
	return NULL;
}

static long ms_since(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static void cancel_and_join(pthread_t t, const char *what, int show_cleanup)
{
	while (!atomic_load(&started))
		usleep(1000);
	usleep(100000); /* in the kernel by now */
	struct timespec a;
	clock_gettime(CLOCK_MONOTONIC, &a);
	int e = pthread_cancel(t);
	void *r = NULL;
	pthread_join(t, &r);
	long ms = ms_since(&a);
	if (show_cleanup)
		printf("%s: pthread_cancel=%s, cancelled: %s, cleanup ran with the mutex: %s, at once: %s\n", what,
		       errname(e), r == PTHREAD_CANCELED ? "yes" : "no", cleaned && held ? "yes" : "no",
		       ms < 1500 ? "yes" : "no");
	else
		printf("%s: pthread_cancel=%s, cancelled: %s, at once: %s\n", what, errname(e),
		       r == PTHREAD_CANCELED ? "yes" : "no", ms < 1500 ? "yes" : "no");
	if (r != PTHREAD_CANCELED || ms >= 1500 || (show_cleanup && !(cleaned && held)))
		failures++;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(30);

	phase = "process-shared condvar";
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&m, &ma);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_cond_init(&c, &ca);
	pthread_t t;
	pthread_create(&t, NULL, cond_waiter, NULL);
	cancel_and_join(t, "process-shared pthread_cond_wait", 1);

	phase = "waitpid";
	pid_t child = fork();
	if (child == 0) {
		sleep(3);
		_exit(0);
	}
	atomic_store(&started, 0);
	pthread_create(&t, NULL, child_waiter, NULL);
	cancel_and_join(t, "waitpid", 0);
	waitpid(child, NULL, 0);
	printf("%s\n", failures ? "some results differ from glibc's" : "all done");
	return failures ? 1 : 0;
}
