/* shims/cond.c: condition variables that park the G.
 *
 * A waiter notes the sequence number, counts itself in nwaiters, unlocks
 * the mutex and parks on &seq while seq is unchanged (the check runs under
 * the sema bucket lock, so a signal between the unlock and the park is
 * seen).  signal/broadcast bump seq and wake one/all parked waiters, oldest
 * first.  A waiter that saw seq move before it parked returns at once: a
 * spurious wake-up, which POSIX allows; no wake-up is ever lost.  Signals
 * with nobody waiting cost one load.
 */
#include <errno.h>
#include <sched.h>
#include <limits.h>
#include <string.h>
#include "shims/layout.h"
#include "shims/cond.h"
#include "shims/mutex.h"
#include "shims/sleep.h"
#include "shims/hooks.h"
#include "shims/blocking.h"
#include "sched/runtime.h"
#include "sched/gsig.h"
#include "sched/cancel.h"
#include "sched/proc.h"
#include "sched/sema.h"
#include "sched/tcb.h"
#include "sched/sys.h"
#include "shims/poison.h" /* last */

/* nwaiters counts the waiters between their unlock of the mutex and their
 * wake-up: a waiter counts itself while it still holds the mutex (so a
 * signaller that holds it, or runs after it was released, sees the count)
 * and takes itself off as soon as it is woken, before it relocks the
 * mutex, with a release store that is its last touch of the condvar.  So
 * pthread_cond_destroy, which waits for the count to drop, may run right
 * after a broadcast while the woken wait for the mutex, and the memory may
 * then be reused, as glibc allows.  seq changes only under the sema bucket
 * lock. */

static bool seq_unchanged(const void *addr, void *arg)
{
	return atomic_load_explicit((_Atomic uint32_t *)addr, memory_order_relaxed) ==
	       (uint32_t)(uintptr_t)arg;
}

static int wait_common(struct mn_cond *c, pthread_mutex_t *m, int64_t deadline)
{
	int r = mn_mutex_cond_check(m);
	if (r)
		return r;
	/* A cancellation point: a pending request is acted on with the mutex
	 * held, which is where POSIX wants it for the cleanup handlers. */
	bool cancellable = mn_cancel_point();
	uint32_t v = atomic_load_explicit(&c->seq, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->nwaiters, 1, memory_order_relaxed);
	r = mn_mutex_unlock(m);
	if (r) { /* not ours after all (a normal mutex's owner is not checked) */
		atomic_fetch_sub_explicit(&c->nwaiters, 1, memory_order_relaxed);
		return r;
	}
	int w = mn_sema_park(&c->seq, seq_unchanged, (void *)(uintptr_t)v, deadline,
			     (cancellable ? MN_SEMA_CANCEL : 0) | MN_SEMA_WHY(MN_WHY_COND));
	/* release: our last touch of c (pthread_cond_destroy's acquire) */
	atomic_fetch_sub_explicit(&c->nwaiters, 1, memory_order_release);
	/* Ended for a signal to this thread: its handler runs while the
	 * mutex is free, as natively; the wait then ends as a spurious
	 * wake-up (glibc's may too). */
	if (w == -ECANCELED && mn_is_g())
		mn_gsig_deliver();
	/* Re-acquire whatever happened; a timed-out waiter reports -ETIMEDOUT. */
	int lr;
	while ((lr = mn_mutex_lock(m)) == -EAGAIN)
		;
	if (lr == -EOWNERDEAD)
		return lr;
	/* Cancelled while waiting: act on it with the mutex held again.  A
	 * cancelled waiter was off the list before any signal could pick it,
	 * so it consumed none; one signalled first returns normally, the
	 * request staying pending (POSIX allows either).  If cancellation is
	 * disabled, this is a spurious wake-up. */
	if (w == -ECANCELED)
		mn_cancel_act();
	return w == -ETIMEDOUT ? -ETIMEDOUT : 0;
}

