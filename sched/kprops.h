/* sched/kprops.h: threads with kernel state of their own (kprops.c). */
#ifndef MN_KPROPS_H
#define MN_KPROPS_H
#include "runtime.h"
#include <sched.h>

#define KP_AFFINITY 1u /* gp->affinity */
#define KP_NICE     2u /* gp->nice */
#define KP_SCHED    4u /* gp->schedpolicy, gp->schedprio */

#define KP_LOCK     8u /* nothing to apply: locked only (MN_DEBUG=lockthreads=1) */

/* gp runs with a real-time policy (SCHED_FIFO, SCHED_RR) applied to its
 * own OS thread: the kernel schedules it against the other real-time
 * threads, so sysmon does not preempt it and its sched_yield is the
 * kernel's (a yield at our level would hand its CPU to whatever thread
 * of a lower priority the kernel runs next). */
static inline bool mn_kprops_rt(const struct g *gp)
{
	int pol = gp->schedpolicy & ~SCHED_RESET_ON_FORK;
	return (gp->kapplied & KP_SCHED) && (pol == SCHED_FIFO || pol == SCHED_RR);
}

/* System call nr, made by the calling G on its M, changes kernel state of
 * that OS thread that cannot be undone (unshare, setns, capset, seccomp,
 * per-thread prctl options): the G is locked to its M, which exits with
 * it if the call succeeded.  Returns the raw result (>= 0 or -errno).
 * Context: a G. */
MN_HIDDEN long mn_kprops_taint(long nr, long a1, long a2, long a3, long a4, long a5);
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
MN_HIDDEN void mn_kprops_default_sched(int *policy, int *prio);
#endif
