/* shims/mutex.c: pthread mutexes that park the G.
 *
 * The lock word is glibc's (0 free, 1 locked, 2 locked with possible
 * waiters), so uncontended lock and unlock are one atomic each, and the
 * owner, count and nusers fields mean what they mean to glibc (error
 * checks, EBUSY on destroy).  Contended lockers spin briefly when another
 * P could be running the owner, then park on the word's address
 * (sched/sema.c) and retry on wake-up (the classic futex mutex).
 * Robust, priority-inheritance, priority-protect and process-shared
 * mutexes are glibc's (classify, and shims/layout.h): its trylock and
 * unlock keep their state; a process-private one waits by parking the G
 * on the lock word (glibc_lock), a process-shared one in glibc's lock as
 * a blocking call (shared_lock).
 * Starvation mode (Go's sync.Mutex): a waiter that has waited more than
 * 1 ms marks the mutex starving; from then on unlock hands the lock
 * straight to the oldest waiter (the word stays locked, so nobody can
 * barge in) until the queue empties or a waiter got the lock within 1 ms.  Without it a thread that just
 * unlocked can re-take the lock forever while woken waiters lose the race.
 */
#include <errno.h>
#include <linux/futex.h>
#include "shims/layout.h"
#include "shims/mutex.h"
#include "shims/sleep.h"
#include "shims/hooks.h"
#include "shims/mutex_fast.h"
#include "shims/blocking.h"
#include "shims/thread.h"
#include "sched/runtime.h"
#include "sched/cancel.h"
#include "sched/sema.h"
#include "sched/gsig.h"
#include "sched/tcb.h"
#include "sched/sys.h"
#include "shims/poison.h" /* last */

/* The calling thread's tid as its TCB says (fake for Gs, real otherwise). */
#define self_tid() mn_tcb_self_tid()

static bool still_contended(const void *addr, void *arg)
{
	return atomic_load_explicit((_Atomic int *)addr, memory_order_relaxed) == 2;
}

/* Spin only when someone else can release the lock meanwhile, and look
 * at the lock only every LOCK_SPIN_PAUSES pauses (Go's numbers): a spinner
 * reading the line constantly slows the holder down. */
#define LOCK_SPINS 4
#define LOCK_SPIN_PAUSES 30
/* Go's threshold: long enough that hand-offs stay rare, short enough that
 * no waiter starves visibly. */
#define STARVE_NS 1000000

/* A mutex wait is no cancellation point, but with asynchronous
 * cancellation enabled a request ends it at once (as SIGCANCEL would end
 * the futex wait natively). */
static int async_cancel_flags(void)
{
	if (__builtin_expect(!mn_tcb_self_async_cancel(), 1))
		return 0;
	if (mn_tcb_self_cancel_pending())
		mn_cancel_act();
	return MN_SEMA_CANCEL;
}

static int lock_slow(struct mn_mutex *mx, int64_t deadline)
{
	if (mn_sched.nprocs > 1) {
		for (int i = 0; i < LOCK_SPINS; i++) {
			for (int k = 0; k < LOCK_SPIN_PAUSES; k++)
				arch_pause();
			int z = 0;
			if (atomic_load_explicit(&mx->lock, memory_order_relaxed) == 0 &&
			    atomic_compare_exchange_weak_explicit(&mx->lock, &z, 1, memory_order_acquire,
								  memory_order_relaxed))
				return 0;
		}
	}
	int64_t start = 0;
	/* acquire: pairs with the release exchange in unlock */
	while (atomic_exchange_explicit(&mx->lock, 2, memory_order_acquire) != 0) {
		int64_t now = mn_nanotime();
		if (deadline && now >= deadline)
			return -ETIMEDOUT;
		if (start == 0)
			start = now;
		else if (now - start > STARVE_NS)
			atomic_store_explicit(&mx->starving, 1, memory_order_relaxed);
		int r = mn_sema_park(&mx->lock, still_contended, NULL, deadline,
				     async_cancel_flags() | MN_SEMA_SIGNALS | MN_SEMA_WHY(MN_WHY_MUTEX));
		if (r == -ECANCELED) {
			mn_cancel_act(); /* asynchronous cancellation: no return */
			continue;
		}
		if (r == -EINTR) {
			/* A signal's handler runs in the wait, which goes on. */
			mn_gsig_deliver();
			continue;
		}
		if (r == MN_SEMA_HANDOFF) {
			/* Handed over: the word is still locked, for us.  Like Go,
			 * leave starvation mode once a waiter got the lock quickly:
			 * the queue is short again. */
			if (mn_nanotime() - start < STARVE_NS)
				atomic_store_explicit(&mx->starving, 0, memory_order_relaxed);
			return 0;
		}
		if (r == -ETIMEDOUT) {
			/* One last try: the lock may have been freed as we timed out. */
			int z = 0;
			if (atomic_compare_exchange_strong_explicit(&mx->lock, &z, 2, memory_order_acquire,
								    memory_order_relaxed))
				return 0;
			return -ETIMEDOUT;
		}
	}
	return 0;
}

