/* bench_syscall: what a system call costs a thread, and threads talking
 * through a pipe.
 *
 * Usage: bench_syscall [SCALE]   SCALE multiplies the iteration counts
 *
 * Results (median of 5 batches):
 *   BENCH syscall_read_devzero  read(2) of one byte from /dev/zero in a
 *                               spawned thread, ns per call.  Under
 *                               mnthread the call runs between
 *                               entersyscall and exitsyscall.
 *   BENCH syscall_pipe_pingpong two threads pass a byte back and forth
 *                               through two pipes, blocking in read(2);
 *                               ns per round trip.
 * Each checks its result and exits 1 with a message when it is wrong.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double scale = 1.0;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fail(const char *what)
{
	fprintf(stderr, "bench_syscall: %s\n", what);
	exit(1);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median5(double *v)
{
	qsort(v, 5, sizeof *v, cmp);
	return v[2];
}

static void *devzero(void *arg)
{
	double *out = arg, v[5];
	long n = (long)(1000000 * scale);
	int fd = open("/dev/zero", O_RDONLY);
	if (fd < 0)
		fail("open /dev/zero");
	char c = 1;
	for (int b = 0; b < 5; b++) {
		uint64_t t0 = now_ns();
		for (long i = 0; i < n; i++)
			if (read(fd, &c, 1) != 1 || c != 0)
				fail("read /dev/zero");
		v[b] = (double)(now_ns() - t0) / (double)n;
	}
	close(fd);
	*out = median5(v);
	return NULL;
}

static int ab[2], ba[2];
static long rounds;

static void *echo(void *arg)
{
	(void)arg;
	char c;
	for (long i = 0; i < rounds; i++) {
		if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1)
			fail("echo");
	}
	return NULL;
}

static double pipe_pingpong(void)
{
	double v[5];
	long n = (long)(5000 * scale);
	if (n < 1)
		n = 1;
	if (pipe(ab) || pipe(ba))
		fail("pipe");
	rounds = 5 * n;
	pthread_t t;
	if (pthread_create(&t, NULL, echo, NULL))
		fail("pthread_create");
	for (int b = 0; b < 5; b++) {
		uint64_t t0 = now_ns();
		for (long i = 0; i < n; i++) {
			char c = (char)i, r;
			if (write(ab[1], &c, 1) != 1 || read(ba[0], &r, 1) != 1 || r != c)
				fail("pingpong");
		}
		v[b] = (double)(now_ns() - t0) / (double)n;
	}
	pthread_join(t, NULL);
	return median5(v);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		scale = atof(argv[1]);
	pthread_t t;
	double r;
	if (pthread_create(&t, NULL, devzero, &r))
		fail("pthread_create");
	pthread_join(t, NULL);
	printf("BENCH syscall_read_devzero %.1f ns/op\n", r);
	printf("BENCH syscall_pipe_pingpong %.0f ns/op\n", pipe_pingpong());
	return 0;
}
