/* timed_race: timed waits whose time-outs race with wake-ups.
 *
 * Every wait below has a time-out of a few microseconds, so wake-ups and
 * time-outs constantly arrive at the same moment.  Whatever wins, no
 * wake-up may be lost and no unit counted twice:
 *  - semaphores: producers post N units in all; consumers take them with
 *    sem_timedwait / sem_clockwait, retrying on ETIMEDOUT; the units taken
 *    must add up to N and the semaphore must end at 0;
 *  - condition variables: a counter handed over under a mutex, consumers
 *    waiting with pthread_cond_timedwait / clockwait;
 *  - mutexes: pthread_mutex_timedlock; the protected counter must equal the
 *    number of successful locks;
 *  - joins: pthread_timedjoin_np with tiny time-outs on short threads.
 * Prints only the invariants, so the output is the same natively. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PRODUCERS 4
#define CONSUMERS 4
#define UNITS 20000

static void deadline(clockid_t c, long us, struct timespec *ts)
{
	clock_gettime(c, ts);
	ts->tv_nsec += us * 1000;
	while (ts->tv_nsec >= 1000000000) {
		ts->tv_nsec -= 1000000000;
		ts->tv_sec++;
	}
}

/* ---- semaphores */
static sem_t sem;
static long sem_taken, sem_left = UNITS;
static pthread_mutex_t count_m = PTHREAD_MUTEX_INITIALIZER;

static void *sem_producer(void *arg)
{
	(void)arg;
	for (int i = 0; i < UNITS / PRODUCERS; i++)
		sem_post(&sem);
	return NULL;
}

static void *sem_consumer(void *arg)
{
	long id = (long)arg, mine = 0;
	for (unsigned k = (unsigned)id;; k = k * 1103515245 + 12345) {
		pthread_mutex_lock(&count_m);
		int done = sem_left == 0;
		pthread_mutex_unlock(&count_m);
		if (done)
			break;
		struct timespec ts;
		int r;
		if (k & 1) {
			deadline(CLOCK_REALTIME, 1 + (k >> 8) % 20, &ts);
			r = sem_timedwait(&sem, &ts);
		} else {
			deadline(CLOCK_MONOTONIC, 1 + (k >> 8) % 20, &ts);
			r = sem_clockwait(&sem, CLOCK_MONOTONIC, &ts);
		}
		if (r == 0) {
			mine++;
			pthread_mutex_lock(&count_m);
			sem_left--;
			pthread_mutex_unlock(&count_m);
		} else if (errno != ETIMEDOUT) {
			printf("sem wait: unexpected error %d\n", errno);
			exit(1);
		}
	}
	pthread_mutex_lock(&count_m);
	sem_taken += mine;
	pthread_mutex_unlock(&count_m);
	return NULL;
}

/* ---- condition variables */
static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long items, produced, consumed;

static void *cv_producer(void *arg)
{
	(void)arg;
	for (int i = 0; i < UNITS / PRODUCERS; i++) {
		pthread_mutex_lock(&cm);
		items++;
		produced++;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&cm);
	}
	return NULL;
}

static void *cv_consumer(void *arg)
{
	unsigned k = (unsigned)(long)arg;
	pthread_mutex_lock(&cm);
	while (consumed < UNITS) {
		if (items > 0) {
			items--;
			consumed++;
			continue;
		}
		k = k * 1103515245 + 12345;
		struct timespec ts;
		int r;
		if (k & 1) {
			deadline(CLOCK_REALTIME, 1 + (k >> 8) % 20, &ts);
			r = pthread_cond_timedwait(&cv, &cm, &ts);
		} else {
			deadline(CLOCK_MONOTONIC, 1 + (k >> 8) % 20, &ts);
			r = pthread_cond_clockwait(&cv, &cm, CLOCK_MONOTONIC, &ts);
		}
		if (r != 0 && r != ETIMEDOUT) {
			printf("cond wait: unexpected error %d\n", r);
			exit(1);
		}
	}
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&cm);
	return NULL;
}

/* ---- mutex timedlock */
static pthread_mutex_t tm = PTHREAD_MUTEX_INITIALIZER;
static long tm_counter, tm_successes;

static void *tm_worker(void *arg)
{
	unsigned k = (unsigned)(long)arg;
	long ok = 0;
	for (int i = 0; i < 5000; i++) {
		k = k * 1103515245 + 12345;
		struct timespec ts;
		deadline(CLOCK_REALTIME, 1 + (k >> 8) % 10, &ts);
		int r = pthread_mutex_timedlock(&tm, &ts);
		if (r == 0) {
			tm_counter++;
			ok++;
			pthread_mutex_unlock(&tm);
		} else if (r != ETIMEDOUT) {
			printf("timedlock: unexpected error %d\n", r);
			exit(1);
		}
	}
	__atomic_add_fetch(&tm_successes, ok, __ATOMIC_RELAXED);
	return NULL;
}

/* ---- timed joins */
static void *short_thread(void *arg)
{
	for (volatile int i = 0; i < (int)(long)arg; i++)
		;
	return arg;
}

int main(void)
{
	pthread_t p[PRODUCERS], c[CONSUMERS];
	sem_init(&sem, 0, 0);
	for (long i = 0; i < CONSUMERS; i++)
		pthread_create(&c[i], NULL, sem_consumer, (void *)(i + 1));
	for (long i = 0; i < PRODUCERS; i++)
		pthread_create(&p[i], NULL, sem_producer, NULL);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(p[i], NULL);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(c[i], NULL);
	int v = -1;
	sem_getvalue(&sem, &v);
	printf("semaphores: %s (value at the end %d)\n", sem_taken == UNITS ? "every unit taken once" : "WRONG COUNT", v);

	for (long i = 0; i < CONSUMERS; i++)
		pthread_create(&c[i], NULL, cv_consumer, (void *)(i + 7));
	for (long i = 0; i < PRODUCERS; i++)
		pthread_create(&p[i], NULL, cv_producer, NULL);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(p[i], NULL);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(c[i], NULL);
	printf("condvars: %s\n", produced == UNITS && consumed == UNITS && items == 0 ? "every item consumed once" : "WRONG COUNT");

	pthread_t w[6];
	for (long i = 0; i < 6; i++)
		pthread_create(&w[i], NULL, tm_worker, (void *)(i + 3));
	for (int i = 0; i < 6; i++)
		pthread_join(w[i], NULL);
	printf("timedlock: %s\n", tm_counter == tm_successes ? "counter matches the successful locks" : "WRONG COUNT");

	int joined = 0, bad = 0;
	for (long i = 0; i < 2000; i++) {
		pthread_t t;
		void *res;
		pthread_create(&t, NULL, short_thread, (void *)(i % 50 * 100));
		for (;;) {
			struct timespec ts;
			deadline(CLOCK_REALTIME, 1 + i % 7, &ts);
			int r = pthread_timedjoin_np(t, &res, &ts);
			if (r == 0) {
				joined++;
				bad += res != (void *)(i % 50 * 100);
				break;
			}
			if (r != ETIMEDOUT) {
				printf("timedjoin: unexpected error %d\n", r);
				return 1;
			}
		}
	}
	printf("timedjoin: %d joined, %d wrong results\n", joined, bad);
	return 0;
}
