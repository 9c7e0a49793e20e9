/* shims/futex.c: futex(2) reached through libc's syscall(), as Rust's
 * std, C++20 atomic waits and OpenMP runtimes call it.  A private
 * FUTEX_WAIT or FUTEX_WAIT_BITSET from a G parks the G on the address
 * (sched/sema.c) instead of blocking the M; FUTEX_WAKE/FUTEX_WAKE_BITSET
 * wake parked Gs first (bitsets honoured), then kernel waiters (foreign
 * threads, or anyone who called the kernel directly) with what is left.
 * Shared waits go to the kernel as blocking calls.  Everything else goes
 * to the kernel.
 * Returns the syscall convention: >= 0, or -errno. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include "shims/futex.h"
#include "shims/sleep.h"
#include "shims/thread.h"
#include "shims/blocking.h"
#include "sched/runtime.h"
#include "sched/sema.h"
#include "sched/sys.h"
#include "shims/poison.h" /* last */

static bool still_val(const void *addr, void *arg)
{
	return atomic_load_explicit((_Atomic uint32_t *)addr, memory_order_seq_cst) == (uint32_t)(uintptr_t)arg;
}

/* Returns 1 if handled (result in *ret), 0 to pass to the kernel. */
int mn_futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts, uint32_t val3, long *ret)
{
	int cmd = op & FUTEX_CMD_MASK;
	if ((uintptr_t)uaddr & 3)
		return 0; /* the kernel says EINVAL */
	/* FUTEX_CLOCK_REALTIME with anything but the bitset wait: the kernel
	 * says ENOSYS at once (futex_user checks it against native), except
	 * for the priority-inheritance ops, which are the kernel's anyway. */
	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET)
		return 0;
	if (!(op & FUTEX_PRIVATE_FLAG)) {
		/* Shared: another process may wake it, so only the kernel can
		 * wait; do it without the P.  Wakes also reach parked Gs. */
		if ((cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) && mn_is_g()) {
			long r = MN_BLOCKING_EAGER(mn_sys6(SYS_futex, (long)uaddr, op, val, (long)ts, 0, val3));
			*ret = r;
			return 1;
		}
		return 0;
	}
	if (cmd == FUTEX_WAKE || cmd == FUTEX_WAKE_BITSET) {
		int n = (int)val;
		if (n <= 0) {
			*ret = 0;
			return 1;
		}
		uint32_t bits = cmd == FUTEX_WAKE_BITSET ? val3 : FUTEX_BITSET_MATCH_ANY;
		if (bits == 0) {
			*ret = -EINVAL;
			return 1;
		}
		int woken = mn_sema_wake_bitset(uaddr, n, bits);
		long k = 0;
		if (woken < n)
			k = mn_sys6(SYS_futex, (long)uaddr, op, n - woken, (long)ts, 0, bits);
		*ret = k < 0 ? (woken ? woken : k) : woken + k;
		return 1;
	}
	if ((cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET) || !mn_is_g())
		return 0;
	int64_t deadline = 0;
	if (ts) {
		if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000) {
			*ret = -EINVAL;
			return 1;
		}
		if (cmd == FUTEX_WAIT) { /* relative, CLOCK_MONOTONIC */
			deadline = mn_nanotime() + ts->tv_sec * 1000000000LL + ts->tv_nsec;
		} else {
			clockid_t c = (op & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
			int e = mn_abs_to_deadline(c, ts, &deadline);
			if (e) {
				*ret = e;
				return 1;
			}
		}
	}
	uint32_t bits = cmd == FUTEX_WAIT_BITSET ? val3 : FUTEX_BITSET_MATCH_ANY;
	if (bits == 0) {
		*ret = -EINVAL;
		return 1;
	}
	int r = mn_sema_park_bitset(uaddr, still_val, (void *)(uintptr_t)val, deadline, MN_SEMA_WHY(MN_WHY_FUTEX),
				    bits);
	*ret = r == MN_SEMA_WOKEN ? 0 : r == MN_SEMA_NOTPARKED ? -EAGAIN : -ETIMEDOUT;
	return 1;
}
