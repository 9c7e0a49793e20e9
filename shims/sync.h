/* shims/sync.h: mutexes and condition variables that park the G. */
#ifndef MN_SHIMS_SYNC_H
#define MN_SHIMS_SYNC_H
#include <pthread.h>
#include <time.h>
#include <stdint.h>
#define MN_SHIM __attribute__((visibility("hidden")))

MN_SHIM int mn_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr);
MN_SHIM int mn_mutex_lock(pthread_mutex_t *m);
MN_SHIM int mn_mutex_trylock(pthread_mutex_t *m);
/* clock/abstime: NULL abstime waits forever. */
MN_SHIM int mn_mutex_clocklock(pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime);
MN_SHIM int mn_mutex_unlock(pthread_mutex_t *m);
MN_SHIM int mn_mutex_cond_check(pthread_mutex_t *m);
MN_SHIM int mn_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
/* timedwait: the condvar's own clock; clockwait: the one given. */
MN_SHIM int mn_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime);
MN_SHIM int mn_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime);
MN_SHIM int mn_cond_signal(pthread_cond_t *c);
MN_SHIM int mn_cond_destroy(pthread_cond_t *c);
MN_SHIM int mn_cond_broadcast(pthread_cond_t *c);
/* Absolute time on clock -> CLOCK_MONOTONIC deadline (ns); 0 or EINVAL. */
MN_SHIM int mn_abs_to_deadline(clockid_t clock, const struct timespec *abs, int64_t *out);
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>
MN_SHIM int mn_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr);
MN_SHIM int mn_rwlock_rdlock(pthread_rwlock_t *l, clockid_t clock, const struct timespec *abstime, bool try);
MN_SHIM int mn_rwlock_wrlock(pthread_rwlock_t *l, clockid_t clock, const struct timespec *abstime, bool try);
MN_SHIM int mn_rwlock_unlock(pthread_rwlock_t *l);
MN_SHIM int mn_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *attr, unsigned count);
MN_SHIM bool mn_barrier_is_shared(pthread_barrier_t *b);
MN_SHIM int mn_barrier_wait(pthread_barrier_t *b);
MN_SHIM int mn_barrier_destroy(pthread_barrier_t *b);
MN_SHIM int mn_spin_lock(pthread_spinlock_t *l);
MN_SHIM int mn_spin_trylock(pthread_spinlock_t *l);
MN_SHIM int mn_spin_unlock(pthread_spinlock_t *l);
MN_SHIM bool mn_sem_is_ours(sem_t *s);
/* try: sem_trywait; abstime NULL: wait forever.  0 or an error number. */
MN_SHIM int mn_sem_wait(sem_t *s, bool try, clockid_t clock, const struct timespec *abstime);
MN_SHIM int mn_sem_post(sem_t *s);
/* futex(2) through syscall(): 1 handled (*ret: >= 0 or -errno), 0 kernel's. */
MN_SHIM int mn_futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts, uint32_t val3, long *ret);
#endif
