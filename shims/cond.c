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
#include <limits.h>
#include <string.h>
#include "shims/layout.h"
#include "shims/sync.h"
#include "shims/blocking.h"
#include "sched/runtime.h"
#include "sched/sema.h"

static bool seq_unchanged(const void *addr, void *arg)
{
	return atomic_load_explicit((_Atomic uint32_t *)addr, memory_order_relaxed) ==
	       (uint32_t)(uintptr_t)arg;
}

static int wait_common(struct mn_cond *c, pthread_mutex_t *m, int64_t deadline)
{
	uint32_t v = atomic_load_explicit(&c->seq, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->nwaiters, 1, memory_order_seq_cst);
	int r = mn_mutex_unlock(m);
	if (r) {
		atomic_fetch_sub_explicit(&c->nwaiters, 1, memory_order_relaxed);
		return r;
	}
	int w = mn_sema_park(&c->seq, seq_unchanged, (void *)(uintptr_t)v, deadline, false);
	atomic_fetch_sub_explicit(&c->nwaiters, 1, memory_order_relaxed);
	/* Re-acquire whatever happened; a timed-out waiter reports ETIMEDOUT. */
	int lr;
	while ((lr = mn_mutex_lock(m)) == EAGAIN)
		;
	if (lr == EOWNERDEAD)
		return lr;
	return w == -ETIMEDOUT ? ETIMEDOUT : 0;
}

int mn_cond_wait(pthread_cond_t *cv, pthread_mutex_t *m)
{
	struct mn_cond *c = (struct mn_cond *)cv;
	if (c->wrefs & COND_SHARED)
		return MN_BLOCKING(mn_glibc_sync.cond_wait(cv, m));
	return wait_common(c, m, 0);
}

int mn_cond_clockwait(pthread_cond_t *cv, pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime)
{
	struct mn_cond *c = (struct mn_cond *)cv;
	if (clock < 0)
		clock = (c->wrefs & COND_MONOTONIC) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
	if (c->wrefs & COND_SHARED)
		return MN_BLOCKING(mn_glibc_sync.cond_clockwait(cv, m, clock, abstime));
	int64_t deadline;
	int r = mn_abs_to_deadline(clock, abstime, &deadline);
	if (r)
		return r;
	return wait_common(c, m, deadline);
}

static int wake(pthread_cond_t *cv, int n)
{
	struct mn_cond *c = (struct mn_cond *)cv;
	if (c->wrefs & COND_SHARED)
		return n == 1 ? mn_glibc_sync.cond_signal(cv) : mn_glibc_sync.cond_broadcast(cv);
	if (atomic_load_explicit(&c->nwaiters, memory_order_seq_cst) == 0)
		return 0;
	atomic_fetch_add_explicit(&c->seq, 1, memory_order_seq_cst);
	mn_sema_wake(&c->seq, n);
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
