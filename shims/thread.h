/* shims/thread.h: POSIX thread semantics on top of sched/.  Each function
 * returns 0 or an error number (pthread style); preload/ only forwards. */
#ifndef MN_SHIMS_THREAD_H
#define MN_SHIMS_THREAD_H
#include <stdatomic.h>
#include <stdbool.h>
#include <pthread.h>
#include <time.h>
#include <stdbool.h>
#define MN_SHIM __attribute__((visibility("hidden")))

/* Runtime readiness: false in 1:1 mode (glibc refused) or a vfork child. */
extern __thread int mn_tls_vfork_child MN_SHIM; /* set in a vfork child (vfork.S) */
extern _Atomic int mn_init_state MN_SHIM;        /* 2: the runtime is up */
MN_SHIM bool mn_shim_active_slow(void);
/* Whether interposers use the runtime (false before start-up, and inside
 * it on the initialising thread: shims/thread.c, "Start-up").  A
 * vfork child shares its parent's TCB and must never switch Gs. */
static inline bool mn_shim_active(void)
{
	if (__builtin_expect(atomic_load_explicit(&mn_init_state, memory_order_acquire) == 2, 1))
		return !mn_tls_vfork_child;
	return mn_shim_active_slow();
}
MN_SHIM void mn_shim_init(void);          /* idempotent; any thread */
/* mn_shim_active, starting the runtime first if nobody has: for the
 * interposers that create threads (see shims/thread.c, "Start-up"). */
MN_SHIM bool mn_shim_start(void);
MN_SHIM int mn_thread_main(int (*main)(int, char **, char **), int argc, char **argv, char **envp);

MN_SHIM int mn_thread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
MN_SHIM int mn_thread_join(pthread_t t, void **res);
MN_SHIM int mn_thread_tryjoin(pthread_t t, void **res);
/* clock: CLOCK_REALTIME or CLOCK_MONOTONIC; abstime NULL waits forever. */
MN_SHIM int mn_thread_clockjoin(pthread_t t, void **res, clockid_t clock, const struct timespec *abstime);
MN_SHIM int mn_thread_detach(pthread_t t);
MN_SHIM int mn_thread_yield(void);
MN_SHIM int mn_thread_getattr(pthread_t t, pthread_attr_t *attr);
MN_SHIM int mn_thread_setname(pthread_t t, const char *name);
MN_SHIM int mn_thread_getname(pthread_t t, char *buf, size_t len);
MN_SHIM int mn_thread_setschedparam(pthread_t t, int policy, const struct sched_param *sp);
MN_SHIM int mn_thread_getschedparam(pthread_t t, int *policy, struct sched_param *sp);
/* Is t one of our Gs?  (Else the caller falls back to glibc.) */
MN_SHIM bool mn_thread_is_g(pthread_t t);
#include <sys/types.h>
MN_SHIM pid_t mn_thread_gettid(void);
MN_SHIM pid_t mn_thread_set_tid_address(int *addr);
MN_SHIM int *mn_thread_tid_address(void);
/* pid -1: tkill.  1 when handled (*ret: 0 or -errno), 0: the kernel's. */
MN_SHIM int mn_thread_tgkill(long pid, long tid, int sig, long *ret);
MN_SHIM int mn_thread_kill(pthread_t t, int sig);
MN_SHIM int mn_thread_cancel(pthread_t t);
#include <sched.h>
MN_SHIM int mn_thread_getaffinity(pthread_t t, size_t size, cpu_set_t *set);
MN_SHIM int mn_thread_setaffinity(pthread_t t, size_t size, const cpu_set_t *set);
MN_SHIM int mn_sig_raise_self(int sig);
MN_SHIM int mn_once(pthread_once_t *once, void (*init)(void));

/* Sleeping (shims/sleep.c): 0 or -errno; rem filled on -EINTR. */
MN_SHIM int mn_sleep_rel(clockid_t clock, const struct timespec *req, struct timespec *rem);
MN_SHIM int mn_sleep_abs(clockid_t clock, const struct timespec *abstime);
MN_SHIM bool mn_sleep_is_g(void);

/* Signal masks (shims/signal.c). */
#include <signal.h>
#include <stdint.h>
MN_SHIM uint64_t mn_sig_creator_mask(void);
struct g;
MN_SHIM void mn_sig_main_init(struct g *gp);
MN_SHIM int mn_sigmask(int how, const sigset_t *set, sigset_t *old);
MN_SHIM int mn_sig_pending(sigset_t *set);
MN_SHIM int mn_sig_take_pending(const sigset_t *set);
#endif
