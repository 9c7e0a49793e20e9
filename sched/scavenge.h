/* sched/scavenge.h: between the free-G caches (gfree.c) and their
 * scavenger (scavenge.c).  sysmon's entry points, mn_scavenge and
 * mn_scavenge_next, are in gfree.h. */
#ifndef MN_SCAVENGE_H
#define MN_SCAVENGE_H
#include "runtime.h"

/* Bumped at each rotation of the aging buckets: a P owner's cue to hand
 * its cold Gs to the global cache (gfree.c's per-P rule).  Relaxed. */
extern _Atomic uint32_t mn_scav_gen MN_HIDDEN;
/* Up to max Gs of req's shape from the aging buckets onto *out, newest
 * first.  Context: gflock held. */
MN_HIDDEN int mn_scav_take(const struct mn_stack_req *req, int max, struct g **out);
/* Some G is aging (a hint, read without gflock). */
MN_HIDDEN bool mn_scav_nonempty(void);
/* A new G (galloc) takes libc's block of a released one, if one waits. */
MN_HIDDEN void mn_scav_adopt(struct g *gp);
/* The child of fork: the buckets and kept blocks are forgotten. */
MN_HIDDEN void mn_scav_fork_child(void);

/* gfree.c's list helpers.  gp fits the request (same stack shape). */
MN_HIDDEN bool mn_gfree_same_shape(const struct g *gp, const struct mn_stack_req *req);
/* Unlink up to max Gs of req's shape from the list at *link (count *n)
 * and push them on *out.  Returns how many.  Context: gflock held. */
MN_HIDDEN int mn_gfree_take_shape(struct g **link, int *n, const struct mn_stack_req *req, int max,
				  struct g **out);

#if defined(MN_TEST) && MN_TEST
void mn_scav_test_reset(void);
#endif
#endif
