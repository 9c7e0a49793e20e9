/* demo_workers: a small multi-threaded job, used by scripts/demo.
 *
 * Usage: demo_workers [THREADS]   (default 2000)
 *
 * Main starts THREADS worker threads, which wait at a start gate until all
 * of them exist (as a job that hands out work only once its workers are
 * ready).  Main then opens the gate; each worker fills a buffer with
 * pseudo-random data derived from its index, hashes it, and files the
 * result in a shared table protected by a mutex, which also keeps a
 * histogram of the hash values.  Main joins every worker and prints a
 * checksum over the table, which is the same however the threads were
 * scheduled.
 *
 * The peak number of OS threads the process used is measured from
 * /proc/self/task: main samples it while all workers wait at the gate, and
 * a few workers sample it while the others are computing.
 *
 * Output:
 *   threads=N
 *   checksum=HEX
 *   os_threads_peak=N
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_WORDS (16 * 1024 / 8) /* 16 KiB of data per worker */
#define ROUNDS 8                  /* hashing passes over it */
#define SAMPLE_EVERY 250          /* one worker in this many samples */
#define NBUCKETS 64

struct table {
	pthread_mutex_t lock;
	uint64_t *hash; /* per worker, by index */
	unsigned long filled;
	unsigned long histogram[NBUCKETS];
};

static struct table table = { .lock = PTHREAD_MUTEX_INITIALIZER };

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static unsigned long ready;
static int gate_open;
static unsigned long nthreads;

static int peak_threads;

/* The number of entries in /proc/self/task: the OS threads of the process. */
static int count_os_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void sample_os_threads(void)
{
	int n = count_os_threads();
	int old = __atomic_load_n(&peak_threads, __ATOMIC_RELAXED);

	while (n > old &&
	       !__atomic_compare_exchange_n(&peak_threads, &old, n, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A 64-bit multiply-xorshift hash over the buffer, ROUNDS passes. */
static uint64_t hash_buffer(const uint64_t *buf, size_t nwords)
{
	uint64_t h = 0x243f6a8885a308d3ull;

	for (int r = 0; r < ROUNDS; r++)
		for (size_t i = 0; i < nwords; i++) {
			h ^= buf[i] + (uint64_t)r;
			h *= 0xff51afd7ed558ccdull;
			h ^= h >> 32;
		}
	return h;
}

static void *worker(void *arg)
{
	unsigned long id = (unsigned long)(uintptr_t)arg;
	uint64_t *buf, state = id * 0x100000001b3ull + 1, h;

	pthread_mutex_lock(&gate_lock);
	if (++ready == nthreads)
		pthread_cond_signal(&ready_cond);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);

	buf = malloc(BUF_WORDS * sizeof *buf);
	if (!buf) {
		perror("malloc");
		exit(1);
	}
	for (size_t i = 0; i < BUF_WORDS; i++)
		buf[i] = splitmix64(&state);
	h = hash_buffer(buf, BUF_WORDS);
	free(buf);

	if (id % SAMPLE_EVERY == SAMPLE_EVERY / 2)
		sample_os_threads();

	pthread_mutex_lock(&table.lock);
	table.hash[id] = h;
	table.filled++;
	table.histogram[h % NBUCKETS]++;
	pthread_mutex_unlock(&table.lock);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t *tids;
	uint64_t sum = 0xcbf29ce484222325ull;
	unsigned long i;
	int err;

	nthreads = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000;
	if (nthreads == 0) {
		fprintf(stderr, "usage: %s [THREADS]\n", argv[0]);
		return 2;
	}
	tids = calloc(nthreads, sizeof *tids);
	table.hash = calloc(nthreads, sizeof *table.hash);
	if (!tids || !table.hash) {
		perror("calloc");
		return 1;
	}

	sample_os_threads();
	for (i = 0; i < nthreads; i++) {
		err = pthread_create(&tids[i], NULL, worker, (void *)(uintptr_t)i);
		if (err) {
			fprintf(stderr, "pthread_create #%lu: %s\n", i, strerror(err));
			return 1;
		}
	}

	/* All workers exist and wait at the gate: the most threads at once. */
	pthread_mutex_lock(&gate_lock);
	while (ready < nthreads)
		pthread_cond_wait(&ready_cond, &gate_lock);
	sample_os_threads();
	gate_open = 1;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);

	for (i = 0; i < nthreads; i++) {
		err = pthread_join(tids[i], NULL);
		if (err) {
			fprintf(stderr, "pthread_join #%lu: %s\n", i, strerror(err));
			return 1;
		}
	}

	if (table.filled != nthreads) {
		fprintf(stderr, "only %lu of %lu results filed\n", table.filled, nthreads);
		return 1;
	}
	/* FNV-1a over the per-worker hashes in index order, then the histogram. */
	for (i = 0; i < nthreads; i++)
		for (int b = 0; b < 8; b++) {
			sum ^= (table.hash[i] >> (8 * b)) & 0xff;
			sum *= 0x100000001b3ull;
		}
	for (i = 0; i < NBUCKETS; i++) {
		sum ^= table.histogram[i];
		sum *= 0x100000001b3ull;
	}

	printf("threads=%lu\n", nthreads);
	printf("checksum=%016llx\n", (unsigned long long)sum);
	printf("os_threads_peak=%d\n", peak_threads);
	free(tids);
	free(table.hash);
	return 0;
}
