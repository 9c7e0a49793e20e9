/* bench_create_join: the cost of creating and joining threads.
 *
 * Usage: bench_create_join [N [BURST]]
 *   N      sequential create+join iterations (default 20000)
 *   BURST  threads created at once, then all joined (default 10000)
 *
 * Results:
 * The sequential loops run in 5 batches of N/5 and report the median batch,
 * which keeps scheduler and virtual machine noise out of the number.
 *
 *   BENCH create_join_seq        create+join of one thread at a time, timed
 *                                in a spawned driver thread.  Under mnthread
 *                                the driver is an ordinary G, so this is the
 *                                path most threads of a program take.
 *   BENCH create_join_seq_main   the same loop run by main (under mnthread
 *                                an ordinary G, locked to the first OS
 *                                thread only with MN_DEBUG=lockmain=1).
 *   BENCH create_join_burst      BURST threads created back to back, then
 *                                joined, in the driver thread: ns per thread.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long n_seq = 20000;
static long n_burst = 10000;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_create_join: %s: %s\n", what, strerror(err));
	exit(1);
}

static void *empty(void *arg)
{
	return arg;
}

/* n sequential create+join pairs; returns ns per pair. */
static double seq(long n)
{
	pthread_t t;
	uint64_t t0;
	void *res;
	int err;

	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		if ((err = pthread_create(&t, NULL, empty, (void *)(intptr_t)i)))
			die("pthread_create", err);
		if ((err = pthread_join(t, &res)))
			die("pthread_join", err);
		if (res != (void *)(intptr_t)i) {
			fprintf(stderr, "bench_create_join: wrong result from join\n");
			exit(1);
		}
	}
	return (double)(now_ns() - t0) / (double)n;
}

/* n threads created back to back, then all joined; returns ns per thread. */
static double burst(long n)
{
	pthread_t *t = calloc(n, sizeof *t);
	uint64_t t0;
	int err;

	if (!t)
		die("calloc", 12);
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		if ((err = pthread_create(&t[i], NULL, empty, NULL)))
			die("pthread_create (burst)", err);
	for (long i = 0; i < n; i++)
		if ((err = pthread_join(t[i], NULL)))
			die("pthread_join (burst)", err);
	t0 = now_ns() - t0;
	free(t);
	return (double)t0 / (double)n;
}

#define BATCHES 5

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* n pairs in BATCHES batches; returns the median batch's ns per pair. */
static double seq_median(long n)
{
	double r[BATCHES];
	long per = n / BATCHES > 0 ? n / BATCHES : 1;

	for (int i = 0; i < BATCHES; i++)
		r[i] = seq(per);
	qsort(r, BATCHES, sizeof r[0], cmp_double);
	return r[BATCHES / 2];
}

static void *driver(void *arg)
{
	(void)arg;
	seq(n_seq / 10 + 1); /* warm up: stacks, caches */
	printf("BENCH create_join_seq %.0f ns/op\n", seq_median(n_seq));
	fflush(stdout);
	printf("BENCH create_join_burst %.0f ns/thread\n", burst(n_burst));
	fflush(stdout);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t d;
	int err;

	if (argc > 1)
		n_seq = atol(argv[1]);
	if (argc > 2)
		n_burst = atol(argv[2]);
	if (n_seq <= 0 || n_burst <= 0) {
		fprintf(stderr, "usage: bench_create_join [N [BURST]]\n");
		return 2;
	}

	if ((err = pthread_create(&d, NULL, driver, NULL)))
		die("pthread_create (driver)", err);
	if ((err = pthread_join(d, NULL)))
		die("pthread_join (driver)", err);

	seq(n_seq / 10 + 1);
	printf("BENCH create_join_seq_main %.0f ns/op\n", seq_median(n_seq));
	return 0;
}