/* Starvation-mode release with no waiter left; under the bucket lock. */
static void release_word(const void *addr)
{
	atomic_store_explicit((_Atomic int *)addr, 0, memory_order_release);
}

static inline int acquire(struct mn_mutex *mx, int64_t deadline)
{
	int z = 0;
	if (__builtin_expect(atomic_compare_exchange_strong_explicit(&mx->lock, &z, 1, memory_order_acquire,
								     memory_order_relaxed), 1))
		return 0;
	return lock_slow(mx, deadline);
}

/* Returns 1 when glibc must handle this mutex, -EINVAL for a destroyed
 * or garbage kind, 0 for ours. */
static inline int classify(struct mn_mutex *mx, int *type)
{
	int kind = atomic_load_explicit(&mx->kind, memory_order_relaxed);
	if (__builtin_expect((kind & ~(MUTEX_KIND_MASK | MUTEX_ELISION_FLAGS)) == 0, 1)) {
		*type = kind & MUTEX_KIND_MASK;
		return 0;
	}
	/* -1: destroyed.  Priority-protect kinds carry their ceiling in the
	 * high bits (MUTEX_PRIO_BITS). */
	if (kind == -1 || (kind & ~(MUTEX_KIND_MASK | MUTEX_ELISION_FLAGS | MUTEX_GLIBC_KINDS | MUTEX_PRIO_BITS)))
		return -EINVAL;
	return 1; /* robust, process-shared, priority-inherit or -protect */
}

static int lock_common(struct mn_mutex *mx, int type, int64_t deadline, bool try)
{
	if (type == PTHREAD_MUTEX_RECURSIVE || type == PTHREAD_MUTEX_ERRORCHECK) {
		int tid = self_tid();
		if (mx->owner == tid) {
			if (type == PTHREAD_MUTEX_ERRORCHECK)
				return try ? -EBUSY : -EDEADLK;
			if (mx->count + 1 == 0)
				return -EAGAIN;
			mx->count++;
			return 0;
		}
	}
	int r;
	if (try) {
		int z = 0;
		r = atomic_compare_exchange_strong_explicit(&mx->lock, &z, 1, memory_order_acquire,
							    memory_order_relaxed) ? 0 : -EBUSY;
	} else {
		r = acquire(mx, deadline);
	}
	if (r)
		return r;
	mx->owner = self_tid();
	mx->nusers++;
	if (type == PTHREAD_MUTEX_RECURSIVE)
		mx->count = 1;
	return 0;
}

/* Process-private robust, priority-inherit and priority-protect mutexes:
 * glibc's code keeps their state (owner tid, EOWNERDEAD, ENOTRECOVERABLE,
 * the robust list our G exit walks, the ceiling in the lock word);
 * we only replace its futex wait, which would block the M, by glibc's
 * trylock and a G-level park on the lock word until it changes hands. */
static bool still_owned(const void *addr, void *arg)
{
	uint32_t v = atomic_load_explicit((_Atomic uint32_t *)addr, memory_order_seq_cst);
	return (v & FUTEX_TID_MASK) != 0 && v == (uint32_t)(uintptr_t)arg;
}

