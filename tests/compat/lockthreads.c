/* lockthreads: with MN_DEBUG=lockthreads=1 (tests/compat/lockthreads.sh),
 * every thread keeps an OS thread of its own, as natively: THREADS
 * threads, each passing through a barrier and then yielding ROUNDS
 * times, read /proc/thread-self (the kernel's task, whatever gettid
 * says) at each step; each must always read the same task, and no two
 * the same.  Under mnthread without lockthreads the answer would be "no".
 *
 * Expects: the same stdout natively and under mnthread with
 * lockthreads=1; exit 0.
 */
#include <sched.h>
#include "compat.h"

#define THREADS 8
#define ROUNDS 1000

static pthread_barrier_t all;
static char task[THREADS][64];
static int moved[THREADS];

static void here(char *b, size_t n)
{
	ssize_t r = readlink("/proc/thread-self", b, n - 1);
	b[r > 0 ? r : 0] = 0;
}

static void *run(void *arg)
{
	int i = (int)(intptr_t)arg;
	here(task[i], sizeof task[i]);
	pthread_barrier_wait(&all);
	for (int k = 0; k < ROUNDS; k++) {
		char b[64];
		here(b, sizeof b);
		if (strcmp(b, task[i]) != 0)
			moved[i]++;
		sched_yield();
	}
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_t t[THREADS];
	pthread_barrier_init(&all, NULL, THREADS);
	for (int i = 0; i < THREADS; i++)
		must(pthread_create(&t[i], NULL, run, (void *)(intptr_t)i), "create");
	for (int i = 0; i < THREADS; i++)
		must(pthread_join(t[i], NULL), "join");
	int same = 0, moves = 0;
	for (int i = 0; i < THREADS; i++) {
		moves += moved[i];
		for (int j = 0; j < i; j++)
			if (strcmp(task[i], task[j]) == 0)
				same++;
	}
	fprintf(stderr, "lockthreads: %d moves, %d pairs on one task\n", moves, same);
	printf("%d threads, each on an OS thread of its own throughout: %s\n", THREADS,
	       moves == 0 && same == 0 ? "yes" : "no");
	return 0;
}
