/* net_sleepers: many threads each sleeping 1 ms in a loop keep waking
 * (issue 12: under mnthread a sleep parks the G on its P's timer heap and
 * an idle M waits in epoll_wait until the next timer).
 *
 * Usage: net_sleepers [THREADS [MIN_PER_SECOND]]
 *        (default 10000 threads, at least 1 wake-up per second each)
 *
 * THREADS threads start, each looping on nanosleep(1 ms), and main waits
 * until all of them run; then for 2 s (main's sleep: the window is
 * measured, as main may wake late) each counts its wake-ups.  Every
 * thread must wake at least MIN_PER_SECOND times a second of the window.
 * The figures (the window; wake-ups per thread per second over it: min,
 * median, max; how many threads are under 1, 2, 10, 100 a second;
 * process CPU per wake-up) go to stderr.
 *
 * The target is 200 wake-ups per second per thread (10,000
 * threads, MN_PROCS=2: Go gets 130).  The test checks only that every
 * thread keeps waking (a lost timer, a G left behind in a queue), not the
 * rate: 1 a second is far below what a fair scheduler gives even on a
 * loaded 2-CPU machine (the median is 10 to 40 a second here).
 *
 * Expects: exit 0 and "every thread woke at least N times a second: yes";
 * a watchdog (SIGALRM, 60 s) prints "FAIL: watchdog: stuck in PHASE".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "compat.h"

#define SECONDS 2

static atomic_int started, go, stop;
static long *wakeups;

static void *sleeper(void *arg)
{
	long *count = arg;
	struct timespec ms = { 0, 1000000 };
	atomic_fetch_add(&started, 1);
	while (!atomic_load_explicit(&go, memory_order_acquire))
		nanosleep(&ms, NULL);
	long n = 0;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		nanosleep(&ms, NULL);
		n++;
	}
	*count = n;
	return NULL;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

static double mono_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(60);
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	int min_rate = argc > 2 ? atoi(argv[2]) : 1;
	if (n < 1 || min_rate < 0) {
		fprintf(stderr, "usage: net_sleepers [THREADS [MIN_PER_SECOND]]\n");
		return 2;
	}
	printf("threads: %d, each sleeping 1 ms in a loop for %d s\n", n, SECONDS);

	wakeups = calloc((size_t)n, sizeof *wakeups);
	pthread_t *t = malloc(sizeof *t * (size_t)n);
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	phase = "start";
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], &a, sleeper, &wakeups[i]) != 0) {
			printf("FAIL: pthread_create %d: %s\n", i, errname(errno));
			return 1;
		}
	while (atomic_load(&started) < n)
		sleep_ms(10);

	phase = "sleeping";
	double c0 = cpu_s(), w0 = mono_s();
	atomic_store_explicit(&go, 1, memory_order_release);
	sleep_ms(SECONDS * 1000);
	atomic_store(&stop, 1);
	double c1 = cpu_s(), w1 = mono_s();
	phase = "join";
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);

	long total = 0;
	for (int i = 0; i < n; i++)
		total += wakeups[i];
	qsort(wakeups, (size_t)n, sizeof *wakeups, cmp_long);
	/* The rates over the window as it was (main's sleep may end late). */
	double win = w1 - w0;
	fprintf(stderr,
		"net_sleepers: window %.2f s; wake-ups per thread per second: min %.1f, median %.1f, max %.1f; "
		"%.2f us CPU per wake-up (%ld wake-ups, %.2f s CPU)\n",
		win, (double)wakeups[0] / win, (double)wakeups[n / 2] / win, (double)wakeups[n - 1] / win,
		total ? (c1 - c0) * 1e6 / (double)total : 0.0, total, c1 - c0);
	/* How many threads woke fewer than 1, 2, 10, 100 times a second. */
	long under[4] = { 0 };
	static const long lim[4] = { 1, 2, 10, 100 };
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 4; k++)
			if (wakeups[i] < lim[k] * win)
				under[k]++;
	fprintf(stderr, "net_sleepers: threads under 1/s: %ld, under 2/s: %ld, under 10/s: %ld, under 100/s: %ld\n",
		under[0], under[1], under[2], under[3]);
	/* Over the window as it was: a main that wakes late gives the
	 * others more time, not a lower bar. */
	long want = (long)(min_rate * win);
	printf("every thread woke at least %d times a second: %s\n", min_rate, wakeups[0] >= want ? "yes" : "no");
	if (wakeups[0] < want) {
		printf("FAIL: the slowest thread woke %ld times in %.2f s\n", wakeups[0], win);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
