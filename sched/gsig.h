/* sched/gsig.h: signals sent to one thread reach that G (gsig.c). */
#ifndef MN_GSIG_H
#define MN_GSIG_H
#include <signal.h>
#include "runtime.h"

/* What mn_gsig_deliver ran: a handler installed with SA_RESTART (a wait
 * that restarts natively goes on), one without it (the wait says EINTR). */
#define MN_GSIG_RESTART 1
#define MN_GSIG_EINTR 2

/* Signals pending for gp that its mask lets through.  Context: any (a
 * hint when gp is not the caller). */
static inline uint64_t mn_gsig_deliverable(struct g *gp)
{
	/* relaxed: a hint; delivery takes the bits with an atomic */
	return atomic_load_explicit(&gp->sigpending, memory_order_relaxed) & ~*(volatile uint64_t *)&gp->sigmask;
}

/* Send sig to gp (not dead), as the kernel's tgkill or rt_tgsigqueueinfo
 * to a thread would (info NULL: SI_TKILL from this process): discarded
 * when gp lets it through and it is ignored; the default action (the
 * process terminates or stops) when that is what it does; else pending
 * for gp, which runs the handler at once if it is running, or is woken
 * from its wait to run it.  0 or -EAGAIN (too many queued).  Context: a
 * G, g0, a foreign thread, or a signal handler (no locks, no allocation). */
MN_HIDDEN int mn_gsig_send(struct g *gp, int sig, const siginfo_t *info);
/* The same for the G whose id (gettid) is tid, found on allgs: 1 with
 * *ret (0 or -errno), 0 when no live G has that id. */
MN_HIDDEN int mn_gsig_send_tid(long tid, int sig, const siginfo_t *info, long *ret);
/* Run the handlers of the calling G's deliverable pending signals, on
 * its stack, as the kernel would; returns MN_GSIG_* bits (0: none ran).
 * Context: a G, holding no runtime lock, not inside a wait's bookkeeping. */
MN_HIDDEN int mn_gsig_deliver(void);
/* sigwait: take a pending signal of the calling G in set (with its
 * siginfo); 0 if none. */
MN_HIDDEN int mn_gsig_take(uint64_t set, siginfo_t *info);
/* gp exits: forget what was queued for it. */
MN_HIDDEN void mn_gsig_drop(struct g *gp);
/* exec by the calling G: its pending signals go into the kernel's
 * pending set of its M, so that the new program finds them pending, as
 * natively (the M blocks them; the exec family then puts the G's mask,
 * which blocks them too, on the M).  mn_gsig_exec_failed takes them
 * back.  Context: the G, not preemptible (gp->nopreempt). */
MN_HIDDEN void mn_gsig_exec_prepare(struct g *gp);
MN_HIDDEN void mn_gsig_exec_failed(struct g *gp);
/* A thread now accepts these signals (a new one, or a mask that
 * unblocks them): those the router left in the kernel because nobody
 * took them are watched again. */
MN_HIDDEN void mn_gsig_unkeep(uint64_t accepted);
/* The calling G is about to exit: a signal given to it that it takes
 * runs its handler now; and while the router is busy, a signal of
 * the process's that it takes and that is still in the kernel is routed
 * now, while it can take it, as the kernel would have given it to the
 * running thread already (a thread that accepts a signal, then exits,
 * must not leave the last one sent for nobody).  Context: the G. */
MN_HIDDEN void mn_gsig_exit_drain(struct g *gp);
/* The calling G exits: what the router gave it from the process's
 * signals goes to another thread, or stays pending for the process, as
 * the kernel does with a thread's share at exit; the rest is forgotten.
 * Context: the exiting G. */
MN_HIDDEN void mn_gsig_exit(struct g *gp);
/* sysmon: ring again for every running G with a deliverable signal (a
 * ring that found it inside the runtime did nothing). */
MN_HIDDEN void mn_gsig_sysmon(void);
/* Process-directed signals (gsig.c's second part).  The signalfd follows
 * main's mask: call after main's mask changes and when threads are made. */
MN_HIDDEN void mn_gsig_router_update(void);
/* The netpoller saw the signalfd readable: route what it holds. */
MN_HIDDEN void mn_gsig_route_pending(void);
/* What the process has pending that no thread took. */
MN_HIDDEN uint64_t mn_gsig_proc_pending(void);
/* Of those, the ones the runtime holds (procq), not the kernel: for
 * sigpending, which reads the kernel's itself. */
MN_HIDDEN uint64_t mn_gsig_proc_held(void);
/* The calling G takes what the process has pending that its mask lets
 * through (then mn_gsig_deliver runs it). */
MN_HIDDEN void mn_gsig_claim(void);
MN_HIDDEN void mn_gsig_fork_child(void);
/* The live G whose id (gettid) is tid, or NULL.  Its memory stays while
 * it lives (the scavenger frees only Gs long dead). */
MN_HIDDEN struct g *mn_gsig_find_tid(long tid);
/* The program made a signalfd for mask: those signals are left pending
 * in the kernel for it to read, not routed. */
MN_HIDDEN void mn_gsig_signalfd(uint64_t mask);
/* vfork.S, in the child: the G's mask in the kernel; returns 0. */
MN_HIDDEN int mn_gsig_vfork_child(void);
/* Main is about to leave M0 (it makes its first thread, or M0's
 * scheduler runs for the first time): from here M0 blocks like every M
 * and the router watches the process's signals.  Until then main owns
 * M0's kernel mask, as a single-threaded program's main thread does; with
 * MN_DEBUG=lockmain=1 it always does.  Context: M0. */
MN_HIDDEN void mn_gsig_main_free(void);
/* Its second half, which takes locks: on main when main made a thread,
 * else at the end of finish_switch (mainfree_rest). */
MN_HIDDEN void mn_gsig_main_free_rest(void);
/* Whether sig's handler restarts system calls (SA_RESTART). */
MN_HIDDEN bool mn_gsig_restarts(int sig);
#endif
