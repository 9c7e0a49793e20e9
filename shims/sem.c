/* shims/sem.c: POSIX semaphores that park the G.
 * The value and the waiter count live where glibc keeps them (struct
 * new_sem), so glibc's sem_init/sem_destroy/sem_getvalue stay valid.  A
 * waiter counts itself in nwaiters, then parks on &value while it is 0
 * (checked under the sema bucket lock); sem_post adds one and wakes one
 * parked waiter if nwaiters says there may be one (one word, so the post
 * sees the waiter or the waiter sees the value).
 * Process-shared semaphores (unnamed in shared memory, and every named
 * one) stay glibc's.
 * TODO(blocking capability): those wait as a blocking syscall. */
#include <errno.h>
#include <limits.h>
#include <semaphore.h>
#include "shims/layout.h"
#include "shims/sem.h"
#include "shims/sleep.h"
#include "sched/runtime.h"
#include "sched/gsig.h"
#include "sched/cancel.h"
#include "sched/sema.h"
#include "sched/tcb.h"
#include "sched/sys.h"
#include "shims/poison.h" /* last */

bool mn_sem_is_ours(sem_t *s)
{
	return ((struct mn_sem *)s)->private == 0; /* glibc: LLL_PRIVATE is 0 */
}

/* value and nwaiters as glibc's one 64-bit word (value in the low half),
 * so a waiter registers, and a woken one deregisters and takes a unit, in
 * one CAS each. */
#define SEM_WAITER (UINT64_C(1) << 32)
static _Atomic uint64_t *sem_word(struct mn_sem *s)
{
	return (_Atomic uint64_t *)(void *)&s->value;
}

static bool try_dec(struct mn_sem *s)
{
	uint64_t v = atomic_load_explicit(sem_word(s), memory_order_relaxed);
	while ((uint32_t)v > 0) {
		if (atomic_compare_exchange_weak_explicit(sem_word(s), &v, v - 1, memory_order_acquire,
							  memory_order_relaxed))
			return true;
	}
	return false;
}

static bool still_zero(const void *addr, void *arg)
{
	return atomic_load_explicit((_Atomic uint32_t *)addr, memory_order_seq_cst) == 0;
}

/* 0 or -errno (-EAGAIN, -ETIMEDOUT, -EINVAL, -EINTR). */
int mn_sem_wait(sem_t *sem, bool try, clockid_t clock, const struct timespec *abstime)
{
	struct mn_sem *s = (struct mn_sem *)sem;
	/* glibc checks the clock and the time before the value. */
	if (abstime && ((clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) ||
			abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000))
		return -EINVAL;
	/* sem_wait and the timed waits are cancellation points even when the
	 * value lets them through (glibc checks first, as POSIX asks). */
	bool cancellable = try || mn_cancel_point();
restart:
	if (try_dec(s))
		return 0;
	if (try)
		return -EAGAIN;
	if (mn_is_g()) /* a flag left by an interrupted condvar wait */
		atomic_store_explicit(&mn_getg()->interrupted, false, memory_order_relaxed);
	int64_t deadline = 0;
	if (abstime) {
		int e = mn_abs_to_deadline(clock, abstime, &deadline);
		if (e)
			return e;
	}
	/* Take a unit, or count ourselves a waiter (seen by every later post). */
	_Atomic uint64_t *w = sem_word(s);
	uint64_t v = atomic_load_explicit(w, memory_order_relaxed);
	for (;;) {
		if ((uint32_t)v > 0) {
			if (atomic_compare_exchange_weak_explicit(w, &v, v - 1, memory_order_acquire,
								  memory_order_relaxed))
				return 0;
		} else if (atomic_compare_exchange_weak_explicit(w, &v, v + SEM_WAITER, memory_order_seq_cst,
								 memory_order_relaxed)) {
			break;
		}
	}
	for (;;) {
		int r = mn_sema_park(&s->value, still_zero, NULL, deadline,
				     (cancellable ? MN_SEMA_CANCEL : 0) | MN_SEMA_WHY(MN_WHY_SEM));
		bool cancelled = r == -ECANCELED;
		bool timedout = r == -ETIMEDOUT || (deadline && mn_nanotime() >= deadline);
		v = atomic_load_explicit(w, memory_order_relaxed);
		for (;;) {
			if ((uint32_t)v > 0) {
				if (atomic_compare_exchange_weak_explicit(w, &v, v - SEM_WAITER - 1,
									  memory_order_acquire, memory_order_relaxed))
					return 0;
			} else if (cancelled) {
				/* Withdraw, then act on the request; with cancellation
				 * disabled, wait again (not cancellable now: the
				 * request stays pending).  Main's wait ended by a
				 * signal handler (stoplockedm) says EINTR. */
				if (atomic_compare_exchange_weak_explicit(w, &v, v - SEM_WAITER, memory_order_relaxed,
									  memory_order_relaxed)) {
					if (mn_is_g() && atomic_exchange_explicit(&mn_getg()->interrupted, false,
										  memory_order_relaxed))
						return -EINTR;
					/* A signal for this thread: its handler runs;
					 * then EINTR, or (SA_RESTART) wait again. */
					int sr = mn_is_g() ? mn_gsig_deliver() : 0;
					if (sr & MN_GSIG_EINTR)
						return -EINTR;
					if (sr)
						goto restart;
					mn_cancel_act();
					cancellable = false;
					goto restart;
				}
			} else if (timedout) {
				if (atomic_compare_exchange_weak_explicit(w, &v, v - SEM_WAITER, memory_order_relaxed,
									  memory_order_relaxed))
					return -ETIMEDOUT;
			} else {
				break; /* still zero: wait again, still counted */
			}
		}
	}
}

int mn_sem_post(sem_t *sem)
{
	struct mn_sem *s = (struct mn_sem *)sem;
	_Atomic uint64_t *w = sem_word(s);
	uint64_t v = atomic_load_explicit(w, memory_order_relaxed);
	do {
		if ((uint32_t)v >= (uint32_t)SEM_VALUE_MAX)
			return -EOVERFLOW;
	} while (!atomic_compare_exchange_weak_explicit(w, &v, v + 1, memory_order_seq_cst,
							 memory_order_relaxed));
	if (v >> 32)
		mn_sema_wake(&s->value, 1);
	return 0;
}
