/* bench_million: what a thread costs while it exists.
 *
 * Usage: bench_million [N]     N threads (default 10000); the environment
 *                              variable BENCH_MILLION_N, when set, wins.
 *
 * Main creates N threads with default attributes (so the stack size is
 * whatever a program gets by default).  Each thread increments a counter
 * and blocks on a gate (a mutex and a condition variable).  Once all N have
 * started, main measures the memory of the process against a baseline taken
 * before the first create, then opens the gate and joins them all.
 *
 * Results:
 *   BENCH million_threads            N threads alive at once
 *   BENCH million_create_per_thread  the create loop, ns per thread
 *   BENCH million_rss_per_thread     VmRSS growth, KiB per thread
 *   BENCH million_pte_per_thread     VmPTE (page tables) growth, KiB/thread
 *   BENCH million_kstack_per_thread  KernelStack growth (/proc/meminfo,
 *                                    system-wide), KiB per thread: the kernel
 *                                    memory an OS thread costs beyond RSS
 *   BENCH million_mem_per_thread     the sum of the three, KiB per thread
 *   BENCH million_join_per_thread    opening the gate and joining, ns/thread
 *
 * A native process cannot reach ~32,000 threads with default attributes
 * (vm.max_map_count); pthread_create failing is reported with the count
 * reached, and the program exits 1.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t all_started = PTHREAD_COND_INITIALIZER;
static long started, n_threads;
static int gate_open;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The value in kB of the line "KEY: value kB" in FILE, or -1. */
static long read_kb(const char *file, const char *key)
{
	char line[256];
	size_t len = strlen(key);
	long v = -1;
	FILE *f = fopen(file, "r");

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

struct mem {
	long rss, pte, kstack;
};

static void read_mem(struct mem *m)
{
	m->rss = read_kb("/proc/self/status", "VmRSS");
	m->pte = read_kb("/proc/self/status", "VmPTE");
	m->kstack = read_kb("/proc/meminfo", "KernelStack");
}

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gate_lock);
	if (++started == n_threads)
		pthread_cond_signal(&all_started);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	return NULL;
}

static double per_thread(long before, long after)
{
	return before < 0 || after < 0 ? 0.0 : (double)(after - before) / (double)n_threads;
}

int main(int argc, char **argv)
{
	const char *env = getenv("BENCH_MILLION_N");
	struct mem m0, m1;
	pthread_t *t;
	uint64_t t0, t_create, t_join;
	double rss, pte, kstack;
	int err;

	n_threads = 10000;
	if (env && *env)
		n_threads = atol(env);
	else if (argc > 1)
		n_threads = atol(argv[1]);
	if (n_threads <= 0) {
		fprintf(stderr, "usage: bench_million [N]  (or BENCH_MILLION_N=N)\n");
		return 2;
	}
	t = malloc(n_threads * sizeof *t);
	if (!t) {
		perror("bench_million: malloc");
		return 1;
	}
	/* Touch the array now so that it does not count as per-thread memory
	 * (not with zeros: the compiler would turn malloc+memset into calloc,
	 * which touches nothing). */
	memset(t, 0xff, n_threads * sizeof *t);

	read_mem(&m0);
	t0 = now_ns();
	for (long i = 0; i < n_threads; i++)
		if ((err = pthread_create(&t[i], NULL, waiter, NULL))) {
			fprintf(stderr, "bench_million: pthread_create failed after %ld threads: %s\n",
				i, strerror(err));
			return 1;
		}
	t_create = now_ns() - t0;

	pthread_mutex_lock(&gate_lock);
	while (started < n_threads)
		pthread_cond_wait(&all_started, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	read_mem(&m1);

	t0 = now_ns();
	pthread_mutex_lock(&gate_lock);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	for (long i = 0; i < n_threads; i++)
		if ((err = pthread_join(t[i], NULL))) {
			fprintf(stderr, "bench_million: pthread_join: %s\n", strerror(err));
			return 1;
		}
	t_join = now_ns() - t0;

	rss = per_thread(m0.rss, m1.rss);
	pte = per_thread(m0.pte, m1.pte);
	kstack = per_thread(m0.kstack, m1.kstack);
	if (kstack < 0) /* system-wide: other processes' threads exited */
		kstack = 0;
	printf("BENCH million_threads %ld threads\n", n_threads);
	printf("BENCH million_create_per_thread %.0f ns/op\n", (double)t_create / (double)n_threads);
	printf("BENCH million_rss_per_thread %.2f KiB/thread\n", rss);
	printf("BENCH million_pte_per_thread %.2f KiB/thread\n", pte);
	printf("BENCH million_kstack_per_thread %.2f KiB/thread\n", kstack);
	printf("BENCH million_mem_per_thread %.2f KiB/thread\n", rss + pte + kstack);
	printf("BENCH million_join_per_thread %.0f ns/op\n", (double)t_join / (double)n_threads);
	free(t);
	return 0;
}
