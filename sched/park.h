/* sched/park.h: timed and cancellable parks (park.c, the waitsel
 * protocol). */
#ifndef MN_PARK_H
#define MN_PARK_H
#include "runtime.h"

/* Park until goready or the deadline (CLOCK_MONOTONIC ns).  Returns true
 * if woken by goready, false on time-out.  The waker must use
 * mn_goready_sel.  ontimeout(gp, arg) takes the G off its wait lists when
 * the timer wins.  Context: a G. */
MN_HIDDEN bool mn_gopark_until(bool (*unlockf)(struct g *, void *), void *arg, int64_t deadline,
			       void (*ontimeout)(struct g *, void *), const char *reason);
/* Ready gp if it is in a timed park that has not timed out (or in a plain
 * park).  Returns false if the timer won.  Context: any. */
MN_HIDDEN bool mn_goready_sel(struct g *gp);
/* A timed park at a cancellation point (the sleeps): mn_gopark_until that
 * pthread_cancel can also end (mn_park_cancel), like a time-out.
 * Returns true if woken by goready, false on time-out or cancellation. */
MN_HIDDEN bool mn_gopark_cancel(bool (*unlockf)(struct g *, void *), void *arg, int64_t deadline,
				void (*ontimeout)(struct g *, void *), const char *reason);
/* End gp's cancellable park, if it is in one and the wait is published
 * (its ontimeout runs, then gp is readied).  Context: any thread, after
 * setting gp's cancellation request (a locked instruction).  Returns true
 * if it readied gp. */
MN_HIDDEN bool mn_park_cancel(struct g *gp);
#endif
