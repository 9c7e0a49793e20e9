/* pthread_exit_main: the main thread calls pthread_exit while others run.
 *
 * Proves: pthread_exit(NULL) in main ends only the main thread: its cleanup
 * handler (pthread_cleanup_push) and then its pthread_key destructor run,
 * the process lives on until the last thread ends, and then exits with
 * status 0 as if exit(0) had been called, flushing stdout (never flushed
 * here by hand).  The threads sleep 50-200 ms with nanosleep first, then
 * print in a fixed order (a mutex and a turn counter, main's key destructor
 * taking turn 0), and the last one prints "last".
 *
 * Expects: exit status 0 and the fixed lines below.  A thread that waits
 * more than 10 s for its turn prints "FAIL: ..." and exits 1.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NTHREADS 4

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;   /* CLOCK_MONOTONIC, set up in main */
static int turn;            /* guarded by mu */
static pthread_key_t key;
static int main_value = 1234;

/* Wait for turn T, print LINE, pass the turn on. */
static void take_turn(int t, const char *line)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += 10;
	pthread_mutex_lock(&mu);
	while (turn != t) {
		if (pthread_cond_timedwait(&cv, &mu, &deadline) == ETIMEDOUT) {
			printf("FAIL: turn %d never came (turn is %d)\n", t,
			       turn);
			fflush(stdout);
			exit(1);
		}
	}
	printf("%s\n", line);
	turn++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void main_key_destructor(void *v)
{
	if (v != &main_value || main_value != 1234) {
		printf("FAIL: main's key destructor got a wrong value\n");
		exit(1);
	}
	take_turn(0, "main: key destructor ran");
}

static void main_cleanup(void *arg)
{
	/* Nobody prints before turn 0 has been taken, so this is ordered. */
	printf("main: cleanup handler ran (%s)\n", (const char *)arg);
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct timespec ts = {0, (50 + 50 * id) * 1000000L};
	char line[64];

	while (nanosleep(&ts, &ts) != 0)
		;
	snprintf(line, sizeof line, "thread %d: done", id);
	take_turn(id + 1, line);
	if (id == NTHREADS - 1)
		take_turn(NTHREADS + 1, "last");
	return NULL;
}

int main(void)
{
	pthread_condattr_t ca;
	pthread_t th;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cv, &ca);
	if (pthread_key_create(&key, main_key_destructor) != 0 ||
	    pthread_setspecific(key, &main_value) != 0) {
		printf("FAIL: pthread key\n");
		return 1;
	}
	printf("main: starting %d threads\n", NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		if (pthread_create(&th, NULL, worker, (void *)(intptr_t)i)) {
			printf("FAIL: pthread_create\n");
			return 1;
		}
		pthread_detach(th);
	}
	pthread_cleanup_push(main_cleanup, "before key destructor");
	pthread_exit(NULL);
	pthread_cleanup_pop(0);
	printf("FAIL: pthread_exit returned\n");
	return 1;
}
