/* preload/sleep.c: sleeping calls that park the G (shims/sleep.c). */
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include "preload/preload.h"
#include "shims/blocking.h"
#include "shims/cpuclock.h"

/* Threads park; a signal for one ends its sleep early (EINTR, the time
 * left: sched/gsig.c).  Main locked to M0 (MN_DEBUG=lockmain=1) keeps its
 * own OS thread, where the process's signals arrive: it sleeps in the
 * kernel, as a blocking call, so that a handler ends the sleep there. */
static inline bool sleeps_in_kernel(void)
{
	return mn_g_m0main(mn_getg());
}

/* The main thread's kernel sleep, made again with the time left when only
 * our preemption signal ended it (shims/blocking.h). */
static int main_nanosleep(const struct timespec *req, struct timespec *rem)
{
	struct timespec left;
	struct timespec *out = rem ? rem : &left;
	for (;;) {
		uint32_t mark = mn_intr_mark();
		int r = MN_BLOCKING_EAGER(REAL(nanosleep)(req, out));
		if (!mn_intr_ours(mark, r, errno))
			return r;
		req = out;
	}
}

MN_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (!mn_sleep_is_g())
		return REAL(nanosleep)(req, rem);
	if (sleeps_in_kernel())
		return main_nanosleep(req, rem);
	int r = mn_sleep_rel(CLOCK_REALTIME, req, rem);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

MN_EXPORT int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req, struct timespec *rem)
{
	if (!mn_sleep_is_g())
		return REAL(clock_nanosleep)(clock, flags, req, rem);
	if (clock < 0 && mn_cpuclock_ours(clock)) /* another thread's CPU clock */
		return -mn_cpuclock_nanosleep(clock, flags, req, rem);
	if (sleeps_in_kernel()) {
		struct timespec left;
		struct timespec *out = rem ? rem : &left;
		for (;;) {
			uint32_t mark = mn_intr_mark();
			int r = MN_BLOCKING_EAGER(REAL(clock_nanosleep)(clock, flags, req, out));
			/* clock_nanosleep returns the error number itself */
			if (!mn_intr_ours(mark, r == EINTR ? -1 : 0, r))
				return r;
			if (!(flags & TIMER_ABSTIME))
				req = out;
		}
	}
	int r = (flags & TIMER_ABSTIME) ? mn_sleep_abs(clock, req) : mn_sleep_rel(clock, req, rem);
	if (r == -EOPNOTSUPP)
		return REAL(clock_nanosleep)(clock, flags, req, rem);
	return -r;
}

MN_EXPORT int usleep(useconds_t us)
{
	if (!mn_sleep_is_g())
		return REAL(usleep)(us);
	if (sleeps_in_kernel()) {
		struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };
		return main_nanosleep(&ts, NULL);
	}
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };
	int r = mn_sleep_rel(CLOCK_REALTIME, &ts, NULL);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

MN_EXPORT unsigned int sleep(unsigned int s)
{
	if (!mn_sleep_is_g())
		return REAL(sleep)(s);
	if (sleeps_in_kernel()) {
		/* glibc's sleep: the whole seconds not slept when interrupted,
		 * errno kept otherwise. */
		int saved = errno;
		struct timespec ts = { s, 0 };
		if (main_nanosleep(&ts, &ts) < 0)
			return (unsigned int)ts.tv_sec + (ts.tv_nsec >= 500000000L);
		errno = saved;
		return 0;
	}
	int saved = errno;
	struct timespec ts = { s, 0 };
	if (mn_sleep_rel(CLOCK_REALTIME, &ts, &ts) == -EINTR)
		return (unsigned int)ts.tv_sec + (ts.tv_nsec >= 500000000L);
	errno = saved;
	return 0;
}
