/* preload/preload.h: the interposition layer.
 *
 * Rules for every file in preload/:
 *  - The only exported symbols are the libc names we interpose, marked
 *    MN_EXPORT (mnthread.map adds the versions of pthread_cond_init);
 *    everything else is hidden (-fvisibility=hidden).  Only preload/
 *    defines them (exception: vfork, in sched/arch/x86_64/vfork.S), and
 *    sched/ and shims/ never call them (tests/compat/layering.sh,
 *    shims/poison.h).
 *  - The next definition of a name is reached only through REAL(name),
 *    the real_<name> pointers of preload/real.h, all resolved at once (in
 *    the constructor, or by the first interposer called before it) with a
 *    bootstrap for calls nested inside dlsym.  dlsym's allocations are
 *    fine: we do not interpose malloc.  The lower layers get what they
 *    need of them as hooks (sched/hooks.h, shims/hooks.h), never by name.
 *    dlsym and dlvsym are poisoned below preload/real.c.
 *  - An interposer called before init, or from a vfork child, or when the
 *    runtime refused this glibc (1:1 mode), calls the real function:
 *    mn_shim_active() decides and initialises lazily (a library
 *    constructor may create threads before ours runs).
 *  - Interposers are a few lines; semantics live in shims/.
 */
#ifndef MN_PRELOAD_H
#define MN_PRELOAD_H
#include <errno.h>
#include <pthread.h>
#include "preload/real.h"
#include "shims/start.h"
#include "shims/thread.h"
#include "shims/sigmask.h"
#include "shims/sleep.h"
#include "sched/runtime.h"

#define MN_EXPORT __attribute__((visibility("default")))

/* The next definition only through REAL (preload/real.c looks it up). */
#pragma GCC poison dlsym dlvsym

/* mn_shim_start for the interposers that create threads: the next
 * definitions first, which the runtime's start-up uses (its hooks).  A
 * thread created from inside the resolution itself (an allocator's
 * malloc under dlsym) is glibc's, like any made before start-up. */
static inline bool mn_preload_start(void)
{
	if (!mn_real_resolve())
		return false;
	return mn_shim_start();
}

/* glibc's map from error numbers to C11 thrd_* results. */
#include <threads.h>
static inline int mn_c11_err(int e)
{
	switch (e) {
	case 0: return thrd_success;
	case ENOMEM: return thrd_nomem;
	case ETIMEDOUT: return thrd_timedout;
	case EBUSY: return thrd_busy;
	default: return thrd_error;
	}
}
#endif
