/* preempt_fork_malloc: main forks while eight threads loop on malloc/free
 * (issue 11: sysmon's asynchronous preemption).
 *
 * Eight threads allocate blocks of varying sizes, fill them with a pattern
 * of their own, check it and free them, without stopping, while main forks
 * 20 children one after another, each of which allocates, checks and
 * exits with its own status (10 + its number); main waits for each and
 * checks the status.  Run by preempt_fork_malloc.sh at MN_PROCS 1 and 2:
 * the busy threads hold every processor, so main (readied by each fork and
 * each child's exit) only runs again if they are preempted; and fork has
 * to stop the world while they are inside malloc.
 *
 * Proves: every child exits with its status, no block is corrupted, every
 * malloc thread stops when asked.
 *
 * Expects: exit 0 and a fixed list of lines.  A watchdog (SIGALRM, 5 s
 * for each fork and wait, 10 s to stop the threads) prints "FAIL:
 * watchdog: stuck in PHASE"; each child has its own (5 s, the default
 * action: it dies of SIGALRM, which main reports).
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
#include "preempt.h"

#define THREADS 8
#define CHILDREN 20

static volatile int stop;
static long corrupted;
static char phase_buf[64];

static void *allocator(void *arg)
{
	unsigned char tag = (unsigned char)(uintptr_t)arg;
	uint32_t x = 2463534242u + tag;
	long bad = 0;
	while (!stop) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		size_t n = 16 + x % 4096;
		unsigned char *p = malloc(n);
		if (p == NULL) {
			bad++;
			continue;
		}
		memset(p, tag, n);
		if (p[0] != tag || p[n / 2] != tag || p[n - 1] != tag)
			bad++;
		free(p);
	}
	__atomic_add_fetch(&corrupted, bad, __ATOMIC_RELAXED);
	return (void *)1;
}

static void child(int i)
{
	signal(SIGALRM, SIG_DFL);
	alarm(5);
	char *p = malloc(1000);
	if (p == NULL)
		_exit(2);
	memset(p, i, 1000);
	int ok = p[999] == (char)i;
	free(p);
	exit(ok ? 10 + i : 3);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);

	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		t[i] = spawn(allocator, (void *)(uintptr_t)(i + 1));

	int good = 0;
	for (int i = 0; i < CHILDREN; i++) {
		snprintf(phase_buf, sizeof phase_buf, "fork of child %d", i);
		phase = phase_buf;
		alarm(5);
		pid_t pid = fork();
		if (pid < 0) {
			printf("FAIL: fork: %s\n", strerror(errno));
			return 1;
		}
		if (pid == 0)
			child(i);
		snprintf(phase_buf, sizeof phase_buf, "waitpid for child %d", i);
		int st;
		pid_t w;
		while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
			;
		if (w != pid) {
			printf("FAIL: waitpid child %d: %s\n", i, strerror(errno));
			return 1;
		}
		if (WIFEXITED(st) && WEXITSTATUS(st) == 10 + i) {
			good++;
		} else if (WIFEXITED(st)) {
			printf("FAIL: child %d exited with %d, expected %d\n", i, WEXITSTATUS(st), 10 + i);
			failures++;
		} else {
			printf("FAIL: child %d killed by %s\n", i, strsignal(WIFSIGNALED(st) ? WTERMSIG(st) : 0));
			failures++;
		}
	}
	expect_val("children that exited with their own status", good, CHILDREN);

	phase = "stopping the malloc threads";
	alarm(10);
	stop = 1;
	long done = 0;
	for (int i = 0; i < THREADS; i++) {
		void *r;
		must(pthread_join(t[i], &r), "pthread_join");
		done += (long)(intptr_t)r;
	}
	expect_val("malloc threads that stopped", done, THREADS);
	expect_val("corrupted or failed allocations", corrupted, 0);
	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
