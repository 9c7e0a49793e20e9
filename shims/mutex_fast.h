/* shims/mutex_fast.h: the uncontended lock and unlock of normal and
 * adaptive mutexes, inline, so that the interposed pthread_mutex_lock and
 * pthread_mutex_unlock do their one atomic instruction without another
 * call (shims/mutex.c has the rest). */
#ifndef MN_SHIMS_MUTEX_FAST_H
#define MN_SHIMS_MUTEX_FAST_H
#include <stdbool.h>
#include "shims/layout.h"
#include "sched/sema.h"
#include "sched/tcb.h"

/* Normal and adaptive mutexes, the common case: one CAS, no classify. */
#define MUTEX_FAST_KIND(k) (((k) & ~MUTEX_ELISION_FLAGS) == PTHREAD_MUTEX_NORMAL || \
			    ((k) & ~MUTEX_ELISION_FLAGS) == PTHREAD_MUTEX_ADAPTIVE_NP)

/* Took a free normal or adaptive mutex: true.  Else nothing done. */
static inline bool mn_mutex_lock_fast(pthread_mutex_t *m)
{
	struct mn_mutex *mx = (struct mn_mutex *)m;
	int z = 0;
	if (__builtin_expect(MUTEX_FAST_KIND(atomic_load_explicit(&mx->kind, memory_order_relaxed)), 1) &&
	    __builtin_expect(atomic_compare_exchange_strong_explicit(&mx->lock, &z, 1, memory_order_acquire,
								      memory_order_relaxed), 1)) {
		mx->owner = mn_tcb_self_tid();
		mx->nusers++;
		return true;
	}
	return false;
}

/* Released a normal or adaptive mutex (waking a waiter if there may be
 * one) that is not in starvation mode: true.  Else nothing done. */
static inline bool mn_mutex_unlock_fast(pthread_mutex_t *m)
{
	struct mn_mutex *mx = (struct mn_mutex *)m;
	if (__builtin_expect(MUTEX_FAST_KIND(atomic_load_explicit(&mx->kind, memory_order_relaxed)), 1) &&
	    __builtin_expect(!atomic_load_explicit(&mx->starving, memory_order_relaxed), 1)) {
		mx->owner = 0;
		mx->nusers--;
		/* release: pairs with the acquire in lock */
		if (__builtin_expect(atomic_exchange_explicit(&mx->lock, 0, memory_order_release) == 2, 0))
			mn_sema_wake(&mx->lock, 1);
		return true;
	}
	return false;
}
#endif
