/* many_threads: what many live threads cost, and TLS of a library
 * dlopen'ed while they exist (issue 15).
 *
 * Usage: many_threads blocked N
 *   N threads (default attributes) each block on a gate (a mutex and a
 *   condvar).  Once all have started, prints the growth of VmRSS since
 *   before the first create, per thread, and the number of the process's
 *   mappings (lines of /proc/self/maps); then opens the gate, joins them
 *   and prints how many were joined.
 * Usage: many_threads dlopen N
 *   N threads block on the gate; then main dlopens libtlsmod_dyn.so (a
 *   module with dynamic TLS, next to the program in .libs/) and opens the
 *   gate: each thread reads the module's TLS (7 at first), sets it to a
 *   number of its own and reads it back.  Prints how many saw a wrong
 *   value.
 * Run by tests/compat/many_threads.sh, which checks the figures against
 * loose bounds.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate = PTHREAD_COND_INITIALIZER, all_in = PTHREAD_COND_INITIALIZER;
static long started, n_threads;
static int open_gate;
static int (*get)(void);
static void (*set)(int);
static long wrong;

static void *waiter(void *arg)
{
	pthread_mutex_lock(&m);
	if (++started == n_threads)
		pthread_cond_signal(&all_in);
	while (!open_gate)
		pthread_cond_wait(&gate, &m);
	pthread_mutex_unlock(&m);
	if (get) {
		int mine = (int)(long)arg % 1000 + 1000;
		int bad = get() != 7;
		set(mine);
		bad |= get() != mine + 1; /* tlsmod_set also sets a byte get adds */
		if (bad)
			__atomic_add_fetch(&wrong, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t len = strlen(key);
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, key, len) == 0 && line[len] == ':')
			v = strtol(line + len + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static long count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	long n = 0;
	int c;
	while (f && (c = getc(f)) != EOF)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	int dl = strcmp(argv[1], "dlopen") == 0;
	n_threads = strtol(argv[2], NULL, 10);
	pthread_t *t = malloc((size_t)n_threads * sizeof *t);
	if (!t)
		return 2;
	long rss0 = status_kb("VmRSS");
	for (long i = 0; i < n_threads; i++) {
		int e = pthread_create(&t[i], NULL, waiter, (void *)i);
		if (e) {
			printf("pthread_create %ld: %s\n", i, strerror(e));
			return 1;
		}
	}
	pthread_mutex_lock(&m);
	while (started < n_threads)
		pthread_cond_wait(&all_in, &m);
	pthread_mutex_unlock(&m);
	if (!dl) {
		long rss = status_kb("VmRSS");
		printf("%ld threads blocked: %.2f KiB RSS per thread, %ld mappings\n", n_threads,
		       (double)(rss - rss0) / (double)n_threads, count_maps());
	} else {
		char path[PATH_MAX];
		ssize_t k = readlink("/proc/self/exe", path, sizeof path - 40);
		if (k <= 0)
			return 2;
		path[k] = 0;
		strcpy(strrchr(path, '/'), "/.libs/libtlsmod_dyn.so");
		void *h = dlopen(path, RTLD_NOW);
		get = h ? (int (*)(void))dlsym(h, "tlsmod_get") : NULL;
		set = h ? (void (*)(int))dlsym(h, "tlsmod_set") : NULL;
		if (!get || !set) {
			printf("dlopen %s: %s\n", path, dlerror());
			return 1;
		}
	}
	pthread_mutex_lock(&m);
	open_gate = 1;
	pthread_cond_broadcast(&gate);
	pthread_mutex_unlock(&m);
	for (long i = 0; i < n_threads; i++)
		pthread_join(t[i], NULL);
	if (dl)
		printf("%ld threads used the TLS of a module loaded while they existed: %ld saw a wrong value\n",
		       n_threads, wrong);
	else
		printf("joined %ld\n", n_threads);
	return 0;
}
