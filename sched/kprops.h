/* sched/kprops.h: threads with kernel state of their own (kprops.c). */
#ifndef MN_KPROPS_H
#define MN_KPROPS_H
#include "runtime.h"

#define KP_AFFINITY 1u /* gp->affinity */
#define KP_NICE     2u /* gp->nice */
#define KP_SCHED    4u /* gp->schedpolicy, gp->schedprio */

/* Start-up: the values a thread has when nobody set them. */
MN_HIDDEN void mn_kprops_init(void);
/* The caller filled gp's fields for what (KP_*).  The calling G: locked
 * to its M and applied there now, 0 or the kernel's -errno.  Another G:
 * applied when it next runs (mn_kprops_run), 0. */
MN_HIDDEN int mn_kprops_set(struct g *gp, unsigned what);
/* execute: gp has pending state; lock it to mp and apply.  Context: g0
 * of mp. */
MN_HIDDEN void mn_kprops_run(struct m *mp, struct g *gp);
/* A locked G exits: its M gets the defaults back and is free again.
 * Context: g0 of mp. */
MN_HIDDEN void mn_kprops_exit(struct m *mp, struct g *gp);
/* A new M: the defaults, not what its creator had.  Context: the M. */
MN_HIDDEN void mn_kprops_minit(void);
/* Is value (a cpu_set_t for KP_AFFINITY) the default? */
MN_HIDDEN bool mn_kprops_is_default(unsigned what, const void *value);
/* The defaults, for a thread that set nothing. */
MN_HIDDEN int mn_kprops_default_nice(void);
#endif
