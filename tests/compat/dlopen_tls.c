/* dlopen_tls: TLS of libraries dlopen'ed after threads exist starts at its
 * initial value in every new thread, whether the thread is new or (under
 * mnthread) a recycled one.
 *
 * Threads run and exit first, so that later threads reuse them.  Then the
 * program dlopens a module with dynamic TLS and, later, one with
 * initial-exec (static) TLS; after each, 300 threads in turn check that
 * the module's TLS reads 7, set it to 99, and exit.  Prints the counts. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int (*get)(void);
static void (*set)(int);
static int wrong;

static void *worker(void *arg)
{
	(void)arg;
	if (get() != 7)
		__atomic_add_fetch(&wrong, 1, __ATOMIC_RELAXED);
	set(99);
	return NULL;
}

static void *idle(void *arg)
{
	return arg;
}

static void run(const char *dir, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/.libs/%s", dir, name);
	void *h = dlopen(path, RTLD_NOW);
	if (!h) {
		printf("dlopen %s: failed\n", name);
		exit(1);
	}
	get = (int (*)(void))dlsym(h, "tlsmod_get");
	set = (void (*)(int))dlsym(h, "tlsmod_set");
	if (!get || !set) {
		printf("dlsym %s: failed\n", name);
		exit(1);
	}
	wrong = 0;
	for (int i = 0; i < 300; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, NULL) || pthread_join(t, NULL)) {
			printf("thread %d: failed\n", i);
			exit(1);
		}
	}
	printf("%s: %d of 300 threads saw a stale value; main sees %d\n", name, wrong, get());
}

int main(int argc, char **argv)
{
	(void)argc;
	char dir[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
	if (n <= 0)
		return 1;
	dir[n] = 0;
	*strrchr(dir, '/') = 0;
	(void)argv;
	for (int i = 0; i < 50; i++) {
		pthread_t t;
		pthread_create(&t, NULL, idle, NULL);
		pthread_join(t, NULL);
	}
	run(dir, "libtlsmod_dyn.so");
	run(dir, "libtlsmod_ie.so");
	return 0;
}
