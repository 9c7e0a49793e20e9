/* shims/sync.h: mutexes and condition variables that park the G. */
#ifndef MN_SHIMS_SYNC_H
#define MN_SHIMS_SYNC_H
#include <pthread.h>
#include <time.h>
#define MN_SHIM __attribute__((visibility("hidden")))
struct mn_glibc_sync {
	int (*mutex_lock)(pthread_mutex_t *);
	int (*mutex_trylock)(pthread_mutex_t *);
	int (*mutex_unlock)(pthread_mutex_t *);
	int (*mutex_clocklock)(pthread_mutex_t *, clockid_t, const struct timespec *);
	int (*cond_wait)(pthread_cond_t *, pthread_mutex_t *);
	int (*cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *);
	int (*cond_signal)(pthread_cond_t *);
	int (*cond_broadcast)(pthread_cond_t *);
};
extern struct mn_glibc_sync mn_glibc_sync MN_SHIM;

MN_SHIM int mn_mutex_lock(pthread_mutex_t *m);
MN_SHIM int mn_mutex_trylock(pthread_mutex_t *m);
/* clock/abstime: NULL abstime waits forever. */
MN_SHIM int mn_mutex_clocklock(pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime);
MN_SHIM int mn_mutex_unlock(pthread_mutex_t *m);
MN_SHIM int mn_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
/* clock < 0: the condvar's own clock. */
MN_SHIM int mn_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime);
MN_SHIM int mn_cond_signal(pthread_cond_t *c);
MN_SHIM int mn_cond_broadcast(pthread_cond_t *c);
/* Absolute time on clock -> CLOCK_MONOTONIC deadline (ns); 0 or EINVAL. */
MN_SHIM int mn_abs_to_deadline(clockid_t clock, const struct timespec *abs, int64_t *out);
#endif
