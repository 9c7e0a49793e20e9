/* maxgs: create threads that wait on a gate until pthread_create fails
 * (or ARG of them exist), then open the gate, join them all, and create
 * and join 10 more.  Prints how many were made and the error, then
 * whether the 10 later ones were made.  tests/compat/maxgs.sh runs it
 * under mnthread with a small MN_MAXGS. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int open_gate;

static void *waiter(void *arg)
{
	pthread_mutex_lock(&m);
	while (!open_gate)
		pthread_cond_wait(&c, &m);
	pthread_mutex_unlock(&m);
	return arg;
}

int main(int argc, char **argv)
{
	long max = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
	pthread_t *t = calloc((size_t)max, sizeof *t);
	if (!t)
		return 2;
	long n = 0;
	int err = 0;
	while (n < max && (err = pthread_create(&t[n], NULL, waiter, NULL)) == 0)
		n++;
	printf("created %ld, then %s\n", n, n < max ? strerror(err) : "no failure");
	pthread_mutex_lock(&m);
	open_gate = 1;
	pthread_cond_broadcast(&c);
	pthread_mutex_unlock(&m);
	for (long i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	int later = 0;
	for (int i = 0; i < 10; i++) {
		pthread_t x;
		if (pthread_create(&x, NULL, waiter, NULL) == 0 && pthread_join(x, NULL) == 0)
			later++;
	}
	printf("after joining them: %d of 10 made\n", later);
	free(t);
	return 0;
}
