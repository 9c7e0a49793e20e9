/* sched/join.h: exit, join and detach of Gs (join.c). */
#ifndef MN_JOIN_H
#define MN_JOIN_H
#include "runtime.h"
enum { JS_JOINABLE, JS_DETACHED, JS_JOINWAIT, JS_EXITED, JS_FREE };
/* g->joinstate: the state in the low byte; JS_JOINWAIT also holds the
 * joining G's goid (0 for a thread that is not a G). */
#define JS_STATE(w) ((int)((w) & 0xff))
static inline uint64_t JS_WAITBY(const struct g *j)
{
	return j ? (uint64_t)j->goid << 8 | JS_JOINWAIT : (uint64_t)JS_JOINWAIT;
}
enum { JOIN_WAIT, JOIN_TRY, JOIN_TIMED };
/* Returns 0 or -errno (-EDEADLK, -EINVAL, -ESRCH, -EBUSY, -ETIMEDOUT).
 * deadline: CLOCK_MONOTONIC ns for JOIN_TIMED. */
MN_HIDDEN int mn_gjoin(struct g *gp, void **res, int mode, int64_t deadline);
/* Returns 0 or -errno (-EINVAL: detached already, -ESRCH: collected). */
MN_HIDDEN int mn_gdetach(struct g *gp);
MN_HIDDEN void mn_gexit_finish(struct g *gp);
/* The joiner to switch to straight from gp's exit, or NULL: a G parked in
 * an untimed join of gp (nobody but gp's exit can ready it).  Context: gp,
 * exiting. */
MN_HIDDEN struct g *mn_gexit_joiner(struct g *gp);
/* pthread_cancel's part: if G j is parked joining a G, withdraw that wait
 * and ready j.  Context: any thread, after setting j's cancellation
 * request (a locked instruction).  Returns true if it readied j. */
MN_HIDDEN bool mn_join_cancel(struct g *j);
/* mn_gexit_finish once the joiner from mn_gexit_joiner is running. */
MN_HIDDEN void mn_gexit_finish_joined(struct g *gp, struct g *joiner);
/* The child of fork: self (NULL for a thread that is not a G) is the only
 * thread left. */
MN_HIDDEN void mn_join_fork_child(struct g *self);
/* The G whose TCB is tcb, or NULL unless it is a live or zombie G. */
MN_HIDDEN struct g *mn_tcb_to_g(uintptr_t tcb);
#endif
