/* shims/barrier.h: barriers (shims/barrier.c) and spin locks
 * (shims/spin.c).  0 or an error number, as the pthread function. */
#ifndef MN_SHIMS_BARRIER_H
#define MN_SHIMS_BARRIER_H
#include <pthread.h>
#include <stdbool.h>
#include "shims/shim.h"

MN_SHIM int mn_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *attr, unsigned count);
/* Initialised process-shared, so glibc's. */
MN_SHIM bool mn_barrier_is_shared(pthread_barrier_t *b);
MN_SHIM int mn_barrier_wait(pthread_barrier_t *b);
MN_SHIM int mn_barrier_destroy(pthread_barrier_t *b);

MN_SHIM int mn_spin_lock(pthread_spinlock_t *l);
MN_SHIM int mn_spin_trylock(pthread_spinlock_t *l);
MN_SHIM int mn_spin_unlock(pthread_spinlock_t *l);
#endif
