/* preload/cond.c: condition variable and C11 cnd_* interposers
 * (shims/cond.c).  Before the runtime is up (or in 1:1 mode) waits and
 * wake-ups are glibc's; init is ours from the start.
 *
 * Condvars have two glibc ABIs: GLIBC_2.3.2 (today's) and the old
 * GLIBC_2.2.5, whose object is the same 48 bytes on x86_64 (glibc uses its
 * first word as a pointer to a condvar it allocates).  Our other exports
 * are unversioned, so they serve references to every version; only
 * pthread_cond_init differs between the two (the old one refuses any
 * attribute but the default), so it alone is exported at both versions
 * (preload/mnthread.map). */
#include <threads.h>
#include "preload/preload.h"
#include "shims/cond.h"

MN_EXPORT int mn_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr)
{
	return -mn_cond_init(c, attr);
}
__asm__(".symver mn_pthread_cond_init, pthread_cond_init@@GLIBC_2.3.2");

/* The old condvars know neither process-sharing nor another clock than
 * CLOCK_REALTIME: an attribute asking for either (any bit set in its one
 * int) is EINVAL, after the object was initialised, as in glibc. */
MN_EXPORT int mn_pthread_cond_init_old(pthread_cond_t *c, const pthread_condattr_t *attr)
{
	mn_cond_init(c, NULL);
	if (attr != NULL && *(const int *)(const void *)attr != 0)
		return EINVAL;
	return 0;
}
__asm__(".symver mn_pthread_cond_init_old, pthread_cond_init@GLIBC_2.2.5");

MN_EXPORT int pthread_cond_destroy(pthread_cond_t *c)
{
	if (!mn_shim_active())
		return REAL(pthread_cond_destroy)(c);
	return -mn_cond_destroy(c);
}

MN_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	if (!mn_shim_active())
		return REAL(pthread_cond_wait)(c, m);
	return -mn_cond_wait(c, m);
}

MN_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime)
{
	if (!mn_shim_active())
		return REAL(pthread_cond_timedwait)(c, m, abstime);
	return -mn_cond_timedwait(c, m, abstime);
}

MN_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
				     const struct timespec *abstime)
{
	if (!mn_shim_active())
		return REAL(pthread_cond_clockwait)(c, m, clock, abstime);
	return -mn_cond_clockwait(c, m, clock, abstime);
}

MN_EXPORT int pthread_cond_signal(pthread_cond_t *c)
{
	if (!mn_shim_active())
		return REAL(pthread_cond_signal)(c);
	return -mn_cond_signal(c);
}

MN_EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
	if (!mn_shim_active())
		return REAL(pthread_cond_broadcast)(c);
	return -mn_cond_broadcast(c);
}

/* C11: glibc's cnd_* call internal pthread functions; glibc's error map. */
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
