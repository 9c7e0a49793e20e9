/* shims/mutex.h: pthread mutexes that park the G (shims/mutex.c).  Each
 * returns 0 or -errno: minus the pthread function's error number. */
#ifndef MN_SHIMS_MUTEX_H
#define MN_SHIMS_MUTEX_H
#include <pthread.h>
#include <time.h>
#include "shims/shim.h"

MN_SHIM int mn_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr);
MN_SHIM int mn_mutex_lock(pthread_mutex_t *m);
MN_SHIM int mn_mutex_trylock(pthread_mutex_t *m);
/* clock/abstime: NULL abstime waits forever. */
MN_SHIM int mn_mutex_clocklock(pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime);
MN_SHIM int mn_mutex_unlock(pthread_mutex_t *m);
/* May the caller wait on a condvar with m?  0 or minus glibc's error. */
MN_SHIM int mn_mutex_cond_check(pthread_mutex_t *m);
#endif
