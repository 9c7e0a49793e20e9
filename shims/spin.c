/* shims/spin.c: spin locks.  glibc's spin forever, which under M:N can
 * wait on a holder that is not running (it may be parked behind us on the
 * same P), so ours spin briefly, then yield the G and try again.
 * The lock word is glibc's x86 one: pthread_spin_init stores 1 (free);
 * glibc's lock decrements it, so anything else means held. */
#define SPIN_FREE 1
#define SPIN_HELD 0
#include <errno.h>
#include "shims/barrier.h"
#include "sched/runtime.h"
#include "sched/proc.h"
#include "shims/poison.h" /* last */

/* 100 pauses: about a microsecond, longer than any sane spin-locked
 * critical section, shorter than a useless time slice. */
#define SPIN_TRIES 100

int mn_spin_lock(pthread_spinlock_t *l)
{
	_Atomic int *w = (_Atomic int *)(void *)l;
	for (;;) {
		for (int i = 0; i < SPIN_TRIES; i++) {
			int z = SPIN_FREE;
			if (atomic_load_explicit(w, memory_order_relaxed) == SPIN_FREE &&
			    atomic_compare_exchange_weak_explicit(w, &z, SPIN_HELD, memory_order_acquire,
								  memory_order_relaxed))
				return 0;
			arch_pause();
		}
		mn_gosched();
	}
}

int mn_spin_trylock(pthread_spinlock_t *l)
{
	_Atomic int *w = (_Atomic int *)(void *)l;
	int z = SPIN_FREE;
	return atomic_compare_exchange_strong_explicit(w, &z, SPIN_HELD, memory_order_acquire,
						       memory_order_relaxed) ? 0 : -EBUSY;
}

int mn_spin_unlock(pthread_spinlock_t *l)
{
	atomic_store_explicit((_Atomic int *)(void *)l, SPIN_FREE, memory_order_release);
	return 0;
}
