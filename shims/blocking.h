/* shims/blocking.h: run a call that may block in the kernel without
 * holding the P (sched/syscall.c), when the caller is a G. */
#ifndef MN_SHIMS_BLOCKING_H
#define MN_SHIMS_BLOCKING_H
#include "sched/runtime.h"
#define MN_BLOCKING(call)                        \
	({                                       \
		bool is_g_ = mn_is_g();          \
		if (is_g_)                       \
			mn_entersyscall();       \
		__auto_type r_ = (call);         \
		if (is_g_)                       \
			mn_exitsyscall();        \
		r_;                              \
	})
#endif
