/* fork_threads: fork() from a threaded program, and threads in the child.
 *
 * Proves, with threads of the parent parked in a condvar wait, a mutex
 * wait and a sleep at the moment of each fork:
 *   - main forks; the child creates 16 threads that increment a counter
 *     under a contended mutex and pass a token around with a condvar,
 *     joins them (exact totals), forks a grandchild that does the same,
 *     and exits 0;
 *   - a thread that is not main forks; in the child it does the same
 *     work, prints, and returns from its start routine: being the child's
 *     last thread, that ends the child with status 0 and its output
 *     flushed (main is not in the child);
 *   - the parent's parked threads are not woken or disturbed by the
 *     child: released afterwards, they finish normally.
 *
 * Expects: exit 0 and a fixed list of lines.  A watchdog (SIGALRM, 60 s)
 * prints "FAIL: watchdog ..." if something hangs; each child has its own.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "compat.h"

#define WORKERS 16
#define ITERS 2000
#define TOKENS 200

static pthread_mutex_t work_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_c = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn, passes;

static void *worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	for (int i = 0; i < ITERS; i++) {
		pthread_mutex_lock(&work_m);
		counter++;
		pthread_mutex_unlock(&work_m);
	}
	/* A token goes round the workers in order, TOKENS times in all. */
	pthread_mutex_lock(&work_m);
	for (;;) {
		while (turn % WORKERS != me && passes < TOKENS)
			pthread_cond_wait(&work_c, &work_m);
		if (passes >= TOKENS)
			break;
		turn++;
		passes++;
		pthread_cond_broadcast(&work_c);
	}
	pthread_mutex_unlock(&work_m);
	return NULL;
}

/* The child's work: threads, a contended mutex, a condvar. */
static void child_work(const char *who)
{
	pthread_t t[WORKERS];
	/* Fresh objects: the parent's threads may have held the old ones. */
	pthread_mutex_init(&work_m, NULL);
	pthread_cond_init(&work_c, NULL);
	counter = 0;
	turn = passes = 0;
	for (int i = 0; i < WORKERS; i++)
		must(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i), "pthread_create in the child");
	for (int i = 0; i < WORKERS; i++)
		must(pthread_join(t[i], NULL), "pthread_join in the child");
	printf("%s: counter %ld, token passes %d\n", who, counter, passes);
	fflush(stdout);
}

static void wait_child(const char *who, pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid) {
		printf("FAIL: waitpid %s: %s\n", who, strerror(errno));
		exit(1);
	}
	if (WIFEXITED(st))
		printf("%s exited with status %d\n", who, WEXITSTATUS(st));
	else
		printf("%s killed by signal %d\n", who, WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	fflush(stdout);
}

/* ---------------------------------------------- the parent's parked threads */

static pthread_mutex_t park_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_c = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static int released, parked;

static void *cond_parker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&park_m);
	parked++;
	pthread_cond_broadcast(&park_c);
	while (!released)
		pthread_cond_wait(&park_c, &park_m);
	pthread_mutex_unlock(&park_m);
	return (void *)1;
}

static void *mutex_parker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&park_m);
	parked++;
	pthread_cond_broadcast(&park_c);
	pthread_mutex_unlock(&park_m);
	pthread_mutex_lock(&held); /* main holds it until the end */
	pthread_mutex_unlock(&held);
	return (void *)2;
}

static void *sleeper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&park_m);
	parked++;
	pthread_cond_broadcast(&park_c);
	pthread_mutex_unlock(&park_m);
	sleep_ms(300);
	return (void *)3;
}

static void on_child_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "FAIL: watchdog in a child\n";
	ssize_t r = write(1, msg, sizeof msg - 1);
	(void)r;
	_exit(3);
}

static void *forking_thread(void *arg)
{
	(void)arg;
	pid_t pid = fork();
	if (pid < 0) {
		printf("FAIL: fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		signal(SIGALRM, on_child_alarm);
		alarm(30);
		child_work("child of a thread");
		return NULL; /* the child's last thread: the child exits 0 */
	}
	wait_child("child of a thread", pid);
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(60);

	pthread_t p[4];
	pthread_mutex_lock(&held);
	must(pthread_create(&p[0], NULL, cond_parker, NULL), "pthread_create");
	must(pthread_create(&p[1], NULL, cond_parker, NULL), "pthread_create");
	must(pthread_create(&p[2], NULL, mutex_parker, NULL), "pthread_create");
	must(pthread_create(&p[3], NULL, sleeper, NULL), "pthread_create");
	pthread_mutex_lock(&park_m);
	while (parked < 4)
		pthread_cond_wait(&park_c, &park_m);
	pthread_mutex_unlock(&park_m);
	sleep_ms(20); /* let them reach their waits */

	phase = "fork from main";
	pid_t pid = fork();
	if (pid < 0) {
		printf("FAIL: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		signal(SIGALRM, on_child_alarm);
		alarm(30);
		child_work("child of main");
		pid_t g = fork();
		if (g == 0) {
			child_work("grandchild");
			exit(0);
		}
		wait_child("grandchild", g);
		exit(0);
	}
	wait_child("child of main", pid);

	phase = "fork from a thread";
	pthread_t f;
	must(pthread_create(&f, NULL, forking_thread, NULL), "pthread_create");
	must(pthread_join(f, NULL), "pthread_join");

	phase = "parent's parked threads";
	pthread_mutex_lock(&park_m);
	released = 1;
	pthread_cond_broadcast(&park_c);
	pthread_mutex_unlock(&park_m);
	pthread_mutex_unlock(&held);
	long sum = 0;
	for (int i = 0; i < 4; i++) {
		void *r;
		must(pthread_join(p[i], &r), "pthread_join");
		sum += (long)(intptr_t)r;
	}
	expect_val("parked threads' results", sum, 1 + 1 + 2 + 3);
	/* The parent's objects still work after the forks. */
	child_work("parent after the forks");

	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
