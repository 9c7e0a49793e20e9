/* bench_yield: the cost of handing the CPU from one thread to another with
 * sched_yield.
 *
 * Usage: bench_yield [N]     N hand-offs (default 200000)
 *
 * Two threads share an atomic `turn`; thread i waits with
 *     while (turn != i) sched_yield();
 * and then gives the turn to the other.  One hand-off is one change of
 * `turn` (a round trip is two).  With one CPU (MN_PROCS=1 under mnthread)
 * every hand-off is a switch between the two threads; with more, each
 * thread may spin on its own CPU.
 *
 * Results:
 *   BENCH yield_handoff         ns per hand-off
 *   BENCH clock_thread_cputime  ns per clock_gettime(CLOCK_THREAD_CPUTIME_ID)
 *                               in a thread (under mnthread: the thread's own
 *                               clock, kept by the scheduler; natively a
 *                               system call)
 *   BENCH clock_monotonic       ns per clock_gettime(CLOCK_MONOTONIC) in a
 *                               thread (a vDSO call; under mnthread it passes
 *                               through the interposer of clock_gettime)
 * The clock rows are the best of 5 batches of N*5 calls each.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long n_handoffs = 200000;
static int turn;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *player(void *arg)
{
	int me = (int)(intptr_t)arg;

	/* Thread 0 hands off at steps 0, 2, 4...; thread 1 at 1, 3, 5... */
	for (long i = me; i < n_handoffs; i += 2) {
		while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != me)
			sched_yield();
		__atomic_store_n(&turn, 1 - me, __ATOMIC_RELEASE);
	}
	return NULL;
}

static long n_clock;
static double clock_ns[2];

/* Best of 5 batches of n_clock calls of clock_gettime(clk): ns per call. */
static double time_clock(clockid_t clk)
{
	double best = 1e30;
	struct timespec ts;
	for (int b = 0; b < 5; b++) {
		uint64_t t0 = now_ns();
		for (long i = 0; i < n_clock; i++)
			clock_gettime(clk, &ts);
		double ns = (double)(now_ns() - t0) / (double)n_clock;
		if (ns < best)
			best = ns;
	}
	return best;
}

static void *clocks(void *arg)
{
	(void)arg;
	clock_ns[0] = time_clock(CLOCK_THREAD_CPUTIME_ID);
	clock_ns[1] = time_clock(CLOCK_MONOTONIC);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[2];
	uint64_t t0;
	int err;

	if (argc > 1)
		n_handoffs = atol(argv[1]);
	if (n_handoffs <= 0) {
		fprintf(stderr, "usage: bench_yield [N]\n");
		return 2;
	}

	t0 = now_ns();
	for (int i = 0; i < 2; i++)
		if ((err = pthread_create(&t[i], NULL, player, (void *)(intptr_t)i))) {
			fprintf(stderr, "bench_yield: pthread_create: %s\n", strerror(err));
			return 1;
		}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	t0 = now_ns() - t0;

	printf("BENCH yield_handoff %.0f ns/op\n", (double)t0 / (double)n_handoffs);

	n_clock = n_handoffs * 5;
	if ((err = pthread_create(&t[0], NULL, clocks, NULL))) {
		fprintf(stderr, "bench_yield: pthread_create: %s\n", strerror(err));
		return 1;
	}
	pthread_join(t[0], NULL);
	printf("BENCH clock_thread_cputime %.1f ns/op\n", clock_ns[0]);
	printf("BENCH clock_monotonic %.1f ns/op\n", clock_ns[1]);
	return 0;
}
