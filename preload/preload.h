/* preload/preload.h: the interposition layer.
 *
 * Rules for every file in preload/:
 *  - The only exported symbols are the libc names we interpose, listed in
 *    mnthread.map; everything else is hidden (-fvisibility=hidden).
 *  - The next definition of a name is reached only through mn_libc (filled
 *    once, in the constructor, by dlsym(RTLD_NEXT)) or a real_<name>
 *    pointer resolved the same way.  dlsym's allocations are fine: we do
 *    not interpose malloc.
 *  - An interposer called before init, or from a vfork child, or when the
 *    runtime refused this glibc (1:1 mode), calls the real function:
 *    mn_shim_active() decides and initialises lazily (a library
 *    constructor may create threads before ours runs).
 *  - Interposers are a few lines; semantics live in shims/.
 */
#ifndef MN_PRELOAD_H
#define MN_PRELOAD_H
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include "shims/thread.h"
#include "sched/runtime.h"

#define MN_EXPORT __attribute__((visibility("default")))

/* Resolve the next definition of name once. */
#define REAL(name) \
	({ static __typeof__(&name) real_; \
	   if (!real_) real_ = (__typeof__(&name))dlsym(RTLD_NEXT, #name); \
	   real_; })

void mn_preload_resolve(void) __attribute__((visibility("hidden")));

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
