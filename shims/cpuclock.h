/* shims/cpuclock.h: the CPU-time clocks of threads (shims/cpuclock.c);
 * the accounting is sched/cputime.c's. */
#ifndef MN_SHIMS_CPUCLOCK_H
#define MN_SHIMS_CPUCLOCK_H
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <sys/resource.h>
#include "shims/shim.h"

/* Is clock one the shims answer for: CLOCK_THREAD_CPUTIME_ID read by a
 * G, or a clock id that names a G (made by mn_thread_cpuclockid)? */
MN_SHIM bool mn_cpuclock_ours(clockid_t clock);
/* clock_gettime and clock_getres of such a clock: 0 or -errno (-EINVAL
 * for a G that has exited, as the kernel for a thread that has). */
MN_SHIM int mn_cpuclock_gettime(clockid_t clock, struct timespec *ts);
MN_SHIM int mn_cpuclock_getres(clockid_t clock, struct timespec *ts);
/* clock_nanosleep on a clock that names a G: 0 or -errno (-EINVAL on
 * one's own).  Context: a G. */
MN_SHIM int mn_cpuclock_nanosleep(clockid_t clock, int flags, const struct timespec *req, struct timespec *rem);
/* pthread_getcpuclockid of a G: 0 or -errno. */
MN_SHIM int mn_thread_cpuclockid(pthread_t t, clockid_t *clock);
/* getrusage(RUSAGE_THREAD) from a G: the kernel's answer for its M in
 * *ru, whose times become the G's. */
MN_SHIM void mn_cpuclock_rusage(struct rusage *ru);
#endif
