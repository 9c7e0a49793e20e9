/* sched/sys.h: raw system calls for the runtime.
 *
 * The runtime never calls libc's syscall wrappers for its own needs: some
 * of them are interposed by preload/ (syscall, futex users, sleeps), and
 * raw calls leave errno alone.  Each returns the kernel's value: >= 0, or
 * -errno.
 */
#ifndef MN_SYS_H
#define MN_SYS_H
#include <stdint.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <time.h>
#include "arch/x86_64/arch.h"

static inline long mn_sys6(long n, long a, long b, long c, long d, long e, long f)
{
	return arch_syscall6(n, a, b, c, d, e, f);
}
#define mn_sys3(n, a, b, c) mn_sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* Private futex wait: sleep while *addr == val, up to an optional relative
 * timeout.  Returns 0, -EAGAIN, -EINTR or -ETIMEDOUT. */
static inline long mn_futex_wait(const void *addr, uint32_t val, const struct timespec *rel)
{
	return mn_sys6(SYS_futex, (long)addr, FUTEX_WAIT_PRIVATE, val, (long)rel, 0, 0);
}
/* Absolute CLOCK_MONOTONIC deadline variant (FUTEX_WAIT_BITSET). */
static inline long mn_futex_wait_abs(const void *addr, uint32_t val, const struct timespec *abs)
{
	return mn_sys6(SYS_futex, (long)addr, FUTEX_WAIT_BITSET_PRIVATE, val, (long)abs, 0,
		       FUTEX_BITSET_MATCH_ANY);
}
static inline long mn_futex_wake(const void *addr, int n)
{
	return mn_sys6(SYS_futex, (long)addr, FUTEX_WAKE_PRIVATE, n, 0, 0, 0);
}
static inline int mn_gettid(void) { return (int)mn_sys3(SYS_gettid, 0, 0, 0); }

/* clock_gettime for the runtime and shims/: the C library's (a vDSO
 * call), never our interposer (sched/hooks.h). */
#include "hooks.h"
static inline int mn_clock_gettime(clockid_t clock, struct timespec *ts)
{
	return mn_os.clock_gettime(clock, ts);
}
static inline int64_t mn_nanotime(void)
{
	struct timespec ts;
	mn_clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
#endif
