/* preload/sync.c: mutex, condition variable and C11 mtx/cnd interposers.
 * init/destroy stay glibc's: they only write the object, in the layout we
 * share (shims/layout.h). */
#include <threads.h>
#include "preload/preload.h"
#include "shims/sync.h"
#include "shims/mutex_fast.h"

/* Before the runtime is up (or in 1:1 mode) everything is glibc's. */
#define SYNC_ACTIVE() mn_shim_active()

MN_EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
	mn_real_resolve(); /* mn_mutex_init runs glibc's init first */
	return mn_mutex_init(m, attr);
}

MN_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
	if (__builtin_expect(SYNC_ACTIVE(), 1) && mn_mutex_lock_fast(m))
		return 0;
	if (!SYNC_ACTIVE())
		return REAL(pthread_mutex_lock)(m);
	return mn_mutex_lock(m);
}

MN_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
	if (!SYNC_ACTIVE())
		return REAL(pthread_mutex_trylock)(m);
	return mn_mutex_trylock(m);
}

MN_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
	if (__builtin_expect(SYNC_ACTIVE(), 1) && mn_mutex_unlock_fast(m))
		return 0;
	if (!SYNC_ACTIVE())
		return REAL(pthread_mutex_unlock)(m);
	return mn_mutex_unlock(m);
}

MN_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
	if (!SYNC_ACTIVE())
		return REAL(pthread_mutex_timedlock)(m, abstime);
	return mn_mutex_clocklock(m, CLOCK_REALTIME, abstime);
}

MN_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime)
{
	if (!SYNC_ACTIVE())
		return REAL(pthread_mutex_clocklock)(m, clock, abstime);
	return mn_mutex_clocklock(m, clock, abstime);
}

MN_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	if (!SYNC_ACTIVE())
		return REAL(pthread_cond_wait)(c, m);
	return mn_cond_wait(c, m);
}

MN_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime)
{
	if (!SYNC_ACTIVE())
		return REAL(pthread_cond_timedwait)(c, m, abstime);
	return mn_cond_timedwait(c, m, abstime);
}

MN_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
				     const struct timespec *abstime)
{
	if (!SYNC_ACTIVE())
		return REAL(pthread_cond_clockwait)(c, m, clock, abstime);
	return mn_cond_clockwait(c, m, clock, abstime);
}

MN_EXPORT int pthread_cond_signal(pthread_cond_t *c)
{
	if (!SYNC_ACTIVE())
		return REAL(pthread_cond_signal)(c);
	return mn_cond_signal(c);
}

MN_EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
	if (!SYNC_ACTIVE())
		return REAL(pthread_cond_broadcast)(c);
	return mn_cond_broadcast(c);
}

/* ---- C11: glibc's mtx_/cnd_ call internal pthread functions. */

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

MN_EXPORT int cnd_wait(cnd_t *c, mtx_t *m)
{
	return mn_c11_err(pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m));
}

MN_EXPORT int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict ts)
{
	return mn_c11_err(pthread_cond_timedwait((pthread_cond_t *)c, (pthread_mutex_t *)m, ts));
}

MN_EXPORT int cnd_signal(cnd_t *c)
{
	return mn_c11_err(pthread_cond_signal((pthread_cond_t *)c));
}

MN_EXPORT int cnd_broadcast(cnd_t *c)
{
	return mn_c11_err(pthread_cond_broadcast((pthread_cond_t *)c));
}
