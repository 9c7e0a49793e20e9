/* stress_sync: many threads mixing every kind of synchronisation object.
 *
 * STRESS_THREADS threads (default 10000, rounded up to a multiple of 8;
 * 64 KiB stacks) each run ROUNDS rounds.  In every round a thread picks,
 * from its own xorshift generator seeded with its index (so the choices,
 * and therefore every total below, are the same on every run), one of:
 *   - lock one of 64 mutexes and bump its counter;
 *   - take the shared rwlock for reading and check its two fields agree,
 *     or for writing and bump both;
 *   - take a token from a 32-token semaphore pool and give it back,
 *     checking that no more than 32 threads ever hold one;
 *   - pthread_cond_timedwait with a past deadline -> ETIMEDOUT;
 *   - sched_yield.
 * At fixed rounds the threads of each group of 8 also:
 *   - pass a token around a ring of 8 semaphores, every RING_EVERY rounds
 *     (a lost post would stop the ring for good);
 *   - wait at the group's pthread_barrier, every BARRIER_EVERY rounds
 *     (one serial thread per round);
 *   - wait at a barrier made of a mutex and a condvar, every CBARRIER_EVERY
 *     rounds (generation count: a lost wake-up would hang it).
 * (ROUNDS 24 and 8/8/12 keep the native run near 5 s on 2 cores: every
 * ring hop waits for the next thread to be scheduled among 10000.  They
 * can be changed with -D for experiments.)
 * At the end every thread counts down a condvar latch and waits for it
 * to reach zero (one broadcast must wake them all).
 *
 * Proves: no deadlock or lost wake-up (the program finishes; a watchdog
 * prints "FAIL: watchdog" after 100 s), and exact totals: shared counters
 * equal the sum of what the threads did, no torn rwlock read, pool
 * occupancy within bounds, every ring pass, barrier round and serial
 * thread accounted for.
 *
 * Expects: exit 0 and a few lines of totals (deterministic for a given
 * STRESS_THREADS).  A violated invariant prints "FAIL: ..." and exits 1.
 * If the system cannot create the threads natively, exits 77 (skip).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GROUP 8
#ifndef ROUNDS
#define ROUNDS 24
#endif
#ifndef RING_EVERY
#define RING_EVERY 8
#endif
#ifndef BARRIER_EVERY
#define BARRIER_EVERY 8
#endif
#ifndef CBARRIER_EVERY
#define CBARRIER_EVERY 12
#endif
#define NMUTEX 64
#define POOL 32

static const char *volatile phase = "start";
static int failures;

static void on_alarm(int sig)
{
	const char *p = phase;
	(void)sig;
	write(1, "FAIL: watchdog: stuck in ", 25);
	write(1, p, strlen(p));
	write(1, "\n", 1);
	_exit(1);
}

struct group {
	sem_t ring[GROUP];
	long ring_passes;               /* touched only by the token holder */
	pthread_barrier_t barrier;
	long barrier_serials;           /* touched only by the serial thread */
	pthread_mutex_t cb_mu;
	pthread_cond_t cb_cv;
	int cb_count;
	unsigned cb_gen;
	long cb_rounds;                 /* under cb_mu */
};

struct tally {
	long mutex, reads, writes, pool, ctimeouts, yields;
	long torn, bad;
};

static struct group *groups;
static pthread_mutex_t mutexes[NMUTEX];
static long counters[NMUTEX];
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static volatile long field_a, field_b;
static sem_t pool;
static int holders, max_holders_exceeded;
static pthread_mutex_t tmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tcv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t latch_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t latch_cv = PTHREAD_COND_INITIALIZER;
static int latch;
static struct tally *tallies;

static uint64_t next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void cbarrier(struct group *g, long *bad)
{
	*bad += pthread_mutex_lock(&g->cb_mu) != 0;
	unsigned gen = g->cb_gen;
	if (++g->cb_count == GROUP) {
		g->cb_count = 0;
		g->cb_gen++;
		g->cb_rounds++;
		*bad += pthread_cond_broadcast(&g->cb_cv) != 0;
	} else {
		while (gen == g->cb_gen)
			*bad += pthread_cond_wait(&g->cb_cv, &g->cb_mu) != 0;
	}
	*bad += pthread_mutex_unlock(&g->cb_mu) != 0;
}

