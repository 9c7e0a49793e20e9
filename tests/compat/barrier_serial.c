/* barrier_serial: pthread barriers behave as glibc's do.
 *
 * Proves:
 *   - a barrier of 8 threads, 5000 rounds: in every round exactly one
 *     thread gets PTHREAD_BARRIER_SERIAL_THREAD and the other 7 get 0, and
 *     nobody leaves round r before all 8 have arrived at it (each thread
 *     bumps the round's arrival count before waiting; whoever leaves sees 8);
 *   - a second barrier of 3 shared by 3 of those threads interleaves with
 *     the first without confusion (rounds of both counted exactly);
 *   - a barrier of count 1: every wait returns PTHREAD_BARRIER_SERIAL_THREAD;
 *   - a destroyed barrier can be initialised again and used again;
 *   - pthread_barrier_init with count 0 -> EINVAL; pthread_barrierattr
 *     pshared roundtrip (PRIVATE default, SHARED, 42 -> EINVAL); a barrier
 *     made with a PROCESS_SHARED attribute works between threads;
 *   - pthread_barrier_destroy of an idle barrier -> 0.
 *
 * Expects: exit 0 and a fixed list of "what: RESULT" lines.  A claim that
 * does not hold prints "FAIL: ..." and exits 1; a watchdog (SIGALRM, 90 s)
 * prints "FAIL: watchdog ..." if something hangs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "compat.h"


#define N 8
#define ROUNDS 5000
#define SMALL 3

static pthread_barrier_t big, small;
static int arrived[ROUNDS];
static int serial[ROUNDS];
static int small_serial[ROUNDS];
static long early, bad_rc;

static void *member(void *arg)
{
	int id = (int)(intptr_t)arg;
	long e = 0, b = 0;
	for (int r = 0; r < ROUNDS; r++) {
		__atomic_add_fetch(&arrived[r], 1, __ATOMIC_SEQ_CST);
		int rc = pthread_barrier_wait(&big);
		if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_add_fetch(&serial[r], 1, __ATOMIC_SEQ_CST);
		else if (rc != 0)
			b++;
		if (__atomic_load_n(&arrived[r], __ATOMIC_SEQ_CST) != N)
			e++;
		if (id < SMALL && r % 2 == 0) {
			rc = pthread_barrier_wait(&small);
			if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
				__atomic_add_fetch(&small_serial[r], 1, __ATOMIC_SEQ_CST);
			else if (rc != 0)
				b++;
		}
	}
	__atomic_add_fetch(&early, e, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&bad_rc, b, __ATOMIC_SEQ_CST);
	return NULL;
}

static void rounds(const char *label)
{
	pthread_t t[N];
	char w[128];

	memset(arrived, 0, sizeof arrived);
	memset(serial, 0, sizeof serial);
	memset(small_serial, 0, sizeof small_serial);
	early = bad_rc = 0;
	for (int i = 0; i < N; i++)
		must(pthread_create(&t[i], NULL, member, (void *)(intptr_t)i), "pthread_create");
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	long one = 0, small_one = 0;
	for (int r = 0; r < ROUNDS; r++) {
		one += serial[r] == 1;
		if (r % 2 == 0)
			small_one += small_serial[r] == 1;
	}
	snprintf(w, sizeof w, "%s: rounds of %d with exactly one serial thread", label, N);
	expect_val(w, one, ROUNDS);
	snprintf(w, sizeof w, "%s: rounds of %d with exactly one serial thread", label, SMALL);
	expect_val(w, small_one, ROUNDS / 2);
	snprintf(w, sizeof w, "%s: left a round before all had arrived", label);
	expect_val(w, early, 0);
	snprintf(w, sizeof w, "%s: other return values", label);
	expect_val(w, bad_rc, 0);
}

int main(void)
{
	pthread_barrierattr_t a;
	pthread_barrier_t b;
	int v;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(90);

	phase = "rounds";
	expect("init barrier of 8", pthread_barrier_init(&big, NULL, N), 0);
	expect("init barrier of 3", pthread_barrier_init(&small, NULL, SMALL), 0);
	rounds("private");
	expect("destroy barrier of 8", pthread_barrier_destroy(&big), 0);
	expect("destroy barrier of 3", pthread_barrier_destroy(&small), 0);

	phase = "count 1";
	expect("init barrier of 1", pthread_barrier_init(&b, NULL, 1), 0);
	int serials = 0;
	for (int i = 0; i < 100; i++)
		serials += pthread_barrier_wait(&b) == PTHREAD_BARRIER_SERIAL_THREAD;
	expect_val("barrier of 1: serial returns out of 100", serials, 100);
	expect("destroy barrier of 1", pthread_barrier_destroy(&b), 0);

	phase = "errors";
	expect("init with count 0", pthread_barrier_init(&b, NULL, 0), EINVAL);

	phase = "barrierattr";
	expect("barrierattr init", pthread_barrierattr_init(&a), 0);
	v = -1;
	expect("barrierattr getpshared", pthread_barrierattr_getpshared(&a, &v), 0);
	expect_val("barrierattr default pshared is PRIVATE", v == PTHREAD_PROCESS_PRIVATE, 1);
	expect("barrierattr setpshared SHARED",
	       pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
	pthread_barrierattr_getpshared(&a, &v);
	expect_val("barrierattr getpshared is SHARED", v == PTHREAD_PROCESS_SHARED, 1);
	expect("barrierattr setpshared 42", pthread_barrierattr_setpshared(&a, 42), EINVAL);
	pthread_barrierattr_getpshared(&a, &v);
	expect_val("barrierattr still SHARED", v == PTHREAD_PROCESS_SHARED, 1);
	expect("init with count 0 and a SHARED attr", pthread_barrier_init(&b, &a, 0), EINVAL);

	phase = "shared rounds";
	expect("init shared barrier of 8", pthread_barrier_init(&big, &a, N), 0);
	expect("init shared barrier of 3", pthread_barrier_init(&small, &a, SMALL), 0);
	rounds("shared");
	expect("destroy shared barrier of 8", pthread_barrier_destroy(&big), 0);
	expect("destroy shared barrier of 3", pthread_barrier_destroy(&small), 0);
	expect("barrierattr setpshared PRIVATE",
	       pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_PRIVATE), 0);
	expect("barrierattr destroy", pthread_barrierattr_destroy(&a), 0);

	/* Re-initialised with the counts swapped over. */
	phase = "reinit";
	expect("reinit barrier of 8", pthread_barrier_init(&big, NULL, N), 0);
	expect("reinit barrier of 3", pthread_barrier_init(&small, NULL, SMALL), 0);
	rounds("reinit");
	expect("destroy idle barrier of 8", pthread_barrier_destroy(&big), 0);
	expect("destroy idle barrier of 3", pthread_barrier_destroy(&small), 0);

	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