int mn_cond_wait(pthread_cond_t *cv, pthread_mutex_t *m)
{
	struct mn_cond *c = (struct mn_cond *)cv;
	if (c->wrefs & COND_SHARED)
		return -MN_BLOCKING_EAGER(mn_glibc.cond_wait(cv, m));
	return wait_common(c, m, 0);
}

/* pthread_cond_timedwait: the condvar's own clock. */
int mn_cond_timedwait(pthread_cond_t *cv, pthread_mutex_t *m, const struct timespec *abstime)
{
	struct mn_cond *c = (struct mn_cond *)cv;
	return mn_cond_clockwait(cv, m, (c->wrefs & COND_MONOTONIC) ? CLOCK_MONOTONIC : CLOCK_REALTIME, abstime);
}

int mn_cond_clockwait(pthread_cond_t *cv, pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime)
{
	struct mn_cond *c = (struct mn_cond *)cv;
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
		return -EINVAL; /* glibc checks the clock first */
	if (c->wrefs & COND_SHARED)
		return -MN_BLOCKING_EAGER(mn_glibc.cond_clockwait(cv, m, clock, abstime));
	int64_t deadline;
	int r = mn_abs_to_deadline(clock, abstime, &deadline);
	if (r)
		return r;
	return wait_common(c, m, deadline);
}

static void bump(int k, bool first, void *arg)
{
	(void)k;
	struct mn_cond *c = arg;
	if (first) /* under the bucket lock, the only place seq changes */
		atomic_store_explicit(&c->seq, atomic_load_explicit(&c->seq, memory_order_relaxed) + 1,
				      memory_order_relaxed);
}

static int wake(pthread_cond_t *cv, int n)
{
	struct mn_cond *c = (struct mn_cond *)cv;
	if (c->wrefs & COND_SHARED)
		return -(n == 1 ? mn_glibc.cond_signal(cv) : mn_glibc.cond_broadcast(cv));
	if (atomic_load_explicit(&c->nwaiters, memory_order_relaxed) == 0)
		return 0;
	/* Under the bucket lock, so that a waiter's check (seq unchanged, also
	 * under it) either queued it in time to be woken, or sees the bump. */
	mn_sema_wake_cb(&c->seq, n, bump, c);
	return 0;
}

/* Waits for the woken waiters to leave the condvar (glibc does the same);
 * destroying one that threads are still blocked on is undefined, and
 * then waits for them to be woken. */
int mn_cond_destroy(pthread_cond_t *cv)
{
	struct mn_cond *c = (struct mn_cond *)cv;
	if (c->wrefs & COND_SHARED)
		return -MN_BLOCKING_EAGER(mn_glibc.cond_destroy(cv));
	/* acquire: pairs with the waiters' release decrement */
	while (atomic_load_explicit(&c->nwaiters, memory_order_acquire) != 0) {
		if (mn_is_g())
			mn_gosched();
		else /* raw: sched_yield is our own interposer */
			mn_sys3(SYS_sched_yield, 0, 0, 0);
	}
	return 0;
}

int mn_cond_signal(pthread_cond_t *cv) { return wake(cv, 1); }
int mn_cond_broadcast(pthread_cond_t *cv) { return wake(cv, INT_MAX); }

int mn_cond_init(pthread_cond_t *cv, const pthread_condattr_t *attr)
{
	struct mn_cond *c = (struct mn_cond *)cv;
	int pshared = PTHREAD_PROCESS_PRIVATE;
	clockid_t clock = CLOCK_REALTIME;
	if (attr) {
		pthread_condattr_getpshared(attr, &pshared);
		pthread_condattr_getclock(attr, &clock);
	}
	memset(c, 0, sizeof *c);
	if (pshared == PTHREAD_PROCESS_SHARED)
		c->wrefs |= COND_SHARED;
	if (clock != CLOCK_REALTIME)
		c->wrefs |= COND_MONOTONIC;
	return 0;
}
