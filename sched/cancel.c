/* sched/cancel.c: pthread_cancel of a G.
 *
 * glibc keeps a thread's cancellation state in its struct pthread
 * (cancelhandling), which every G has, so glibc's own pthread_cancel,
 * pthread_testcancel and pthread_setcancel{state,type} work on Gs as they
 * are.  Two things do not, and are done here:
 *  - waking a G parked at a cancellation point (cond and sem waits, join,
 *    sleeps): those parks can be ended by the canceller like a time-out
 *    (sema.c MN_SEMA_CANCEL, join.c mn_join_cancel, proc.c
 *    mn_gopark_cancel); the G then acts on the request (mn_cancel_act) in
 *    its own frame, after restoring what it must (a condvar's mutex), or
 *    waits again when cancellation is disabled;
 *  - asynchronous cancellation: glibc signals SIGCANCEL to the thread's
 *    tid, which for a G is a made-up one no OS thread has, so the signal
 *    goes nowhere (ESRCH).  The request is then marked here, as that
 *    signal's handler would have, and acted on at the G's next
 *    cancellation point.
 * A running G with asynchronous cancellation enabled is interrupted by
 * the preemption signal at its next safe point (preempt.c: sysmon and
 * mn_cancel_g ask for it).  A G blocked in a system call that glibc made
 * cancellable (it is asynchronous for the call's duration: a
 * process-shared condvar, waitpid, a read on a regular file...) is rung
 * out of it (preempt.c's ring) and acts on the request there.
 */
#include "cancel.h"
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include "join.h"
#include "park.h"
#include "netpoll.h"
#include "preempt.h"
#include "sema.h"
#include "sys.h"
#include "tcb.h"

void mn_cancel_act(void)
{
	pthread_testcancel();
}

int mn_cancel_g(struct g *gp, pthread_t t, int (*real_cancel)(pthread_t))
{
	int r = -real_cancel(t); /* glibc's positive error number */
	if (r != 0 && r != -ESRCH)
		return r;
	if (gp == mn_getg())
		return r;
	/* ESRCH: glibc sent SIGCANCEL to the G's made-up tid.  Mark the
	 * request as its handler would (not on a thread already exiting). */
	_Atomic int *ch = (_Atomic int *)(gp->tcb + MN_TCB_OFF_CANCELHANDLING);
	int v = atomic_load_explicit(ch, memory_order_relaxed);
	while (!(v & (MN_EXITING_BITMASK | MN_CANCELED_BITMASK)) &&
	       !atomic_compare_exchange_weak_explicit(ch, &v, v | MN_CANCELED_BITMASK, memory_order_seq_cst,
						      memory_order_relaxed))
		;
	/* glibc 2.36's end of a cancellable system call waits on this word
	 * for that handler (__pthread_disable_asynccancel). */
	mn_futex_wake((void *)ch, INT_MAX);
	/* The request is set (a locked instruction, ours or glibc's); now
	 * end the wait, if the G is in one. */
	atomic_thread_fence(memory_order_seq_cst);
	if (!mn_sema_cancel(gp) && !mn_join_cancel(gp) && !mn_netpoll_cancel(gp))
		mn_park_cancel(gp);
	/* Running with asynchronous cancellation: interrupted by the
	 * preemption signal at its next safe point (preempt.c). */
	if (mn_tcb_async_cancel_pending(gp->tcb)) {
		mn_preempt_kick(gp);
		/* In a system call glibc made cancellable: rung out of it. */
		mn_preempt_ring(gp);
	}
	return 0;
}
