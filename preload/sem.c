/* preload/sem.c: semaphore interposers (shims/sem.c), errno style.
 * Shared (and named) semaphores are glibc's. */
#include <errno.h>
#include <semaphore.h>
#include "preload/preload.h"
#include "shims/sem.h"
#include "shims/blocking.h"

/* errno style: a shim's -errno becomes errno and -1. */
static int sem_ret(int e)
{
	if (e) {
		errno = -e;
		return -1;
	}
	return 0;
}

#define SEM_OURS(s) (mn_shim_active() && mn_sem_is_ours(s))

/* Shared and named semaphores: glibc's, as a blocking call unless the
 * value lets us through at once. */
static int shared_sem_wait(sem_t *s, clockid_t clock, const struct timespec *abstime, int kind)
{
	if (kind == 0 && REAL(sem_trywait)(s) == 0)
		return 0;
	switch (kind) {
	case 0: return MN_BLOCKING_EAGER(REAL(sem_wait)(s));
	case 1: return MN_BLOCKING_EAGER(REAL(sem_timedwait)(s, abstime));
	default: return MN_BLOCKING_EAGER(REAL(sem_clockwait)(s, clock, abstime));
	}
}

MN_EXPORT int sem_wait(sem_t *s)
{
	if (!mn_shim_active())
		return REAL(sem_wait)(s);
	if (!mn_sem_is_ours(s))
		return shared_sem_wait(s, CLOCK_REALTIME, NULL, 0);
	return sem_ret(mn_sem_wait(s, false, CLOCK_REALTIME, NULL));
}

MN_EXPORT int sem_trywait(sem_t *s)
{
	if (!SEM_OURS(s))
		return REAL(sem_trywait)(s);
	return sem_ret(mn_sem_wait(s, true, CLOCK_REALTIME, NULL));
}

MN_EXPORT int sem_timedwait(sem_t *s, const struct timespec *abstime)
{
	if (!mn_shim_active())
		return REAL(sem_timedwait)(s, abstime);
	if (!mn_sem_is_ours(s))
		return shared_sem_wait(s, CLOCK_REALTIME, abstime, 1);
	return sem_ret(mn_sem_wait(s, false, CLOCK_REALTIME, abstime));
}

MN_EXPORT int sem_clockwait(sem_t *s, clockid_t clock, const struct timespec *abstime)
{
	if (!mn_shim_active())
		return REAL(sem_clockwait)(s, clock, abstime);
	if (!mn_sem_is_ours(s))
		return shared_sem_wait(s, clock, abstime, 2);
	return sem_ret(mn_sem_wait(s, false, clock, abstime));
}

MN_EXPORT int sem_post(sem_t *s)
{
	if (!SEM_OURS(s))
		return REAL(sem_post)(s);
	return sem_ret(mn_sem_post(s));
}
