/* shims/rwlock.h: process-private rwlocks that park the G
 * (shims/rwlock.c).  0 or -errno: minus the pthread function's error. */
#ifndef MN_SHIMS_RWLOCK_H
#define MN_SHIMS_RWLOCK_H
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include "shims/shim.h"

/* abstime NULL waits forever; try: the trylock variant. */
MN_SHIM int mn_rwlock_rdlock(pthread_rwlock_t *l, clockid_t clock, const struct timespec *abstime, bool try);
MN_SHIM int mn_rwlock_wrlock(pthread_rwlock_t *l, clockid_t clock, const struct timespec *abstime, bool try);
MN_SHIM int mn_rwlock_unlock(pthread_rwlock_t *l);
#endif
