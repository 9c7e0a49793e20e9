/* preload/barrier.c: pthread barrier and spin lock interposers
 * (shims/barrier.c, shims/spin.c).  A barrier is ours from init on,
 * unless it is process-shared: then glibc's, its wait a blocking call. */
#include "preload/preload.h"
#include "shims/barrier.h"
#include "shims/blocking.h"

MN_EXPORT int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *attr, unsigned count)
{
	int pshared = PTHREAD_PROCESS_PRIVATE;
	if (attr)
		pthread_barrierattr_getpshared(attr, &pshared);
	if (pshared == PTHREAD_PROCESS_SHARED)
		return REAL(pthread_barrier_init)(b, attr, count);
	return -mn_barrier_init(b, attr, count);
}

/* A shared barrier was initialised by glibc, whose layout keeps its
 * count at the same offset and never sets our shared flag: tell them
 * apart by the attribute recorded at init. */
MN_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
	if (!mn_shim_active())
		return REAL(pthread_barrier_wait)(b);
	if (!mn_barrier_is_shared(b))
		return mn_barrier_wait(b) == MN_BARRIER_SERIAL ? PTHREAD_BARRIER_SERIAL_THREAD : 0;
	return MN_BLOCKING_EAGER(REAL(pthread_barrier_wait)(b));
}

MN_EXPORT int pthread_barrier_destroy(pthread_barrier_t *b)
{
	if (!mn_barrier_is_shared(b))
		return -mn_barrier_destroy(b);
	return REAL(pthread_barrier_destroy)(b);
}

/* Spin locks: a G that spins yields to the others (shims/spin.c). */
MN_EXPORT int pthread_spin_lock(pthread_spinlock_t *l)
{
	if (!mn_shim_active())
		return REAL(pthread_spin_lock)(l);
	return -mn_spin_lock(l);
}

MN_EXPORT int pthread_spin_trylock(pthread_spinlock_t *l)
{
	return -mn_spin_trylock(l);
}

MN_EXPORT int pthread_spin_unlock(pthread_spinlock_t *l)
{
	return -mn_spin_unlock(l);
}