static int glibc_lock(pthread_mutex_t *m, int64_t deadline)
{
	struct mn_mutex *mx = (struct mn_mutex *)m;
	for (;;) {
		int r = -mn_glibc.mutex_trylock(m);
		if (r == -ENOTRECOVERABLE &&
		    ((uint32_t)atomic_load(&mx->lock) & FUTEX_TID_MASK) == (uint32_t)self_tid()) {
			/* glibc's trylock leaves the word taken here; its lock
			 * releases it, as we must. */
			atomic_store_explicit(&mx->lock, 0, memory_order_release);
			mn_sema_wake(&mx->lock, 1);
		}
		if (r != -EBUSY)
			return r;
		uint32_t v = (uint32_t)atomic_load_explicit(&mx->lock, memory_order_seq_cst);
		if ((v & FUTEX_TID_MASK) == (uint32_t)self_tid() &&
		    (atomic_load_explicit(&mx->kind, memory_order_relaxed) & MUTEX_KIND_MASK) ==
			    PTHREAD_MUTEX_ERRORCHECK)
			return -EDEADLK;
		if (deadline && mn_nanotime() >= deadline)
			return -ETIMEDOUT;
		r = mn_sema_park(&mx->lock, still_owned, (void *)(uintptr_t)v, deadline,
				 async_cancel_flags() | MN_SEMA_SIGNALS | MN_SEMA_WHY(MN_WHY_MUTEX));
		if (r == -ECANCELED)
			mn_cancel_act(); /* asynchronous cancellation: no return */
		else if (r == -EINTR)
			mn_gsig_deliver(); /* the handler, then wait on */
		else if (r == -ETIMEDOUT)
			return -ETIMEDOUT;
	}
}

/* glibc marks every robust mutex process-shared (the kernel wakes their
 * waiters with shared futex ops), so a private one is told by the mark
 * mn_mutex_init leaves in the spins field, which glibc leaves alone for
 * robust mutexes. */
#define ROBUST_PRIVATE_MARK 0x5250 /* "RP" */

static inline bool robust_private(struct mn_mutex *mx)
{
	return atomic_load_explicit(&mx->starving, memory_order_relaxed) == ROBUST_PRIVATE_MARK;
}

/* glibc's process-private kinds: robust ones (told by the mark), and the
 * priority-inherit and priority-protect ones (no process-shared bit).
 * glibc's trylock and unlock keep their state; waits park the G. */
static inline bool private_glibc(struct mn_mutex *mx)
{
	int kind = atomic_load_explicit(&mx->kind, memory_order_relaxed);
	if (kind & MUTEX_ROBUST)
		return robust_private(mx);
	return !(kind & MUTEX_PSHARED);
}

int mn_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
	int r = -mn_glibc.mutex_init(m, attr);
	int robust = 0, pshared = PTHREAD_PROCESS_PRIVATE;
	if (r == 0 && attr) {
		pthread_mutexattr_getrobust(attr, &robust);
		pthread_mutexattr_getpshared(attr, &pshared);
		if (robust == PTHREAD_MUTEX_ROBUST && pshared == PTHREAD_PROCESS_PRIVATE)
			atomic_store_explicit(&((struct mn_mutex *)m)->starving, ROBUST_PRIVATE_MARK,
					      memory_order_relaxed);
	}
	return r;
}

/* Process-shared mutexes are glibc's; their waits go through the kernel,
 * so they are blocking calls. */
static int shared_lock(pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime)
{
	int r = -mn_glibc.mutex_trylock(m);
	if (r != -EBUSY)
		return r;
	if (abstime)
		return -MN_BLOCKING_EAGER(mn_glibc.mutex_clocklock(m, clock, abstime));
	return -MN_BLOCKING_EAGER(mn_glibc.mutex_lock(m));
}

int mn_mutex_lock(pthread_mutex_t *m)
{
	struct mn_mutex *mx = (struct mn_mutex *)m;
	if (mn_mutex_lock_fast(m))
		return 0;
	int type, c = classify(mx, &type);
	if (c)
		return c < 0 ? c : private_glibc(mx) ? glibc_lock(m, 0) : shared_lock(m, CLOCK_REALTIME, NULL);
	return lock_common(mx, type, 0, false);
}

