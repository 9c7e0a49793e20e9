/* preload/clock.c: the CPU-time clocks of threads (shims/cpuclock.c).
 *
 * clock_gettime is called very often, mostly for CLOCK_MONOTONIC and
 * CLOCK_REALTIME: for every clock id that is not a CPU clock (ids >= 0,
 * CLOCK_THREAD_CPUTIME_ID aside) it is one compare and a tail call to the
 * next definition (the vDSO's), which starts as the raw system call, so
 * it never needs a lookup (real.h: SYS). */
#include <errno.h>
#include <time.h>
#include <sys/resource.h>
#include "preload/preload.h"
#include "shims/cpuclock.h"

static __attribute__((noinline)) int cpu_gettime(clockid_t clock, struct timespec *ts)
{
	if (!mn_cpuclock_ours(clock))
		return REAL(clock_gettime)(clock, ts);
	int r = mn_cpuclock_gettime(clock, ts);
	if (r) {
		errno = -r;
		return -1;
	}
	return 0;
}

MN_EXPORT int clock_gettime(clockid_t clock, struct timespec *ts)
{
	if (__builtin_expect(clock >= 0 && clock != CLOCK_THREAD_CPUTIME_ID, 1))
		return REAL(clock_gettime)(clock, ts);
	return cpu_gettime(clock, ts);
}

MN_EXPORT int clock_getres(clockid_t clock, struct timespec *res)
{
	if (clock >= 0 || !mn_cpuclock_ours(clock))
		return REAL(clock_getres)(clock, res);
	int r = mn_cpuclock_getres(clock, res);
	if (r) {
		errno = -r;
		return -1;
	}
	return 0;
}

MN_EXPORT int getrusage(int who, struct rusage *ru)
{
	if (who != RUSAGE_THREAD || !mn_is_g())
		return REAL(getrusage)(who, ru);
	int r = REAL(getrusage)(who, ru);
	if (r == 0)
		mn_cpuclock_rusage(ru);
	return r;
}
