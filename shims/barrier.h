/* shims/barrier.h: barriers (shims/barrier.c) and spin locks
 * (shims/spin.c).  0 or -errno: minus the pthread function's error
 * number, except mn_barrier_wait. */
#ifndef MN_SHIMS_BARRIER_H
#define MN_SHIMS_BARRIER_H
#include <pthread.h>
#include <stdbool.h>
#include "shims/shim.h"

MN_SHIM int mn_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *attr, unsigned count);
/* Initialised process-shared, so glibc's. */
MN_SHIM bool mn_barrier_is_shared(pthread_barrier_t *b);
/* Never fails: which of the two successes (pthread_barrier_wait's
 * PTHREAD_BARRIER_SERIAL_THREAD is -1, which would read as -EPERM). */
enum mn_barrier_result {
	MN_BARRIER_WAITED = 0, /* an ordinary waiter */
	MN_BARRIER_SERIAL = 1, /* the one last to arrive */
};
MN_SHIM enum mn_barrier_result mn_barrier_wait(pthread_barrier_t *b);
MN_SHIM int mn_barrier_destroy(pthread_barrier_t *b);

MN_SHIM int mn_spin_lock(pthread_spinlock_t *l);
MN_SHIM int mn_spin_trylock(pthread_spinlock_t *l);
MN_SHIM int mn_spin_unlock(pthread_spinlock_t *l);
#endif