int mn_mutex_trylock(pthread_mutex_t *m)
{
	struct mn_mutex *mx = (struct mn_mutex *)m;
	int type, c = classify(mx, &type);
	if (c)
		return c < 0 ? c : -mn_glibc.mutex_trylock(m);
	return lock_common(mx, type, 0, true);
}

int mn_mutex_clocklock(pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime)
{
	struct mn_mutex *mx = (struct mn_mutex *)m;
	int type, c = classify(mx, &type);
	if (c > 0 && private_glibc(mx)) {
		if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
			return -EINVAL;
		int r = -mn_glibc.mutex_trylock(m);
		if (r != -EBUSY)
			return r;
		int64_t deadline;
		if ((r = mn_abs_to_deadline(clock, abstime, &deadline)) != 0)
			return r;
		return glibc_lock(m, deadline);
	}
	if (c)
		return c < 0 ? c : shared_lock(m, clock, abstime);
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
		return -EINVAL;
	/* glibc checks the time only when it has to wait. */
	int r = lock_common(mx, type, 0, true);
	if (r != -EBUSY || (type == PTHREAD_MUTEX_ERRORCHECK && mx->owner == self_tid()))
		return r == -EBUSY ? -EDEADLK : r;
	int64_t deadline;
	if ((r = mn_abs_to_deadline(clock, abstime, &deadline)) != 0)
		return r;
	return lock_common(mx, type, deadline, false);
}

int mn_mutex_unlock(pthread_mutex_t *m)
{
	struct mn_mutex *mx = (struct mn_mutex *)m;
	if (mn_mutex_unlock_fast(m))
		return 0;
	int type, c = classify(mx, &type);
	if (c > 0 && private_glibc(mx)) {
		int r = -mn_glibc.mutex_unlock(m);
		if (r == 0)
			mn_sema_wake(&mx->lock, 1);
		return r;
	}
	if (c)
		return c < 0 ? c : -mn_glibc.mutex_unlock(m);
	if (type == PTHREAD_MUTEX_RECURSIVE) {
		if (mx->owner != self_tid())
			return -EPERM;
		if (--mx->count != 0)
			return 0;
	} else if (type == PTHREAD_MUTEX_ERRORCHECK) {
		if (mx->owner != self_tid() ||
		    atomic_load_explicit(&mx->lock, memory_order_relaxed) == 0)
			return -EPERM;
	}
	mx->owner = 0;
	mx->nusers--;
	if (atomic_load_explicit(&mx->starving, memory_order_relaxed)) {
		if (!mn_sema_handoff(&mx->lock, release_word))
			atomic_store_explicit(&mx->starving, 0, memory_order_relaxed);
		return 0;
	}
	/* release: pairs with the acquire in acquire()/lock_slow */
	if (atomic_exchange_explicit(&mx->lock, 0, memory_order_release) == 2)
		mn_sema_wake(&mx->lock, 1);
	return 0;
}

/* Whether the caller may wait on a condition variable with m: 0, or minus
 * the error glibc's unlock would give (-EPERM for an errorcheck, recursive
 * or robust mutex it does not own, -EINVAL for a destroyed one).  Then the
 * caller holds m until its mn_mutex_unlock. */
int mn_mutex_cond_check(pthread_mutex_t *m)
{
	struct mn_mutex *mx = (struct mn_mutex *)m;
	int type, c = classify(mx, &type);
	if (c < 0)
		return c;
	int kind = atomic_load_explicit(&mx->kind, memory_order_relaxed);
	int tid = self_tid();
	if (c > 0 && (kind & (MUTEX_ROBUST | MUTEX_PRIO_INHERIT)))
		return ((uint32_t)atomic_load(&mx->lock) & FUTEX_TID_MASK) == (uint32_t)tid ? 0 : -EPERM;
	type = kind & MUTEX_KIND_MASK;
	if (type == PTHREAD_MUTEX_RECURSIVE || type == PTHREAD_MUTEX_ERRORCHECK)
		return mx->owner == tid && atomic_load_explicit(&mx->lock, memory_order_relaxed) ? 0 : -EPERM;
	return 0;
}
