/* create_join_seq: many short-lived threads, one after another.
 *
 * Proves: 100,000 sequential pthread_create + pthread_join pairs all
 * succeed, each thread receives its own argument and its return value
 * (void *)(intptr_t)i comes back through pthread_join unchanged, so thread
 * and stack recycling never mixes up two threads' results.
 *
 * Expects: exit 0 and the fixed total below; a wrong value prints
 * "FAIL: ..." and exits 1.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 100000

static void *echo(void *arg)
{
	return arg;
}

int main(void)
{
	long long sum = 0;

	for (intptr_t i = 0; i < N; i++) {
		pthread_t th;
		void *ret = (void *)-1;
		int rc = pthread_create(&th, NULL, echo, (void *)i);
		if (rc != 0) {
			printf("FAIL: pthread_create #%ld returned %d\n",
			       (long)i, rc);
			return 1;
		}
		rc = pthread_join(th, &ret);
		if (rc != 0) {
			printf("FAIL: pthread_join #%ld returned %d\n", (long)i,
			       rc);
			return 1;
		}
		if (ret != (void *)i) {
			printf("FAIL: thread #%ld returned %ld\n", (long)i,
			       (long)(intptr_t)ret);
			return 1;
		}
		sum += (intptr_t)ret;
	}
	printf("created and joined %d\n", N);
	printf("sum of results %lld\n", sum);
	if (sum != (long long)N * (N - 1) / 2) {
		printf("FAIL: sum should be %lld\n", (long long)N * (N - 1) / 2);
		return 1;
	}
	return 0;
}
