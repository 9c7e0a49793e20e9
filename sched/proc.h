/* sched/proc.h: the scheduler (proc.c): start-up, G creation, parking and
 * readying, yield, exit, and the scheduling loop. */
#ifndef MN_PROC_H
#define MN_PROC_H
#include "runtime.h"

/* Context: the main thread (or the first thread to call in), once.
 * Returns 0 or -errno (-ENOTSUP: this glibc is refused). */
MN_HIDDEN int mn_schedinit(void);
/* Make the calling main thread a G locked to a new M0, holding a P. */
MN_HIDDEN struct g *mn_main_attach(void);
/* The main G is gone (pthread_exit from main): M0 becomes an ordinary M.
 * Context: the main G, which never runs again. */
MN_HIDDEN void mn_main_exited(void) __attribute__((noreturn));

/* A G ready to be filled in (start routine, attributes), with its ids and
 * first context; NULL with *err = -EAGAIN when no memory. */
MN_HIDDEN struct g *mn_newproc(void *(*fn)(void *), void *arg, const struct mn_stack_req *req, int *err);
/* Make a G from mn_newproc runnable, after the caller filled its fields. */
MN_HIDDEN void mn_newproc_start(struct g *gp);
/* First frame of every G, called by mn_arch_gstart (arch/x86_64). */
MN_HIDDEN void mn_gentry(struct g *gp);

/* Park the calling G.  unlockf(gp, arg) runs after the switch, on the
 * next context of the M; it publishes the wait, and returning false
 * means the wait is already over (gp runs again at once).  Context: a G. */
MN_HIDDEN void mn_gopark(bool (*unlockf)(struct g *, void *), void *arg, const char *reason);
/* Ready a G in G_WAITING.  Context: any (G, g0 with or without P, foreign). */
MN_HIDDEN void mn_goready(struct g *gp);
/* A time-out: the G queues behind the runnable ones, not in runnext. */
MN_HIDDEN void mn_goready_tail(struct g *gp);
/* A timer's wake-up: behind the global queue when it is long (then
 * true); else false and nothing done. */
MN_HIDDEN bool mn_goready_overloaded(struct g *gp);
MN_HIDDEN void mn_gosched(void);         /* yield */
/* Yield because the slice is over (preemption): to the global queue.
 * Context: a G, from the preemption trampoline. */
MN_HIDDEN void mn_gpreempt(void);
MN_HIDDEN void mn_goexit(void) __attribute__((noreturn));
/* exitsyscall found no P: let g0 queue gp and wait for one. */
MN_HIDDEN void mn_gswitch_exitsyscall(struct g *gp);

/* The scheduling loop.  Context: g0 holding a P (or of a locked M). */
MN_HIDDEN void mn_schedule(void) __attribute__((noreturn));
#endif
