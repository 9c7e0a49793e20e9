/* sched/hooks.h: what the runtime needs from the C library underneath the
 * interposition layer.  The runtime must never call a name that preload/
 * interposes (it would call itself); preload/ resolves the next
 * definitions and fills this struct once at start-up, before the runtime
 * is initialised (preload/real.c).  Immutable after that.   Each answers
 * as glibc does (thread_create: 0 or a positive error number; sigaction:
 * -1 and errno), not with our 0 or -errno. */
#ifndef MN_SCHED_HOOKS_H
#define MN_SCHED_HOOKS_H
#include <pthread.h>
#include <signal.h>
#include <time.h>

struct mn_os_hooks {
	/* Create an OS thread (an M, sysmon): glibc's thread creation, which
	 * registers rseq and the robust list and installs the set*id handler. */
	int (*thread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	/* glibc's sigaction (it supplies the signal-return trampoline). */
	int (*sigaction)(int, const struct sigaction *, struct sigaction *);
	/* The C library's clock_gettime (a vDSO call; preload/ interposes
	 * the name for the CPU-time clocks of threads).  Before preload/
	 * fills it, and in the unit tests: a raw system call. */
	int (*clock_gettime)(clockid_t, struct timespec *);
};
extern struct mn_os_hooks mn_os __attribute__((visibility("hidden")));
/* clock_gettime as a raw system call: mn_os.clock_gettime's first value
 * (sched/cputime.c). */
int mn_sys_clock_gettime(clockid_t clock, struct timespec *ts) __attribute__((visibility("hidden")));
#endif