static void *worker(void *arg)
{
	long id = (long)(intptr_t)arg;
	struct group *g = &groups[id / GROUP];
	int j = (int)(id % GROUP);
	struct tally t = {0};
	uint64_t rng = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)id * 0xBF58476D1CE4E5B9ULL + 1);
	struct timespec past = {1, 0};   /* 1970: always in the past */

	for (int r = 0; r < ROUNDS; r++) {
		unsigned op = (unsigned)(next(&rng) % 100);
		if (op < 35) {
			unsigned k = (unsigned)(next(&rng) % NMUTEX);
			t.bad += pthread_mutex_lock(&mutexes[k]) != 0;
			counters[k]++;
			t.bad += pthread_mutex_unlock(&mutexes[k]) != 0;
			t.mutex++;
		} else if (op < 55) {
			t.bad += pthread_rwlock_rdlock(&rw) != 0;
			if (field_a != field_b)
				t.torn++;
			t.bad += pthread_rwlock_unlock(&rw) != 0;
			t.reads++;
		} else if (op < 62) {
			t.bad += pthread_rwlock_wrlock(&rw) != 0;
			field_a = field_a + 1;
			field_b = field_b + 1;
			t.bad += pthread_rwlock_unlock(&rw) != 0;
			t.writes++;
		} else if (op < 80) {
			while (sem_wait(&pool) != 0)
				if (errno != EINTR) {
					t.bad++;
					break;
				}
			if (__atomic_add_fetch(&holders, 1, __ATOMIC_SEQ_CST) > POOL)
				__atomic_store_n(&max_holders_exceeded, 1, __ATOMIC_SEQ_CST);
			if (op & 1)
				sched_yield();
			__atomic_sub_fetch(&holders, 1, __ATOMIC_SEQ_CST);
			t.bad += sem_post(&pool) != 0;
			t.pool++;
		} else if (op < 85) {
			t.bad += pthread_mutex_lock(&tmu) != 0;
			t.bad += pthread_cond_timedwait(&tcv, &tmu, &past) != ETIMEDOUT;
			t.bad += pthread_mutex_unlock(&tmu) != 0;
			t.ctimeouts++;
		} else {
			sched_yield();
			t.yields++;
		}

		if (r % RING_EVERY == RING_EVERY - 1) {
			while (sem_wait(&g->ring[j]) != 0)
				if (errno != EINTR) {
					t.bad++;
					break;
				}
			g->ring_passes++;
			t.bad += sem_post(&g->ring[(j + 1) % GROUP]) != 0;
		}
		if (r % BARRIER_EVERY == BARRIER_EVERY - 1) {
			int rc = pthread_barrier_wait(&g->barrier);
			if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
				g->barrier_serials++;
			else if (rc != 0)
				t.bad++;
		}
		if (r % CBARRIER_EVERY == CBARRIER_EVERY - 1)
			cbarrier(g, &t.bad);
	}

	/* The latch. */
	t.bad += pthread_mutex_lock(&latch_mu) != 0;
	if (--latch == 0)
		t.bad += pthread_cond_broadcast(&latch_cv) != 0;
	while (latch != 0)
		t.bad += pthread_cond_wait(&latch_cv, &latch_mu) != 0;
	t.bad += pthread_mutex_unlock(&latch_mu) != 0;

	tallies[id] = t;
	return NULL;
}

static void check(const char *what, long got, long want)
{
	if (got != want) {
		printf("FAIL: %s: %ld, expected %ld\n", what, got, want);
		failures++;
	}
}

