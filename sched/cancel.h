/* sched/cancel.h: pthread_cancel of Gs (cancel.c). */
#ifndef MN_CANCEL_H
#define MN_CANCEL_H
#include <pthread.h>
#include "runtime.h"
#include "tcb.h"

/* pthread_cancel(t) of G gp (not dead): glibc's real_cancel sets the
 * request, then a parked gp is woken to act on it.  real_cancel returns
 * glibc's positive error number; this returns 0 or -errno. */
MN_HIDDEN int mn_cancel_g(struct g *gp, pthread_t t, int (*real_cancel)(pthread_t));
/* Act on the calling thread's cancellation request, if cancellation is
 * enabled (glibc's pthread_testcancel: unwinds and never returns); returns
 * if it is disabled. */
MN_HIDDEN void mn_cancel_act(void);
/* Entering a cancellation point that is about to wait: act on a pending
 * request (no return), else say whether the wait may be cancelled (not
 * when a request is pending but cancellation disabled: it would end the
 * wait again and again). */
static inline bool mn_cancel_point(void)
{
	if (__builtin_expect(!mn_tcb_self_cancel_pending(), 1))
		return true;
	mn_cancel_act();
	return false;
}
#endif
