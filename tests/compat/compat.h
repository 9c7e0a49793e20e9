/* compat.h: the helpers the synchronisation compat programs share.
 *
 * Each program prints "what: RESULT" lines that tests/compat/compare
 * checks against the native run, counts the results that differ from what
 * glibc gives in `failures`, and names what it is doing in `phase` for the
 * watchdog (SIGALRM: on_alarm prints "FAIL: watchdog: stuck in PHASE").
 * Error numbers print by name, so that a difference reads as one.
 *
 * A program using C11 <threads.h> instead of pthreads defines COMPAT_C11
 * before including this and brings its own expect, must, sleep_ms,
 * deadline and spawn.
 */
#ifndef MN_COMPAT_H
#define MN_COMPAT_H
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define COMPAT_UNUSED __attribute__((unused))

/* For the programs that stop at the first failure: "FAIL: ..." and exit 1. */
#define FAIL(...)                                                          \
	do {                                                               \
		printf("FAIL: " __VA_ARGS__);                              \
		printf("\n");                                              \
		fflush(stdout);                                            \
		exit(1);                                                   \
	} while (0)


static int failures COMPAT_UNUSED;
static const char *volatile phase COMPAT_UNUSED = "start";
/* Run by the watchdog before it exits (say, to remove named objects). */
static void (*compat_alarm_hook)(void) COMPAT_UNUSED;

static COMPAT_UNUSED const char *errname(int e)
{
	static char buf[32];
	switch (e) {
	case 0: return "0";
	case EACCES: return "EACCES";
	case EAGAIN: return "EAGAIN";
	case EBUSY: return "EBUSY";
	case EDEADLK: return "EDEADLK";
	case EEXIST: return "EEXIST";
	case EFAULT: return "EFAULT";
	case EINTR: return "EINTR";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case ENOMEM: return "ENOMEM";
	case ENOSYS: return "ENOSYS";
	case EBADF: return "EBADF";
	case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
	case ENOTSUP: return "ENOTSUP";
	case EOVERFLOW: return "EOVERFLOW";
	case EOWNERDEAD: return "EOWNERDEAD";
	case EPERM: return "EPERM";
	case ERANGE: return "ERANGE";
	case ESRCH: return "ESRCH";
	case ETIMEDOUT: return "ETIMEDOUT";
	}
	snprintf(buf, sizeof buf, "E?%d", e);
	return buf;
}

static COMPAT_UNUSED void expect_val(const char *what, long got, long want)
{
	printf("%s: %ld\n", what, got);
	if (got != want) {
		printf("FAIL: %s: expected %ld\n", what, want);
		failures++;
	}
}

static COMPAT_UNUSED void on_alarm(int sig)
{
	const char *p = phase;
	(void)sig;
	write(1, "FAIL: watchdog: stuck in ", 25);
	write(1, p, strlen(p));
	write(1, "\n", 1);
	if (compat_alarm_hook)
		compat_alarm_hook();
	_exit(1);
}

static COMPAT_UNUSED long elapsed_ms(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000L + (now.tv_nsec - since->tv_nsec) / 1000000L;
}

#ifndef COMPAT_C11
/* An error number (or -1 with errno set) that is not 0. */
static COMPAT_UNUSED void expect(const char *what, int got, int want)
{
	printf("%s: %s\n", what, errname(got));
	if (got != want) {
		printf("FAIL: %s: expected %s\n", what, errname(want));
		failures++;
	}
}

/* A call that must work for the test to go on. */
static COMPAT_UNUSED void must(int rc, const char *what)
{
	if (rc != 0) {
		printf("FAIL: %s: %s\n", what, errname(rc == -1 ? errno : rc));
		exit(1);
	}
}

static COMPAT_UNUSED void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Now plus ms on clock clk, as an absolute time. */
static COMPAT_UNUSED struct timespec deadline(clockid_t clk, int ms)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static COMPAT_UNUSED pthread_t spawn(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	must(pthread_create(&t, NULL, fn, arg), "pthread_create");
	return t;
}
#endif
#endif
