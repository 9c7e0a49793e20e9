/* bench_scavenge: what the memory of a burst of threads comes back to.
 *
 * Usage: bench_scavenge [N]    N threads (default 10000); the environment
 *                              variable BENCH_SCAVENGE_N, when set, wins.
 *
 * Main creates N threads with default attributes; each blocks on a gate
 * (a mutex and a condition variable).  Once all N have started, main
 * reads the memory of the process; then it lets all but the first 100
 * exit, joins them, and reads it again; then it waits, main asleep and
 * the 100 blocked, for memory kept for reuse to be given back (under
 * mnthread, the scavenger: run with MN_DEBUG=scavenge=1), and reads it a
 * last time; then it lets the 100 go.  The wait lasts at least
 * BENCH_SCAVENGE_WAIT seconds (default 3), and goes on while RSS still
 * falls (it fell in the last second), for at most 10 times that or two
 * minutes, whichever is longer.
 *
 * Results (MiB: whole-process figures from /proc/self/status):
 *   BENCH scavenge_threads              N threads in the burst
 *   BENCH scavenge_rss_start            VmRSS before the first create
 *   BENCH scavenge_rss_burst            VmRSS with the N threads blocked
 *   BENCH scavenge_rss_kept             VmRSS once all but 100 exited
 *   BENCH scavenge_rss_scavenged        VmRSS after the wait
 *   BENCH scavenge_pte_burst, _kept, _scavenged   VmPTE (page tables) likewise
 *   BENCH scavenge_wait                 how long the wait took
 *
 * A native process cannot reach ~32,000 threads with default attributes
 * (vm.max_map_count): run-bench runs it with 10,000 natively and
 * 1,000,000 under mnthread, so the ratio column compares runs of
 * different sizes; the native column shows what glibc keeps (its stack
 * cache) with no scavenger.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEEP 100

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t all_started = PTHREAD_COND_INITIALIZER;
static long started, n_threads;
static int open_exit, open_keep; /* the gates of the many and of the 100 */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The value in kB of the line "KEY: value kB" in /proc/self/status, or -1. */
static long status_kb(const char *key)
{
	char line[256];
	size_t len = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, len) == 0 && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static void *waiter(void *arg)
{
	int *gate = (long)arg < KEEP ? &open_keep : &open_exit;

	pthread_mutex_lock(&gate_lock);
	if (++started == n_threads)
		pthread_cond_signal(&all_started);
	while (!*gate)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	return NULL;
}

static void open_gate(int *gate)
{
	pthread_mutex_lock(&gate_lock);
	*gate = 1;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

static int join_range(pthread_t *t, long from, long to)
{
	int err;

	for (long i = from; i < to; i++)
		if ((err = pthread_join(t[i], NULL))) {
			fprintf(stderr, "bench_scavenge: pthread_join: %s\n", strerror(err));
			return -1;
		}
	return 0;
}

static double mib(long kb)
{
	return kb < 0 ? 0.0 : (double)kb / 1024.0;
}

int main(int argc, char **argv)
{
	const char *env = getenv("BENCH_SCAVENGE_N");
	const char *wait_env = getenv("BENCH_SCAVENGE_WAIT");
	long rss0, rss_burst, pte_burst, rss_kept, pte_kept, rss, pte;
	double wait_s = 3;
	uint64_t t0, last_fall, end;
	pthread_t *t;
	int err;

	n_threads = 10000;
	if (env && *env)
		n_threads = atol(env);
	else if (argc > 1)
		n_threads = atol(argv[1]);
	if (wait_env && *wait_env)
		wait_s = atof(wait_env);
	if (n_threads <= KEEP || wait_s <= 0) {
		fprintf(stderr, "usage: bench_scavenge [N]  (or BENCH_SCAVENGE_N=N; N > %d)\n", KEEP);
		return 2;
	}
	t = malloc(n_threads * sizeof *t);
	if (!t) {
		perror("bench_scavenge: malloc");
		return 1;
	}
	/* Touched now (not with zeros: malloc+memset would become calloc),
	 * so that it is in every figure alike. */
	memset(t, 0xff, n_threads * sizeof *t);

	rss0 = status_kb("VmRSS");
	for (long i = 0; i < n_threads; i++)
		if ((err = pthread_create(&t[i], NULL, waiter, (void *)i))) {
			fprintf(stderr, "bench_scavenge: pthread_create failed after %ld threads: %s\n", i,
				strerror(err));
			return 1;
		}
	pthread_mutex_lock(&gate_lock);
	while (started < n_threads)
		pthread_cond_wait(&all_started, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	rss_burst = status_kb("VmRSS");
	pte_burst = status_kb("VmPTE");

	open_gate(&open_exit);
	if (join_range(t, KEEP, n_threads))
		return 1;
	rss_kept = status_kb("VmRSS");
	pte_kept = status_kb("VmPTE");

	/* Sleep in steps of 100 ms, watching RSS. */
	t0 = now_ns();
	last_fall = t0;
	end = t0 + (uint64_t)(wait_s * 1e9);
	rss = rss_kept;
	for (;;) {
		struct timespec step = { 0, 100000000 };
		uint64_t now;
		long r;

		nanosleep(&step, NULL);
		now = now_ns();
		r = status_kb("VmRSS");
		if (r >= 0 && r < rss - 256) /* fell by more than noise (256 kB) */
			last_fall = now;
		if (r >= 0 && r < rss)
			rss = r;
		if (now >= end && now - last_fall >= 1000000000u)
			break;
		if (now - t0 >= (uint64_t)(10 * wait_s * 1e9) && now - t0 >= 120000000000u)
			break;
	}
	rss = status_kb("VmRSS");
	pte = status_kb("VmPTE");
	t0 = now_ns() - t0;

	open_gate(&open_keep);
	if (join_range(t, 0, KEEP))
		return 1;

	printf("BENCH scavenge_threads %ld threads\n", n_threads);
	printf("BENCH scavenge_rss_start %.1f MiB\n", mib(rss0));
	printf("BENCH scavenge_rss_burst %.1f MiB\n", mib(rss_burst));
	printf("BENCH scavenge_rss_kept %.1f MiB\n", mib(rss_kept));
	printf("BENCH scavenge_rss_scavenged %.1f MiB\n", mib(rss));
	printf("BENCH scavenge_pte_burst %.1f MiB\n", mib(pte_burst));
	printf("BENCH scavenge_pte_kept %.1f MiB\n", mib(pte_kept));
	printf("BENCH scavenge_pte_scavenged %.1f MiB\n", mib(pte));
	printf("BENCH scavenge_wait %.0f ms\n", (double)t0 / 1e6);
	free(t);
	return 0;
}
