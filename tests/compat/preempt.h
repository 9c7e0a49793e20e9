/* preempt.h: what the preemption compat programs (issue 11) share, on top
 * of compat.h.
 *
 * Spinners are threads that loop on a volatile counter and make no call at
 * all until spin_stop is set: under mnthread nothing but sysmon's
 * asynchronous preemption can take their processor away.  The programs
 * say what they prove at their top; their stdout is the same natively and
 * under mnthread when the runtime is right, and details that vary from run
 * to run (times, counts) go to stderr.
 */
#ifndef MN_PREEMPT_H
#define MN_PREEMPT_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "compat.h"

/* A spinner's counter, alone on its cache line. */
struct spinner {
	volatile unsigned long count;
	char pad[64 - sizeof(unsigned long)];
};

static volatile int spin_stop COMPAT_UNUSED;

static COMPAT_UNUSED void *spin(void *arg)
{
	struct spinner *s = arg;
	while (!spin_stop)
		s->count++;
	return NULL;
}

static COMPAT_UNUSED uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The preemption quantum in ms: MN_DEBUG's preemptms when set, else the
 * runtime's default, 10.  Natively the variable is simply not there. */
static COMPAT_UNUSED int quantum_ms(void)
{
	const char *d = getenv("MN_DEBUG");
	const char *k = d ? strstr(d, "preemptms=") : NULL;
	int q = k ? atoi(k + strlen("preemptms=")) : 0;
	return q >= 1 && q <= 1000 ? q : 10;
}

/* Async-signal-safe: "LABEL N\n" on fd (for watchdog hooks). */
static COMPAT_UNUSED void say_num(int fd, const char *label, long v)
{
	char buf[24];
	int i = sizeof buf;
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
	buf[--i] = '\n';
	do
		buf[--i] = (char)('0' + u % 10);
	while ((u /= 10) != 0 && i > 1);
	if (v < 0)
		buf[--i] = '-';
	ssize_t r = write(fd, label, strlen(label));
	r = write(fd, buf + i, sizeof buf - (size_t)i);
	(void)r;
}
#endif
