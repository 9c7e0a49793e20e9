/* sched/join.h: exit, join and detach of Gs (join.c). */
#ifndef MN_JOIN_H
#define MN_JOIN_H
#include "runtime.h"
enum { JS_JOINABLE, JS_DETACHED, JS_JOINWAIT, JS_EXITED, JS_FREE };
enum { JOIN_WAIT, JOIN_TRY, JOIN_TIMED };
/* Returns 0 or an error number (EDEADLK, EINVAL, ESRCH, EBUSY, ETIMEDOUT).
 * deadline: CLOCK_MONOTONIC ns for JOIN_TIMED. */
MN_HIDDEN int mn_gjoin(struct g *gp, void **res, int mode, int64_t deadline);
MN_HIDDEN int mn_gdetach(struct g *gp);
MN_HIDDEN void mn_gexit_finish(struct g *gp);
/* The joiner to switch to straight from gp's exit, or NULL: a G parked in
 * an untimed join of gp (nobody but gp's exit can ready it).  Context: gp,
 * exiting. */
MN_HIDDEN struct g *mn_gexit_joiner(struct g *gp);
/* mn_gexit_finish once the joiner from mn_gexit_joiner is running. */
MN_HIDDEN void mn_gexit_finish_joined(struct g *gp, struct g *joiner);
#endif
