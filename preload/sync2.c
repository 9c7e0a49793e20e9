/* preload/sync2.c: condvar init/destroy, rwlocks, barriers, spin locks,
 * semaphores and futex(2) through syscall().
 *
 * Condvars have two glibc ABIs: GLIBC_2.3.2 (today's) and the old
 * GLIBC_2.2.5, whose object is the same 48 bytes on x86_64 (glibc uses its
 * first word as a pointer to a condvar it allocates).  Our other exports
 * are unversioned, so they serve references to every version; only
 * pthread_cond_init differs between the two (the old one refuses any
 * attribute but the default), so it alone is exported at both versions
 * (preload/mnthread.map). */
#include <errno.h>
#include <semaphore.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "preload/preload.h"
#include "shims/sync.h"
#include "shims/blocking.h"

MN_EXPORT int mn_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr)
{
	return mn_cond_init(c, attr);
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
	return mn_cond_destroy(c);
}

/* ---- rwlocks: process-shared ones stay glibc's. */
#define RW_OURS(l) (mn_shim_active() && ((pthread_rwlock_t *)(l))->__data.__shared == 0)

MN_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	if (!RW_OURS(l))
		return MN_BLOCKING_EAGER(REAL(pthread_rwlock_rdlock)(l));
	return mn_rwlock_rdlock(l, CLOCK_REALTIME, NULL, false);
}

MN_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	if (!RW_OURS(l))
		return REAL(pthread_rwlock_tryrdlock)(l);
	return mn_rwlock_rdlock(l, CLOCK_REALTIME, NULL, true);
}

MN_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
	if (!RW_OURS(l))
		return MN_BLOCKING_EAGER(REAL(pthread_rwlock_timedrdlock)(l, abstime));
	return mn_rwlock_rdlock(l, CLOCK_REALTIME, abstime, false);
}

MN_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clock, const struct timespec *abstime)
{
	if (!RW_OURS(l))
		return MN_BLOCKING_EAGER(REAL(pthread_rwlock_clockrdlock)(l, clock, abstime));
	return mn_rwlock_rdlock(l, clock, abstime, false);
}

MN_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	if (!RW_OURS(l))
		return MN_BLOCKING_EAGER(REAL(pthread_rwlock_wrlock)(l));
	return mn_rwlock_wrlock(l, CLOCK_REALTIME, NULL, false);
}

MN_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
	if (!RW_OURS(l))
		return REAL(pthread_rwlock_trywrlock)(l);
	return mn_rwlock_wrlock(l, CLOCK_REALTIME, NULL, true);
}

MN_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
	if (!RW_OURS(l))
		return MN_BLOCKING_EAGER(REAL(pthread_rwlock_timedwrlock)(l, abstime));
	return mn_rwlock_wrlock(l, CLOCK_REALTIME, abstime, false);
}

MN_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clock, const struct timespec *abstime)
{
	if (!RW_OURS(l))
		return MN_BLOCKING_EAGER(REAL(pthread_rwlock_clockwrlock)(l, clock, abstime));
	return mn_rwlock_wrlock(l, clock, abstime, false);
}

MN_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	if (!RW_OURS(l))
		return REAL(pthread_rwlock_unlock)(l);
	return mn_rwlock_unlock(l);
}

/* ---- barriers: the object is ours from init on. */
MN_EXPORT int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *attr, unsigned count)
{
	int pshared = PTHREAD_PROCESS_PRIVATE;
	if (attr)
		pthread_barrierattr_getpshared(attr, &pshared);
	if (pshared == PTHREAD_PROCESS_SHARED)
		return REAL(pthread_barrier_init)(b, attr, count);
	return mn_barrier_init(b, attr, count);
}

/* A shared barrier was initialised by glibc, whose layout keeps its
 * count at the same offset and never sets our shared flag: tell them
 * apart by the attribute recorded at init. */
MN_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
	if (!mn_shim_active())
		return REAL(pthread_barrier_wait)(b);
	if (!mn_barrier_is_shared(b))
		return mn_barrier_wait(b);
	return MN_BLOCKING_EAGER(REAL(pthread_barrier_wait)(b));
}

MN_EXPORT int pthread_barrier_destroy(pthread_barrier_t *b)
{
	if (!mn_barrier_is_shared(b))
		return mn_barrier_destroy(b);
	return REAL(pthread_barrier_destroy)(b);
}

/* ---- spin locks */
MN_EXPORT int pthread_spin_lock(pthread_spinlock_t *l)
{
	if (!mn_shim_active())
		return REAL(pthread_spin_lock)(l);
	return mn_spin_lock(l);
}

MN_EXPORT int pthread_spin_trylock(pthread_spinlock_t *l)
{
	return mn_spin_trylock(l);
}

MN_EXPORT int pthread_spin_unlock(pthread_spinlock_t *l)
{
	return mn_spin_unlock(l);
}

/* ---- semaphores: errno style.  Shared (and named) ones are glibc's. */
static int sem_ret(int e)
{
	if (e) {
		errno = e;
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

/* ---- futex(2) through syscall() */
MN_EXPORT long syscall(long n, ...)
{
	va_list ap;
	va_start(ap, n);
	long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
	long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
	va_end(ap);
	if ((n == SYS_gettid || n == SYS_set_tid_address || n == SYS_tgkill || n == SYS_tkill) &&
	    mn_shim_active() && mn_is_g()) {
		/* A thread's id: the G's everywhere (preload/signal.c). */
		long ret;
		switch (n) {
		case SYS_gettid:
			return mn_thread_gettid();
		case SYS_set_tid_address:
			return mn_thread_set_tid_address((int *)a1);
		case SYS_tgkill:
			if (mn_thread_tgkill(a1, a2, (int)a3, &ret))
				return ret < 0 ? (errno = (int)-ret, -1) : ret;
			break;
		case SYS_tkill:
			if (mn_thread_tgkill(-1, a1, (int)a2, &ret))
				return ret < 0 ? (errno = (int)-ret, -1) : ret;
			break;
		}
	}
	if (n == SYS_futex && mn_shim_active()) {
		long ret;
		if (mn_futex((uint32_t *)a1, (int)a2, (uint32_t)a3, (const struct timespec *)a4, (uint32_t)a6, &ret)) {
			if (ret < 0) {
				errno = (int)-ret;
				return -1;
			}
			return ret;
		}
	}
	return REAL(syscall)(n, a1, a2, a3, a4, a5, a6);
}

/* A thread's id, as glibc records it in its TCB: unique per G, so
 * programs that key per-thread data on gettid() (Python's native_id,
 * loggers) keep working.  syscall(SYS_gettid), set_tid_address's answer
 * and tgkill/tkill to oneself agree with it (syscall above, tgkill in
 * preload/signal.c).  Not a kernel tid: tgkill to another G's id fails
 * (ESRCH), as to a thread that has exited.
 * TODO(signals capability): route tgkill/tkill to another G's id to it. */
MN_EXPORT pid_t gettid(void)
{
	if (mn_shim_active() && mn_is_g())
		return mn_thread_gettid();
	return REAL(gettid)();
}
