/* sched/lock.h: the runtime's own locks and one-shot sleep notes.
 *
 * struct mn_lock is a futex mutex (0 unlocked, 1 locked, 2 locked with
 * sleepers) for short critical sections; it blocks the M, never parks a
 * G, so it may be taken on g0, on a G, and on foreign threads.  Every lock
 * has a rank (MN_LOCK_INIT(rank)); debug builds check the order on every
 * acquire and count what each M holds (m->locks), which must be nothing
 * when it switches Gs or sleeps: sched/lockrank.h.
 *
 * struct mn_note is Go's note: one sleeper, one waker, cleared by the
 * sleeper before reuse.
 */
#ifndef MN_LOCK_H
#define MN_LOCK_H
#include <stdatomic.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>
#include "debug.h"
#include "lockrank.h"

struct mn_lock {
	_Atomic uint32_t key;
	uint32_t rank;      /* enum mn_lockrank; immutable */
};
#define MN_LOCK_INIT(rank) { 0, (rank) }

void mn_lock_slow(struct mn_lock *l);
void mn_unlock_slow(struct mn_lock *l);

static inline void mn_lock(struct mn_lock *l)
{
	if (config_debug)
		mn_lockrank_acquire(l->rank);
	uint32_t z = 0;
	/* acquire: pairs with the release in mn_unlock */
	if (!atomic_compare_exchange_strong_explicit(&l->key, &z, 1, memory_order_acquire,
						     memory_order_relaxed))
		mn_lock_slow(l);
}
static inline void mn_unlock(struct mn_lock *l)
{
	if (config_debug)
		mn_lockrank_release(l->rank);
	/* release: pairs with the acquire in mn_lock */
	if (atomic_exchange_explicit(&l->key, 0, memory_order_release) == 2)
		mn_unlock_slow(l);
}

/* struct mn_slock: for the sema buckets, whose critical sections are a
 * few list operations: the unlock is a plain store (no locked
 * instruction, and no futex to wake), which makes every park and wake
 * cheaper.  Waiters spin briefly, then yield the CPU until it is free. */
struct mn_slock {
	_Atomic uint32_t key;
	uint32_t rank;      /* enum mn_lockrank; immutable */
};
#define MN_SLOCK_INIT(rank) { 0, (rank) }
void mn_slock_slow(struct mn_slock *l);
static inline void mn_slock(struct mn_slock *l)
{
	if (config_debug)
		mn_lockrank_acquire(l->rank);
	uint32_t z = 0;
	if (!atomic_compare_exchange_strong_explicit(&l->key, &z, 1, memory_order_acquire,
						     memory_order_relaxed))
		mn_slock_slow(l);
}
static inline void mn_sunlock(struct mn_slock *l)
{
	if (config_debug)
		mn_lockrank_release(l->rank);
	/* release: pairs with the acquire CAS in mn_slock */
	atomic_store_explicit(&l->key, 0, memory_order_release);
}

struct mn_note {
	_Atomic uint32_t key; /* 0 clear, 1 woken, 2 sleeper in the kernel */
};
static inline void mn_noteclear(struct mn_note *n) { atomic_store_explicit(&n->key, 0, memory_order_relaxed); }
void mn_notesleep(struct mn_note *n);
bool mn_notesleep_intr(struct mn_note *n);
/* Sleep until woken or until the CLOCK_MONOTONIC time deadline_ns (0: no
 * deadline).  Returns true if woken. */
bool mn_notetsleep(struct mn_note *n, int64_t deadline_ns);
void mn_notewakeup(struct mn_note *n);
#endif
