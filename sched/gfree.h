/* sched/gfree.h: allocating Gs, the free-G caches and their scavenger
 * (gfree.c). */
#ifndef MN_GFREE_H
#define MN_GFREE_H
#include "runtime.h"

/* A G of the requested shape, reset, with its TLS initialised; NULL when
 * out of memory.  pp: the caller's P (its cache), or NULL. */
MN_HIDDEN struct g *mn_gfget(struct p *pp, const struct mn_stack_req *req);
/* Give a dead, collected G back to pp's cache (NULL: the global list). */
MN_HIDDEN void mn_gfput_p(struct p *pp, struct g *gp);
/* mn_gfput_p to the caller's P, if it holds one. */
MN_HIDDEN void mn_gfput(struct g *gp);

/* The scavenger: unmap the cached Gs unused for MN_DEBUG=scavenge
 * seconds (mn_env.scavenge_s; 0: never), now being CLOCK_MONOTONIC ns
 * (mn_nanotime).  Call it about once a second; it works for at most
 * 10 ms unless every P is idle.
 * Context: sysmon (an OS thread, no P, no lock held); takes gflock. */
MN_HIDDEN void mn_scavenge(int64_t now);
/* When mn_scavenge next has something to do (CLOCK_MONOTONIC ns), or 0
 * when nothing is cached globally (or scavenge=0): a sysmon asleep while
 * every P is idle wakes by then, or an idle program never shrinks.
 * Context: as mn_scavenge. */
MN_HIDDEN int64_t mn_scavenge_next(void);
/* The child of fork: the global cache and the scavenger's lists are
 * forgotten (another M may have been changing them). */
MN_HIDDEN void mn_gfree_fork_child(void);
/* Every G whose memory exists (allocated, not yet given back by the
 * scavenger), main excepted: walked under the lock with mn_allg_lock, the
 * list's head from mn_allg_first, each next from gp->allnext.  A G on it
 * may be idle (free) or dead: check its status. */
MN_HIDDEN void mn_allg_lock(void);
MN_HIDDEN void mn_allg_unlock(void);
MN_HIDDEN struct g *mn_allg_first(void);
MN_HIDDEN void mn_allg_remove(struct g *gp);
/* The child of fork: only self and the free Gs of its P's cache (linked
 * by schedlink) are left (the others' memory is leaked). */
MN_HIDDEN void mn_allg_fork_child(struct g *self, struct g *cache);
#endif
