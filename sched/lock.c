/* sched/lock.c: slow paths of struct mn_lock and struct mn_note.
 * The spin count (100 pauses, then 4 sched_yields skipped: straight to the
 * futex) is short because every runtime critical section is a few dozen
 * instructions; sleeping sooner wastes less CPU on 2-vCPU machines. */
#include <errno.h>
#include "lock.h"
#include "sys.h"
#include "arch/x86_64/arch.h"

void mn_lock_slow(struct mn_lock *l)
{
	for (int i = 0; i < 100; i++) {
		arch_pause();
		uint32_t z = 0;
		if (atomic_load_explicit(&l->key, memory_order_relaxed) == 0 &&
		    atomic_compare_exchange_weak_explicit(&l->key, &z, 1, memory_order_acquire,
							  memory_order_relaxed))
			return;
	}
	/* Mark "sleepers may exist" and sleep until we take it from 0. */
	while (atomic_exchange_explicit(&l->key, 2, memory_order_acquire) != 0)
		mn_futex_wait(&l->key, 2, NULL);
}

void mn_slock_slow(struct mn_slock *l)
{
	for (int i = 0;; i++) {
		if (atomic_load_explicit(&l->key, memory_order_relaxed) == 0) {
			uint32_t z = 0;
			if (atomic_compare_exchange_weak_explicit(&l->key, &z, 1, memory_order_acquire,
								  memory_order_relaxed))
				return;
		}
		if (i < 200)
			arch_pause();
		else
			mn_sys6(SYS_sched_yield, 0, 0, 0, 0, 0, 0); /* the holder may be preempted */
	}
}

void mn_unlock_slow(struct mn_lock *l)
{
	mn_futex_wake(&l->key, 1);
}

void mn_notesleep(struct mn_note *n)
{
	/* acquire: pairs with the release store in mn_notewakeup */
	while (atomic_load_explicit(&n->key, memory_order_acquire) == 0)
		mn_futex_wait(&n->key, 0, NULL);
}

bool mn_notetsleep(struct mn_note *n, int64_t deadline_ns)
{
	if (deadline_ns == 0) {
		mn_notesleep(n);
		return true;
	}
	while (atomic_load_explicit(&n->key, memory_order_acquire) == 0) {
		struct timespec abs = { deadline_ns / 1000000000, deadline_ns % 1000000000 };
		long r = mn_futex_wait_abs(&n->key, 0, &abs);
		if (r == -ETIMEDOUT)
			return atomic_load_explicit(&n->key, memory_order_acquire) != 0;
	}
	return true;
}

void mn_notewakeup(struct mn_note *n)
{
	atomic_store_explicit(&n->key, 1, memory_order_release);
	mn_futex_wake(&n->key, 1);
}
