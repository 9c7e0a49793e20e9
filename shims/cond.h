/* shims/cond.h: condition variables that park the G (shims/cond.c).
 * Each returns 0 or -errno: minus the pthread function's error number. */
#ifndef MN_SHIMS_COND_H
#define MN_SHIMS_COND_H
#include <pthread.h>
#include <time.h>
#include "shims/shim.h"

MN_SHIM int mn_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr);
MN_SHIM int mn_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
/* timedwait: the condvar's own clock; clockwait: the one given. */
MN_SHIM int mn_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime);
MN_SHIM int mn_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime);
MN_SHIM int mn_cond_signal(pthread_cond_t *c);
MN_SHIM int mn_cond_broadcast(pthread_cond_t *c);
MN_SHIM int mn_cond_destroy(pthread_cond_t *c);
#endif
