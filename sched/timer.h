/* sched/timer.h: the timer heaps (timer.c).  struct mn_timer is in
 * runtime.h: every G embeds one for its timed parks. */
#ifndef MN_TIMER_H
#define MN_TIMER_H
#include "runtime.h"

/* Say which heap t goes to: the calling M's P's, or the heap of the Ms
 * without one.  The owner calls it before it hands t to anyone (before it
 * parks), and adds and deletes t on that heap only. */
MN_HIDDEN void mn_timer_home(struct mn_timer *t);
/* Add t to its home heap only if *word still equals expect (checked under
 * the heap's lock) and t is not queued already. */
MN_HIDDEN void mn_timer_add_if(struct mn_timer *t, _Atomic uint32_t *word, uint32_t expect);
/* Remove; waits for a running callback to finish.  Returns true if the
 * timer was removed before it fired. */
MN_HIDDEN bool mn_timer_del(struct mn_timer *t);
/* Run the due timers of the calling M's P and of the P-less heap; returns
 * their next deadline or 0. */
MN_HIDDEN int64_t mn_timers_run(int64_t now);
/* The same for every heap (an M looking for work runs the timers of Ps
 * that are idle or busy in a long G). */
MN_HIDDEN int64_t mn_timers_run_all(int64_t now);
/* Earliest deadline of the calling M's P and of the P-less heap, 0 if
 * none; racy hint. */
MN_HIDDEN int64_t mn_timers_next(void);
/* The same for the P with that id (sysmon). */
MN_HIDDEN int64_t mn_timers_next_p(int id);
/* Earliest deadline of every heap, 0 if none; racy hint. */
MN_HIDDEN int64_t mn_timers_next_all(void);
/* The child of fork: forget every timer. */
MN_HIDDEN void mn_timers_fork_child(void);
#endif
