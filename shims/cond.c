/* shims/cond.c: condition variables that park the G.
 *
 * A waiter notes the sequence number and counts itself in nwaiters (one
 * atomic add on the pair), unlocks
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

/* seq and nwaiters as one 64-bit word (seq in the low half): a waiter
 * registers and reads seq in one atomic add; the waker takes woken
 * waiters off the count in the same CAS that bumps seq. */
#define COND_WAITER (UINT64_C(1) << 32)
static _Atomic uint64_t *cond_word(struct mn_cond *c)
{
	return (_Atomic uint64_t *)(void *)&c->seq;
}

static bool seq_unchanged(const void *addr, void *arg)
{
	return atomic_load_explicit((_Atomic uint32_t *)addr, memory_order_relaxed) ==
	       (uint32_t)(uintptr_t)arg;
}

static int wait_common(struct mn_cond *c, pthread_mutex_t *m, int64_t deadline)
{
	uint64_t v = atomic_fetch_add_explicit(cond_word(c), COND_WAITER, memory_order_seq_cst);
	int r = mn_mutex_unlock(m);
	if (r) {
		atomic_fetch_sub_explicit(cond_word(c), COND_WAITER, memory_order_relaxed);
		return r;
	}
	int w = mn_sema_park(&c->seq, seq_unchanged, (void *)(uintptr_t)(uint32_t)v, deadline, false);
	if (w != 1) /* not woken by wake(), which took us off the count */
		atomic_fetch_sub_explicit(cond_word(c), COND_WAITER, memory_order_relaxed);
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

static void bump(int k, bool first, void *arg)
{
	struct mn_cond *c = arg;
	if (!first && k == 0)
		return;
	/* A CAS, not an add: seq wraps without carrying into nwaiters. */
	_Atomic uint64_t *w = cond_word(c);
	uint64_t v = atomic_load_explicit(w, memory_order_relaxed), nv;
	do {
		uint32_t seq = (uint32_t)v + (first ? 1 : 0);
		nv = ((v >> 32) - (uint64_t)k) << 32 | seq;
	} while (!atomic_compare_exchange_weak_explicit(w, &v, nv, memory_order_seq_cst, memory_order_relaxed));
}

static int wake(pthread_cond_t *cv, int n)
{
	struct mn_cond *c = (struct mn_cond *)cv;
	if (c->wrefs & COND_SHARED)
		return n == 1 ? mn_glibc_sync.cond_signal(cv) : mn_glibc_sync.cond_broadcast(cv);
	if (atomic_load_explicit(&c->nwaiters, memory_order_seq_cst) == 0)
		return 0;
	/* Under the bucket lock, so that a waiter's check (seq unchanged, also
	 * under it) either queued it in time to be woken, or sees the bump. */
	mn_sema_wake_cb(&c->seq, n, bump, c);
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
