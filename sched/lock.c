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

/* Notes: 0 clear, 1 woken, 2 the sleeper is (about to be) in the kernel.
 * A sleeper first spins for NOTE_SPIN_NS: an M parked between two quick
 * hand-offs (a locked main thread waiting for a short-lived G, an idle M
 * handed a P a moment later) is woken with no system call on either side,
 * and without the kernel's wake-up latency. */
#define NOTE_SPIN_NS 20000

static bool note_spin(struct mn_note *n, int64_t deadline_ns)
{
	int64_t until = mn_nanotime() + NOTE_SPIN_NS;
	if (deadline_ns && deadline_ns < until)
		until = deadline_ns;
	do {
		for (int i = 0; i < 32; i++) {
			if (atomic_load_explicit(&n->key, memory_order_acquire) == 1)
				return true;
			arch_pause();
		}
	} while (mn_nanotime() < until);
	return false;
}

/* Announce that we sleep in the kernel; false if woken meanwhile. */
static bool note_prepare(struct mn_note *n)
{
	uint32_t v = 0;
	if (atomic_compare_exchange_strong_explicit(&n->key, &v, 2, memory_order_acq_rel,
						    memory_order_acquire))
		return true;
	return v != 1; /* already 2: a timed sleep before this one set it */
}

void mn_notesleep(struct mn_note *n)
{
	if (note_spin(n, 0))
		return;
	while (note_prepare(n))
		mn_futex_wait(&n->key, 2, NULL);
}

/* mn_notesleep that also returns, false, when a signal handler ran on
 * this thread while it slept in the kernel (the futex wait said EINTR). */
bool mn_notesleep_intr(struct mn_note *n)
{
	if (note_spin(n, 0))
		return true;
	while (note_prepare(n))
		if (mn_futex_wait(&n->key, 2, NULL) == -EINTR)
			return atomic_load_explicit(&n->key, memory_order_acquire) == 1;
	return true;
}

bool mn_notetsleep(struct mn_note *n, int64_t deadline_ns)
{
	if (deadline_ns == 0) {
		mn_notesleep(n);
		return true;
	}
	if (note_spin(n, deadline_ns))
		return true;
	while (note_prepare(n)) {
		struct timespec abs = { deadline_ns / 1000000000, deadline_ns % 1000000000 };
		if (mn_futex_wait_abs(&n->key, 2, &abs) == -ETIMEDOUT)
			return atomic_load_explicit(&n->key, memory_order_acquire) == 1;
	}
	return true;
}

void mn_notewakeup(struct mn_note *n)
{
	/* release: pairs with the sleeper's acquire */
	if (atomic_exchange_explicit(&n->key, 1, memory_order_release) == 2)
		mn_futex_wake(&n->key, 1);
}
