/* create_many_alive: 20,000 threads alive at the same time.
 *
 * Proves: 20,000 threads with 64 KiB stacks can exist at once, each blocked
 * in pthread_cond_wait on a shared gate; a pthread_cond_broadcast releases
 * them all and every one is joined.  Under mnthread (MN_COMPAT_UNDER=1) it
 * also proves the M:N claim: while all of them are alive the process has at
 * most MN_PROCS + 4 OS threads (counted in /proc/self/task).
 *
 * Expects: exit 0 and "started 20000" / "joined 20000".  A broken claim
 * prints "FAIL: ..." and exits 1.  If the native run cannot create that
 * many threads (EAGAIN from a resource limit of this machine), it exits 77
 * so that compare skips the test; under mnthread that is a failure.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 20000
#define STACK (64 * 1024)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_started = PTHREAD_COND_INITIALIZER;
static pthread_cond_t gate = PTHREAD_COND_INITIALIZER;
static int started;   /* guarded by mu */
static int open_gate; /* guarded by mu */

static void *waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	if (++started == N)
		pthread_cond_signal(&all_started);
	while (!open_gate)
		pthread_cond_wait(&gate, &mu);
	pthread_mutex_unlock(&mu);
	return arg;
}

static int count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int main(void)
{
	static pthread_t th[N];
	const char *under = getenv("MN_COMPAT_UNDER");
	int is_under = under != NULL && strcmp(under, "1") == 0;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	if (pthread_attr_setstacksize(&attr, STACK) != 0) {
		printf("FAIL: pthread_attr_setstacksize\n");
		return 1;
	}
	for (intptr_t i = 0; i < N; i++) {
		int rc = pthread_create(&th[i], &attr, waiter, (void *)i);
		if (rc == EAGAIN && !is_under) {
			fprintf(stderr,
				"create_many_alive: only %ld threads possible "
				"natively here (EAGAIN); skipping\n",
				(long)i);
			_exit(77);
		}
		if (rc != 0) {
			printf("FAIL: pthread_create #%ld: %s\n", (long)i,
			       strerror(rc));
			fflush(stdout);
			_exit(1);
		}
	}
	pthread_attr_destroy(&attr);

	pthread_mutex_lock(&mu);
	while (started < N)
		pthread_cond_wait(&all_started, &mu);
	pthread_mutex_unlock(&mu);
	printf("started %d\n", started);

	int tasks = count_tasks();
	if (tasks < 1) {
		printf("FAIL: cannot read /proc/self/task\n");
		return 1;
	}
	if (!is_under && tasks != N + 1) {
		printf("FAIL: %d OS threads natively, expected %d\n", tasks,
		       N + 1);
		return 1;
	}
	if (is_under && getenv("MN_PROCS") != NULL) {
		int procs = atoi(getenv("MN_PROCS"));
		if (procs > 0 && tasks > procs + 4) {
			printf("FAIL: %d OS threads under mnthread with "
			       "MN_PROCS=%d (at most %d allowed)\n",
			       tasks, procs, procs + 4);
			fflush(stdout);
			_exit(1);
		}
	}

	pthread_mutex_lock(&mu);
	open_gate = 1;
	pthread_cond_broadcast(&gate);
	pthread_mutex_unlock(&mu);

	int joined = 0;
	for (intptr_t i = 0; i < N; i++) {
		void *ret;
		if (pthread_join(th[i], &ret) != 0 || ret != (void *)i) {
			printf("FAIL: pthread_join #%ld\n", (long)i);
			return 1;
		}
		joined++;
	}
	printf("joined %d\n", joined);
	return 0;
}