int main(void)
{
	long n = 10000;
	const char *env = getenv("STRESS_THREADS");
	if (env && *env)
		n = strtol(env, NULL, 10);
	if (n < GROUP)
		n = GROUP;
	n = (n + GROUP - 1) / GROUP * GROUP;
	long ngroups = n / GROUP;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(100);

	groups = calloc((size_t)ngroups, sizeof *groups);
	tallies = calloc((size_t)n, sizeof *tallies);
	pthread_t *threads = calloc((size_t)n, sizeof *threads);
	if (!groups || !tallies || !threads) {
		printf("FAIL: out of memory\n");
		return 1;
	}
	for (long i = 0; i < ngroups; i++) {
		struct group *g = &groups[i];
		for (int j = 0; j < GROUP; j++)
			sem_init(&g->ring[j], 0, j == 0 ? 1 : 0);
		pthread_barrier_init(&g->barrier, NULL, GROUP);
		pthread_mutex_init(&g->cb_mu, NULL);
		pthread_cond_init(&g->cb_cv, NULL);
	}
	for (int k = 0; k < NMUTEX; k++)
		pthread_mutex_init(&mutexes[k], NULL);
	sem_init(&pool, 0, POOL);
	latch = (int)n;

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	phase = "creating threads";
	for (long i = 0; i < n; i++) {
		int rc = pthread_create(&threads[i], &attr, worker, (void *)(intptr_t)i);
		if (rc != 0) {
			/* Natively a resource limit: skip.  Under mnthread the
			 * native run succeeded, so this is a failure. */
			fprintf(stderr, "stress_sync: pthread_create #%ld: %s\n", i, strerror(rc));
			if (getenv("MN_COMPAT_UNDER")) {
				printf("FAIL: pthread_create #%ld failed\n", i);
				fflush(stdout);
				_exit(1);
			}
			_exit(77);
		}
	}
	pthread_attr_destroy(&attr);
	phase = "joining threads";
	for (long i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	phase = "totals";

	struct tally sum = {0};
	for (long i = 0; i < n; i++) {
		sum.mutex += tallies[i].mutex;
		sum.reads += tallies[i].reads;
		sum.writes += tallies[i].writes;
		sum.pool += tallies[i].pool;
		sum.ctimeouts += tallies[i].ctimeouts;
		sum.yields += tallies[i].yields;
		sum.torn += tallies[i].torn;
		sum.bad += tallies[i].bad;
	}
	long counted = 0;
	for (int k = 0; k < NMUTEX; k++)
		counted += counters[k];
	long ring = 0, serials = 0, cbrounds = 0, ring_left = 0;
	for (long i = 0; i < ngroups; i++) {
		int v;
		ring += groups[i].ring_passes;
		serials += groups[i].barrier_serials;
		cbrounds += groups[i].cb_rounds;
		for (int j = 0; j < GROUP; j++) {
			sem_getvalue(&groups[i].ring[j], &v);
			ring_left += v;
		}
	}
	int pool_left = -1;
	sem_getvalue(&pool, &pool_left);

	printf("threads: %ld in %ld groups of %d, %d rounds each\n", n, ngroups, GROUP, ROUNDS);
	printf("mutex ops: %ld\n", sum.mutex);
	printf("rwlock reads: %ld writes: %ld\n", sum.reads, sum.writes);
	printf("semaphore pool ops: %ld\n", sum.pool);
	printf("cond timeouts: %ld\n", sum.ctimeouts);
	printf("yields: %ld\n", sum.yields);
	printf("ring passes: %ld\n", ring);
	printf("barrier serial threads: %ld\n", serials);
	printf("cond barrier rounds: %ld\n", cbrounds);
	printf("latch: %d\n", latch);

	check("mutex counters vs mutex ops", counted, sum.mutex);
	check("rwlock field a vs writes", field_a, sum.writes);
	check("rwlock field b vs writes", field_b, sum.writes);
	check("torn rwlock reads", sum.torn, 0);
	check("pool over-subscribed", max_holders_exceeded, 0);
	check("pool tokens left", pool_left, POOL);
	check("ring passes", ring, n * (ROUNDS / RING_EVERY));
	check("ring tokens left", ring_left, ngroups);
	check("barrier serial threads", serials, ngroups * (ROUNDS / BARRIER_EVERY));
	check("cond barrier rounds", cbrounds, ngroups * (ROUNDS / CBARRIER_EVERY));
	check("all ops", sum.mutex + sum.reads + sum.writes + sum.pool + sum.ctimeouts +
			 sum.yields, n * ROUNDS);
	check("unexpected return values", sum.bad, 0);
	check("latch", latch, 0);

	if (failures) {
		printf("FAIL: %d invariants violated\n", failures);
		return 1;
	}
	printf("all invariants hold\n");
	return 0;
}
