/* sched/gfree.h: allocating Gs and the free-G lists (gfree.c). */
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
#endif
