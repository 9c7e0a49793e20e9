/* shims/barrier.c: barriers that park the G.
 * The last of count arrivals resets arrived, bumps round and wakes the
 * others, which park on &round while it has not moved; it returns
 * MN_BARRIER_SERIAL.  arrived/round change under a spin lock
 * held for a handful of instructions (a G is never switched out inside).
 * Process-shared barriers stay glibc's. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include "shims/layout.h"
#include "shims/barrier.h"
#include "sched/runtime.h"
#include "sched/sema.h"
#include "sched/gsig.h"
#include "shims/poison.h" /* last */

/* glibc's limit: count must leave room in its internal counters. */
#define BARRIER_MAX (UINT_MAX / 2)

static void blk(struct mn_barrier *b)
{
	uint32_t z = 0;
	while (!atomic_compare_exchange_weak_explicit(&b->lock, &z, 1, memory_order_acquire, memory_order_relaxed)) {
		z = 0;
		arch_pause();
	}
}

static void bunlock(struct mn_barrier *b)
{
	atomic_store_explicit(&b->lock, 0, memory_order_release);
}

int mn_barrier_init(pthread_barrier_t *bar, const pthread_barrierattr_t *attr, unsigned count)
{
	if (count == 0 || count >= BARRIER_MAX)
		return -EINVAL;
	int pshared = PTHREAD_PROCESS_PRIVATE;
	if (attr)
		pthread_barrierattr_getpshared(attr, &pshared);
	struct mn_barrier *b = (struct mn_barrier *)bar;
	memset(b, 0, sizeof *b);
	b->count = count;
	b->shared = pshared == PTHREAD_PROCESS_SHARED;
	return 0;
}

bool mn_barrier_is_shared(pthread_barrier_t *bar)
{
	return ((struct mn_barrier *)bar)->shared;
}

static bool round_unchanged(const void *addr, void *arg)
{
	return atomic_load_explicit((_Atomic uint32_t *)addr, memory_order_acquire) == (uint32_t)(uintptr_t)arg;
}

enum mn_barrier_result mn_barrier_wait(pthread_barrier_t *bar)
{
	struct mn_barrier *b = (struct mn_barrier *)bar;
	blk(b);
	uint32_t r = atomic_load_explicit(&b->round, memory_order_relaxed);
	uint32_t n = atomic_load_explicit(&b->arrived, memory_order_relaxed) + 1;
	if (n == b->count) {
		atomic_store_explicit(&b->arrived, 0, memory_order_relaxed);
		atomic_store_explicit(&b->round, r + 1, memory_order_release);
		bunlock(b);
		mn_sema_wake(&b->round, INT_MAX);
		return MN_BARRIER_SERIAL;
	}
	atomic_store_explicit(&b->arrived, n, memory_order_relaxed);
	bunlock(b);
	while (atomic_load_explicit(&b->round, memory_order_acquire) == r)
		if (mn_sema_park(&b->round, round_unchanged, (void *)(uintptr_t)r, 0,
				 MN_SEMA_SIGNALS | MN_SEMA_WHY(MN_WHY_BARRIER)) == -EINTR)
			mn_gsig_deliver(); /* a signal's handler runs in the wait, which goes on */
	return MN_BARRIER_WAITED;
}

int mn_barrier_destroy(pthread_barrier_t *bar)
{
	struct mn_barrier *b = (struct mn_barrier *)bar;
	blk(b);
	uint32_t n = atomic_load_explicit(&b->arrived, memory_order_relaxed);
	bunlock(b);
	if (n != 0)
		return -EBUSY;
	return 0;
}
