/* preload/mutex.c: pthread mutex and C11 mtx_* interposers (shims/mutex.c).
 * Before the runtime is up (or in 1:1 mode) every call is glibc's.  init
 * is ours from the start: glibc's init writes the object, in the layout
 * we share (shims/layout.h), and we mark what glibc leaves ambiguous. */
#include <threads.h>
#include "preload/preload.h"
#include "shims/mutex.h"
#include "shims/mutex_fast.h"

MN_EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
	mn_real_resolve(); /* mn_mutex_init runs glibc's init first */
	return -mn_mutex_init(m, attr);
}

/* Lock and unlock: the uncontended case inline, the rest out of line, so
 * that the fast path stays a leaf. */
static __attribute__((noinline, cold)) int lock_slow(pthread_mutex_t *m)
{
	if (!mn_shim_active())
		return REAL(pthread_mutex_lock)(m);
	return -mn_mutex_lock(m);
}

MN_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
	if (__builtin_expect(mn_shim_active(), 1) && mn_mutex_lock_fast(m))
		return 0;
	return lock_slow(m);
}

MN_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
	if (!mn_shim_active())
		return REAL(pthread_mutex_trylock)(m);
	return -mn_mutex_trylock(m);
}

static __attribute__((noinline, cold)) int unlock_slow(pthread_mutex_t *m)
{
	if (!mn_shim_active())
		return REAL(pthread_mutex_unlock)(m);
	return -mn_mutex_unlock(m);
}

MN_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
	if (__builtin_expect(mn_shim_active(), 1) && mn_mutex_unlock_fast(m))
		return 0;
	return unlock_slow(m);
}

MN_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
	if (!mn_shim_active())
		return REAL(pthread_mutex_timedlock)(m, abstime);
	return -mn_mutex_clocklock(m, CLOCK_REALTIME, abstime);
}

MN_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime)
{
	if (!mn_shim_active())
		return REAL(pthread_mutex_clocklock)(m, clock, abstime);
	return -mn_mutex_clocklock(m, clock, abstime);
}

/* C11: glibc's mtx_* call internal pthread functions; glibc's error map. */
MN_EXPORT int mtx_lock(mtx_t *m)
{
	return mn_c11_err(pthread_mutex_lock((pthread_mutex_t *)m));
}

MN_EXPORT int mtx_trylock(mtx_t *m)
{
	return mn_c11_err(pthread_mutex_trylock((pthread_mutex_t *)m));
}

MN_EXPORT int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict ts)
{
	return mn_c11_err(pthread_mutex_timedlock((pthread_mutex_t *)m, ts));
}

MN_EXPORT int mtx_unlock(mtx_t *m)
{
	return mn_c11_err(pthread_mutex_unlock((pthread_mutex_t *)m));
}
