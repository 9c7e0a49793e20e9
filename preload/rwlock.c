/* preload/rwlock.c: pthread rwlock interposers (shims/rwlock.c).
 * Process-shared rwlocks stay glibc's, their waits made as blocking
 * calls; so does everything before the runtime is up. */
#include "preload/preload.h"
#include "shims/rwlock.h"
#include "shims/blocking.h"

#define RW_OURS(l) (mn_shim_active() && ((pthread_rwlock_t *)(l))->__data.__shared == 0)

MN_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	if (!RW_OURS(l))
		return MN_BLOCKING_EAGER(REAL(pthread_rwlock_rdlock)(l));
	return -mn_rwlock_rdlock(l, CLOCK_REALTIME, NULL, false);
}

MN_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	if (!RW_OURS(l))
		return REAL(pthread_rwlock_tryrdlock)(l);
	return -mn_rwlock_rdlock(l, CLOCK_REALTIME, NULL, true);
}

MN_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
	if (!RW_OURS(l))
		return MN_BLOCKING_EAGER(REAL(pthread_rwlock_timedrdlock)(l, abstime));
	return -mn_rwlock_rdlock(l, CLOCK_REALTIME, abstime, false);
}

MN_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clock, const struct timespec *abstime)
{
	if (!RW_OURS(l))
		return MN_BLOCKING_EAGER(REAL(pthread_rwlock_clockrdlock)(l, clock, abstime));
	return -mn_rwlock_rdlock(l, clock, abstime, false);
}

MN_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	if (!RW_OURS(l))
		return MN_BLOCKING_EAGER(REAL(pthread_rwlock_wrlock)(l));
	return -mn_rwlock_wrlock(l, CLOCK_REALTIME, NULL, false);
}

MN_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
	if (!RW_OURS(l))
		return REAL(pthread_rwlock_trywrlock)(l);
	return -mn_rwlock_wrlock(l, CLOCK_REALTIME, NULL, true);
}

MN_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
	if (!RW_OURS(l))
		return MN_BLOCKING_EAGER(REAL(pthread_rwlock_timedwrlock)(l, abstime));
	return -mn_rwlock_wrlock(l, CLOCK_REALTIME, abstime, false);
}

MN_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clock, const struct timespec *abstime)
{
	if (!RW_OURS(l))
		return MN_BLOCKING_EAGER(REAL(pthread_rwlock_clockwrlock)(l, clock, abstime));
	return -mn_rwlock_wrlock(l, clock, abstime, false);
}

MN_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	if (!RW_OURS(l))
		return REAL(pthread_rwlock_unlock)(l);
	return -mn_rwlock_unlock(l);
}
