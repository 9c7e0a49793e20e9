/* shims/cpuclock.c: the CPU-time clocks of threads.
 *
 * CLOCK_THREAD_CPUTIME_ID read by a G, the clock id pthread_getcpuclockid
 * gives for a G (read from any thread) and getrusage(RUSAGE_THREAD) report
 * the G's own CPU time (sched/cputime.c), not its M's.  A G's clock id is
 * encoded as the kernel encodes a thread's, with the G's key in place of
 * a tid (cputime.c says why); the kernel itself answers EINVAL for one,
 * so where we do not look (timer_create, clock_nanosleep, a raw system
 * call) it fails instead of reading another thread's clock.
 *
 * clock_nanosleep on another G's clock parks the sleeper for the CPU time
 * still to go, as wall time, and looks again: a G runs on one M at most,
 * so its clock never advances faster than the wall clock, and the sleep
 * never ends early.  Not yet: timer_create on a G's clock (EINVAL), and on
 * CLOCK_THREAD_CPUTIME_ID (the kernel's timer then follows the M).
 */
#include "shims/cpuclock.h"
#include <errno.h>
#include "sched/cputime.h"
#include "sched/join.h"
#include "shims/sleep.h"
#include "shims/poison.h" /* last */

/* The kernel's layout of a CPU clock id (include/linux/posix-timers.h):
 * the low 2 bits say which clock (0 prof, 1 virt, 2 sched, 3 an fd
 * clock), bit 2 per thread (else per process), the rest the complemented
 * pid or tid. */
#define CPUCLOCK_WHICH(c) ((c) & 3)
#define CPUCLOCK_PERTHREAD 4
#define CPUCLOCK_SCHED 2
#define CPUCLOCK_ID(c) (~((c) >> 3)) /* arithmetic shift: the id is negative */
#define MAKE_THREAD_CPUCLOCK(key) ((clockid_t)((~(unsigned)(key) << 3) | CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED))

/* The G key clock names, or 0 when it names no G. */
static int g_key(clockid_t clock)
{
	if (clock >= 0 || !(clock & CPUCLOCK_PERTHREAD) || CPUCLOCK_WHICH(clock) == 3)
		return 0;
	int key = CPUCLOCK_ID(clock);
	return mn_cputime_is_key(key) ? key : 0;
}

bool mn_cpuclock_ours(clockid_t clock)
{
	if (clock == CLOCK_THREAD_CPUTIME_ID)
		return mn_is_g();
	return g_key(clock) != 0;
}

static void to_ts(int64_t ns, struct timespec *ts)
{
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
}

int mn_cpuclock_gettime(clockid_t clock, struct timespec *ts)
{
	int64_t ns;
	if (clock == CLOCK_THREAD_CPUTIME_ID) {
		ns = mn_cputime_self_ns();
	} else {
		int r = mn_cputime_of_key(g_key(clock), &ns);
		if (r)
			return r;
	}
	to_ts(ns, ts);
	return 0;
}

/* The kernel's resolution for a thread CPU clock: 1 ns. */
int mn_cpuclock_getres(clockid_t clock, struct timespec *ts)
{
	int64_t ns;
	if (clock != CLOCK_THREAD_CPUTIME_ID) {
		int r = mn_cputime_of_key(g_key(clock), &ns);
		if (r)
			return r;
	}
	if (ts)
		to_ts(1, ts);
	return 0;
}

int mn_thread_cpuclockid(pthread_t t, clockid_t *clock)
{
	struct g *gp = mn_tcb_to_g((uintptr_t)t);
	if (!gp)
		return -ESRCH;
	*clock = MAKE_THREAD_CPUCLOCK(mn_cputime_key(gp));
	return 0;
}

/* The G's time is all user time: cputime.c says what counts, and that
 * the runtime cannot see how much of it the kernel spent.  The other
 * fields stay the M's (faults, context switches: the kernel's per-thread
 * counters, of an M that also ran other Gs). */
void mn_cpuclock_rusage(struct rusage *ru)
{
	int64_t us = mn_cputime_self_ns() / 1000;
	ru->ru_utime.tv_sec = us / 1000000;
	ru->ru_utime.tv_usec = us % 1000000;
	ru->ru_stime.tv_sec = 0;
	ru->ru_stime.tv_usec = 0;
}

/* Context: a G (it parks). */
int mn_cpuclock_nanosleep(clockid_t clock, int flags, const struct timespec *req, struct timespec *rem)
{
	if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000)
		return -EINVAL;
	int key = g_key(clock);
	/* The kernel refuses a sleep on one's own CPU clock. */
	if (key == mn_cputime_key(mn_getg()))
		return -EINVAL;
	int64_t now;
	int r = mn_cputime_of_key(key, &now);
	if (r)
		return r;
	int64_t want = (int64_t)req->tv_sec * 1000000000 + req->tv_nsec;
	int64_t target = (flags & TIMER_ABSTIME) ? want : now + want;
	while (now < target) {
		struct timespec d;
		to_ts(target - now, &d);
		r = mn_sleep_rel(CLOCK_MONOTONIC, &d, NULL);
		if (r == -EINTR && rem && !(flags & TIMER_ABSTIME) && mn_cputime_of_key(key, &now) == 0)
			to_ts(target > now ? target - now : 0, rem);
		if (r)
			return r;
		/* It exited: nothing more will be counted. */
		if (mn_cputime_of_key(key, &now))
			break;
	}
	return 0;
}
