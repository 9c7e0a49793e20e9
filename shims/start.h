/* shims/start.h: start-up of the runtime and whether interposers use it
 * (shims/start.c). */
#ifndef MN_SHIMS_START_H
#define MN_SHIMS_START_H
#include <stdatomic.h>
#include <stdbool.h>
#include "shims/shim.h"

/* Runtime readiness: false in 1:1 mode (glibc refused) or a vfork child. */
extern __thread int mn_tls_vfork_child MN_SHIM; /* set in a vfork child (sched/arch: vfork.S, arch.c) */
extern _Atomic int mn_init_state MN_SHIM;        /* 2: the runtime is up */
MN_SHIM bool mn_shim_active_slow(void);
/* Whether interposers use the runtime (false before start-up, and inside
 * it on the initialising thread: shims/start.c).  A
 * vfork child shares its parent's TCB and must never switch Gs. */
static inline bool mn_shim_active(void)
{
	if (__builtin_expect(atomic_load_explicit(&mn_init_state, memory_order_acquire) == 2, 1))
		return !mn_tls_vfork_child;
	return mn_shim_active_slow();
}
MN_SHIM void mn_shim_init(void);          /* idempotent; any thread */
/* mn_shim_active, starting the runtime first if nobody has: for the
 * interposers that create threads (see shims/start.c). */
MN_SHIM bool mn_shim_start(void);
MN_SHIM int mn_thread_main(int (*main)(int, char **, char **), int argc, char **argv, char **envp);
#endif
