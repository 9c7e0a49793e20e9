/* sched/timer.h: the timer heap (timer.c).  struct mn_timer is in
 * runtime.h: every G embeds one for its timed parks. */
#ifndef MN_TIMER_H
#define MN_TIMER_H
#include "runtime.h"

/* Add t only if *word still equals expect (checked under the heap's lock)
 * and t is not queued already. */
MN_HIDDEN void mn_timer_add_if(struct mn_timer *t, _Atomic uint32_t *word, uint32_t expect);
/* Remove; waits for a running callback to finish.  Returns true if the
 * timer was removed before it fired. */
MN_HIDDEN bool mn_timer_del(struct mn_timer *t);
MN_HIDDEN int64_t mn_timers_run(int64_t now); /* runs due timers; returns next deadline or 0 */
MN_HIDDEN int64_t mn_timers_next(void);       /* earliest deadline, 0 if none; racy hint */
/* The child of fork: forget every timer. */
MN_HIDDEN void mn_timers_fork_child(void);
#endif
