/* sched/runq.h: per-P run queues and the global run queue (runq.c). */
#ifndef MN_RUNQ_H
#define MN_RUNQ_H
#include "runtime.h"

/* Queue gp on pp; next: into runnext (it runs next and inherits the time
 * slice), kicking the G there to the tail.  Context: pp's owner. */
MN_HIDDEN void mn_runqput(struct p *pp, struct g *gp, bool next);
/* Take a G from pp (runnext first; *inherit_time says which).  Context:
 * pp's owner. */
MN_HIDDEN struct g *mn_runqget(struct p *pp, bool *inherit_time);
/* Steal half of victim's queue into pp's; steal_runnext: also its
 * runnext.  Returns a G to run, or NULL.  Context: pp's owner. */
MN_HIDDEN struct g *mn_runqsteal(struct p *pp, struct p *victim, bool steal_runnext);
MN_HIDDEN bool mn_runqempty(struct p *pp);
/* Every G of victim's queue and runnext, taken as a thief, linked by
 * schedlink; returns how many. */
MN_HIDDEN int mn_runqdrain(struct p *victim, struct g **head, struct g **tail);
MN_HIDDEN void mn_globrunqput(struct g *gp);      /* sched.lock held */
MN_HIDDEN void mn_globrunqputbatch(struct g *head, struct g *tail, int n); /* sched.lock held */
MN_HIDDEN struct g *mn_globrunqget(struct p *pp, int max); /* sched.lock held */
#endif
