/* shims/rwlock.c: reader-writer locks that park the G.
 *
 * state holds RW_WRITER and the count of active readers.  Readers park on
 * &state, writers on &nwwait; each waiter counts itself (nrwait/nwwait)
 * before it re-checks under the sema bucket lock, and every release reads
 * those counts after changing state (both sequentially consistent), so a
 * release either sees the waiter or the waiter sees the release.
 * Preference follows glibc: PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP
 * keeps new readers out while a writer waits; every other kind (including
 * PREFER_WRITER_NP, as in glibc) lets readers in while the lock is read.
 * A writer's release wakes one waiting writer under writer preference,
 * else every waiting reader and one writer.
 * Process-shared rwlocks stay glibc's.
 */
#include <errno.h>
#include <limits.h>
#include "shims/layout.h"
#include "shims/rwlock.h"
#include "shims/sleep.h"
#include "shims/thread.h"
#include "sched/runtime.h"
#include "sched/sema.h"
#include "sched/gsig.h"
#include "sched/sys.h"
#include "sched/tcb.h"
#include "shims/poison.h" /* last */

#define self_tid() mn_tcb_self_tid()

static inline bool prefer_writer(struct mn_rwlock *rw)
{
	return rw->flags == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;
}

static bool try_rd(struct mn_rwlock *rw)
{
	uint32_t s = atomic_load_explicit(&rw->state, memory_order_relaxed);
	for (;;) {
		if (s & RW_WRITER)
			return false;
		if (prefer_writer(rw) && atomic_load_explicit(&rw->nwwait, memory_order_seq_cst))
			return false;
		if ((s & RW_READERS) == RW_READERS)
			return false;
		if (atomic_compare_exchange_weak_explicit(&rw->state, &s, s + 1, memory_order_acquire,
							  memory_order_relaxed))
			return true;
	}
}

static bool try_wr(struct mn_rwlock *rw)
{
	uint32_t z = 0;
	return atomic_compare_exchange_strong_explicit(&rw->state, &z, RW_WRITER, memory_order_acquire,
						       memory_order_relaxed);
}

static bool rd_blocked(const void *addr, void *arg)
{
	struct mn_rwlock *rw = arg;
	uint32_t s = atomic_load_explicit(&rw->state, memory_order_seq_cst);
	return (s & RW_WRITER) || (prefer_writer(rw) && atomic_load_explicit(&rw->nwwait, memory_order_seq_cst));
}

static bool wr_blocked(const void *addr, void *arg)
{
	struct mn_rwlock *rw = arg;
	return atomic_load_explicit(&rw->state, memory_order_seq_cst) != 0;
}

/* glibc validates the clock and the time before trying the lock. */
static bool bad_time(clockid_t clock, const struct timespec *abstime)
{
	return abstime && ((clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) ||
			   abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000);
}

/* The first try failed: -EBUSY for a trylock, -EDEADLK when the caller is
 * the writer, -EINVAL for a bad time, else 0 and the deadline to wait
 * until (0: forever). */
static int before_wait(struct mn_rwlock *rw, bool try, clockid_t clock, const struct timespec *abstime,
		       int64_t *deadline)
{
	if (try)
		return -EBUSY;
	if (rw->cur_writer == self_tid() && (atomic_load(&rw->state) & RW_WRITER))
		return -EDEADLK;
	*deadline = 0;
	if (!abstime)
		return 0;
	return mn_abs_to_deadline(clock, abstime, deadline);
}

/* Wake after a release: state was just changed by the caller.  Writer
 * preference (or no readers waiting) hands the lock to one writer;
 * otherwise every reader, plus one writer to queue behind them. */
static void release_wake(struct mn_rwlock *rw)
{
	uint32_t ww = atomic_load_explicit(&rw->nwwait, memory_order_seq_cst);
	uint32_t rwt = atomic_load_explicit(&rw->nrwait, memory_order_seq_cst);
	if (ww && (prefer_writer(rw) || !rwt)) {
		mn_sema_wake(&rw->nwwait, 1);
		return;
	}
	if (rwt)
		mn_sema_wake(&rw->state, INT_MAX);
	if (ww)
		mn_sema_wake(&rw->nwwait, 1);
}

int mn_rwlock_rdlock(pthread_rwlock_t *l, clockid_t clock, const struct timespec *abstime, bool try)
{
	struct mn_rwlock *rw = (struct mn_rwlock *)l;
	if (bad_time(clock, abstime))
		return -EINVAL;
	if (try_rd(rw))
		return 0;
	int64_t deadline;
	int e = before_wait(rw, try, clock, abstime, &deadline);
	if (e)
		return e;
	for (;;) {
		atomic_fetch_add_explicit(&rw->nrwait, 1, memory_order_seq_cst);
		int r = mn_sema_park(&rw->state, rd_blocked, rw, deadline,
				     MN_SEMA_SIGNALS | MN_SEMA_WHY(MN_WHY_RWLOCK));
		atomic_fetch_sub_explicit(&rw->nrwait, 1, memory_order_seq_cst);
		if (r == -EINTR)
			mn_gsig_deliver(); /* a signal's handler runs in the wait, which goes on */
		if (try_rd(rw))
			return 0;
		if (r == -ETIMEDOUT || (deadline && mn_nanotime() >= deadline))
			return -ETIMEDOUT;
	}
}

int mn_rwlock_wrlock(pthread_rwlock_t *l, clockid_t clock, const struct timespec *abstime, bool try)
{
	struct mn_rwlock *rw = (struct mn_rwlock *)l;
	if (bad_time(clock, abstime))
		return -EINVAL;
	int tid = self_tid();
	if (try_wr(rw)) {
		rw->cur_writer = tid;
		return 0;
	}
	int64_t deadline;
	int e = before_wait(rw, try, clock, abstime, &deadline);
	if (e)
		return e;
	for (;;) {
		atomic_fetch_add_explicit(&rw->nwwait, 1, memory_order_seq_cst);
		int r = mn_sema_park(&rw->nwwait, wr_blocked, rw, deadline,
				     MN_SEMA_SIGNALS | MN_SEMA_WHY(MN_WHY_RWLOCK));
		atomic_fetch_sub_explicit(&rw->nwwait, 1, memory_order_seq_cst);
		if (r == -EINTR)
			mn_gsig_deliver(); /* a signal's handler runs in the wait, which goes on */
		if (try_wr(rw)) {
			rw->cur_writer = tid;
			return 0;
		}
		if (r == -ETIMEDOUT || (deadline && mn_nanotime() >= deadline)) {
			/* Our leaving may unblock readers held back for us. */
			if (prefer_writer(rw) && atomic_load(&rw->nrwait))
				mn_sema_wake(&rw->state, INT_MAX);
			return -ETIMEDOUT;
		}
	}
}

int mn_rwlock_unlock(pthread_rwlock_t *l)
{
	struct mn_rwlock *rw = (struct mn_rwlock *)l;
	uint32_t s = atomic_load_explicit(&rw->state, memory_order_relaxed);
	if (s & RW_WRITER) {
		if (rw->cur_writer != self_tid())
			return -EPERM;
		rw->cur_writer = 0;
		atomic_store_explicit(&rw->state, 0, memory_order_seq_cst);
		release_wake(rw);
		return 0;
	}
	if ((s & RW_READERS) == 0)
		return 0; /* not held: glibc also returns 0 (and corrupts the lock; we do not) */
	s = atomic_fetch_sub_explicit(&rw->state, 1, memory_order_seq_cst) - 1;
	if ((s & RW_READERS) == 0)
		release_wake(rw);
	return 0;
}
