/* bench_skynet: the skynet benchmark, with a thread per node.
 *
 * Usage: bench_skynet [LEAVES]     (default 100000; a power of 10)
 *
 * The root thread makes 10 children and joins them; each child makes 10
 * of its own, down to LEAVES leaves, which return their number; every
 * node returns the sum of its children's.  LEAVES 100,000 makes 111,111
 * threads, 1,000,000 makes 1,111,111, most of them alive at once (a node
 * waits for its children, which wait for theirs), with default
 * attributes: the shape of a program that splits work recursively into
 * threads.  The same program shape in Go (a goroutine per node, a channel
 * per parent) is the reference of issue 15.
 *
 * Results (N = LEAVES):
 *   BENCH skynet_N_ms         wall time from the first create to the sum
 *   BENCH skynet_N_maxrss_mb  the process's peak RSS (getrusage)
 * and the line "skynet N: sum S" on stderr, S = N(N-1)/2.  A create that
 * fails (a native process cannot have a million threads) is reported with
 * its error, and the program exits 1.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct node {
	long num, size;
	long sum;
};

static void *skynet(void *arg)
{
	struct node *n = arg;
	if (n->size == 1) {
		n->sum = n->num;
		return NULL;
	}
	struct node kids[10];
	pthread_t t[10];
	long step = n->size / 10;
	for (int i = 0; i < 10; i++) {
		kids[i] = (struct node){ .num = n->num + i * step, .size = step };
		int e = pthread_create(&t[i], NULL, skynet, &kids[i]);
		if (e) {
			fprintf(stderr, "skynet: pthread_create: %s\n", strerror(e));
			exit(1);
		}
	}
	long sum = 0;
	for (int i = 0; i < 10; i++) {
		pthread_join(t[i], NULL);
		sum += kids[i].sum;
	}
	n->sum = sum;
	return NULL;
}

int main(int argc, char **argv)
{
	long leaves = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
	struct timespec a, b;
	struct node root = { .num = 0, .size = leaves };
	clock_gettime(CLOCK_MONOTONIC, &a);
	pthread_t t;
	int e = pthread_create(&t, NULL, skynet, &root);
	if (e) {
		fprintf(stderr, "skynet: pthread_create: %s\n", strerror(e));
		return 1;
	}
	pthread_join(t, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	fprintf(stderr, "skynet %ld: sum %ld\n", leaves, root.sum);
	if (root.sum != leaves * (leaves - 1) / 2) {
		fprintf(stderr, "skynet: wrong sum (want %ld)\n", leaves * (leaves - 1) / 2);
		return 1;
	}
	printf("BENCH skynet_%ld_ms %.1f ms\n", leaves, ms);
	printf("BENCH skynet_%ld_maxrss_mb %.1f MB\n", leaves, (double)ru.ru_maxrss / 1024.0);
	return 0;
}
