/* shims/blocking.h: run a call that may block in the kernel without
 * holding the P (sched/syscall.c), when the caller is a G.
 *
 * The call may also leave by an unwind: glibc's blocking functions are
 * cancellation points (a process-shared semaphore's sem_wait acts on a
 * pending request at once).  The cleanup gives the G its P back on that
 * way out too (the library is built with -fexceptions for it). */
#ifndef MN_SHIMS_BLOCKING_H
#define MN_SHIMS_BLOCKING_H
#include <errno.h>
#include "sched/runtime.h"
#include "sched/syscall.h"

static inline void mn_blocking_end(const bool *entered)
{
	if (*entered)
		mn_exitsyscall();
}

/* call, between enter() (mn_entersyscall or mn_entersyscallblock) and
 * mn_exitsyscall, when the caller is a G holding a P. */
/* The G's waitreason says which call, for dumps: the call's text, marked
 * '=' (sched/dump.c takes the function's name out of it). */
#define MN_BLOCKING_WITH(enter, call)                                          \
	({                                                                     \
		const bool entered_ __attribute__((cleanup(mn_blocking_end))) = \
			mn_is_g() && (mn_getg()->waitreason = "=" #call, enter()); \
		__auto_type r_ = (call);                                       \
		r_;                                                            \
	})
#define MN_BLOCKING(call) MN_BLOCKING_WITH(mn_entersyscall, call)
/* The same for a call known to block (a sleep, a process-shared lock
 * already found taken): the P is handed off at once. */
#define MN_BLOCKING_EAGER(call) MN_BLOCKING_WITH(mn_entersyscallblock, call)

/* The same for a call that waits for something (read, poll, waitpid):
 * then a G that ran 10 ms while others wait yields (mn_preempt_point). */
#define MN_BLOCKING_WAIT(call)                                                 \
	({                                                                     \
		__auto_type w_ = MN_BLOCKING(call);                            \
		if (mn_is_g())                                                 \
			mn_preempt_point();                                    \
		w_;                                                            \
	})

/* Our preemption signal (sched/preempt.c) may end a wait with EINTR where
 * SA_RESTART does not restart it (poll, select, epoll_wait, pause,
 * sigsuspend, sigtimedwait, the main thread's sleeps, System V IPC
 * waits): sysmon signals only threads whose CPU clock moves, but a thread
 * may enter the call just then.  The handler counts such interruptions in
 * the G (preempt_intr).  A wrapper takes mn_intr_mark() before the call;
 * mn_intr_ours says the EINTR it got came from us, and the wrapper makes
 * the call again with the time left. */
static inline uint32_t mn_intr_mark(void)
{
	struct g *gp = mn_getg();
	return gp ? *(volatile uint32_t *)&gp->preempt_intr : 0;
}
static inline bool mn_intr_ours(uint32_t mark, long r, int err)
{
	struct g *gp = mn_getg();
	return r == -1 && err == EINTR && gp && *(volatile uint32_t *)&gp->preempt_intr != mark;
}
#endif
