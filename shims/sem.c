/* shims/sem.c: POSIX semaphores that park the G.
 * The value and the waiter count live where glibc keeps them (struct
 * new_sem), so glibc's sem_init/sem_destroy/sem_getvalue stay valid.  A
 * waiter counts itself in nwaiters, then parks on &value while it is 0
 * (checked under the sema bucket lock); sem_post adds one and wakes one
 * parked waiter if nwaiters says there may be one (both sequentially
 * consistent, so the post sees the waiter or the waiter sees the value).
 * Process-shared semaphores (unnamed in shared memory, and every named
 * one) stay glibc's.
 * TODO(blocking capability): those wait as a blocking syscall. */
#include <errno.h>
#include <limits.h>
#include <semaphore.h>
#include "shims/layout.h"
#include "shims/sync.h"
#include "sched/runtime.h"
#include "sched/sema.h"
#include "sched/sys.h"

bool mn_sem_is_ours(sem_t *s)
{
	return ((struct mn_sem *)s)->private == 0; /* glibc: LLL_PRIVATE is 0 */
}

static bool try_dec(struct mn_sem *s)
{
	uint32_t v = atomic_load_explicit(&s->value, memory_order_relaxed);
	while (v > 0) {
		if (atomic_compare_exchange_weak_explicit(&s->value, &v, v - 1, memory_order_acquire,
							  memory_order_relaxed))
			return true;
	}
	return false;
}

static bool still_zero(const void *addr, void *arg)
{
	return atomic_load_explicit((_Atomic uint32_t *)addr, memory_order_seq_cst) == 0;
}

/* 0 or an error number (EAGAIN, ETIMEDOUT, EINVAL). */
int mn_sem_wait(sem_t *sem, bool try, clockid_t clock, const struct timespec *abstime)
{
	struct mn_sem *s = (struct mn_sem *)sem;
	/* glibc checks the clock and the time before the value. */
	if (abstime && ((clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) ||
			abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000))
		return EINVAL;
	if (try_dec(s))
		return 0;
	if (try)
		return EAGAIN;
	int64_t deadline = 0;
	if (abstime) {
		int e = mn_abs_to_deadline(clock, abstime, &deadline);
		if (e)
			return e;
	}
	for (;;) {
		atomic_fetch_add_explicit(&s->nwaiters, 1, memory_order_seq_cst);
		int r = mn_sema_park(&s->value, still_zero, NULL, deadline, false);
		atomic_fetch_sub_explicit(&s->nwaiters, 1, memory_order_seq_cst);
		if (try_dec(s))
			return 0;
		if (r == -ETIMEDOUT || (deadline && mn_nanotime() >= deadline))
			return ETIMEDOUT;
	}
}

int mn_sem_post(sem_t *sem)
{
	struct mn_sem *s = (struct mn_sem *)sem;
	uint32_t v = atomic_load_explicit(&s->value, memory_order_relaxed);
	do {
		if (v >= (uint32_t)SEM_VALUE_MAX)
			return EOVERFLOW;
	} while (!atomic_compare_exchange_weak_explicit(&s->value, &v, v + 1, memory_order_seq_cst,
							 memory_order_relaxed));
	if (atomic_load_explicit(&s->nwaiters, memory_order_seq_cst))
		mn_sema_wake(&s->value, 1);
	return 0;
}
