/* sched/proc.c: the scheduler.
 *
 * The model is Go's (runtime/proc.go), and so is the vocabulary:
 *  - G: a user thread (struct g): its own stack, saved registers and its
 *    own glibc TCB, so errno, TLS and glibc's per-thread state move with it.
 *  - M: an OS thread.  Its g0 is the scheduler context: it runs schedule()
 *    on the thread's own stack and TCB.
 *  - P: a processor context, MN_PROCS of them.  An M must hold a P to run
 *    Gs; a P has a local run queue (runq.c), a runnext slot and a free-G
 *    cache.
 *
 * Scheduling loop (schedule, on g0): a locked M waits for its G
 * (stoplockedm); due timers run; once every GLOBRUNQ_TICK (61) schedticks
 * the global queue goes first, for fairness; then the local queue; then findrunnable:
 * local, global, steal half from random victims (4 rounds, the last one
 * also taking runnext), then give the P back to the idle list, re-check
 * every queue, and stopm.  execute switches to the G.
 *
 * Switching: a G leaves only through gswitch(), which records a pending
 * action on its M and switches to g0; g0 finishes the action after the G's
 * registers are saved (finish_switch): PEND_PARK marks it G_WAITING and
 * calls its unlockf, PEND_YIELD requeues it, PEND_EXIT retires it.  So no
 * other M can resume a G before its context is saved, and a parking G's
 * wake-up condition is published only once it can be resumed: a waker that
 * sees the condition sees a G in G_WAITING.  Each park has exactly one
 * waker (whoever takes the G off its wait list, or wins waitsel in
 * park.c), so mn_goready needs no CAS: it only checks the state, to catch
 * runtime bugs.
 *
 * The main thread is an ordinary G: it keeps the process stack (the
 * kernel grows it on a fault from any thread) and the original TCB, and
 * runs on any M; M0, the initial OS thread, runs any G.  What made main
 * special is elsewhere: the process's signals reach it through the
 * router (gsig.c), its name is the process's (shims/thread.c).
 *
 * Locked Gs: with MN_DEBUG=lockmain=1 main is locked to M0, as in earlier
 * versions.  When a locked G parks, its M hands its P off and sleeps
 * (stoplockedm); an M that dequeues it gives its own P to the locked M
 * and wakes it (startlockedm).

 * Preemption (preempt.c): sysmon flags a P whose G ran a quantum while
 * work waits (p->preempt) and signals its M; at a safe point the handler
 * makes the G "call" mn_gpreempt (PEND_PREEMPT), which puts it on the
 * global queue and ends the slice.  While the flag is up, ready() queues
 * behind the others instead of using runnext, so a chain of hand-offs
 * cannot keep the P past the quantum either.
 *
 * Silent blocking (sysmon.c): an M blocked in the kernel in a call nobody
 * announced keeps its P struct as an orphan, alone, while a fresh P takes
 * its place in allp and runs on another M; every scheduling point that
 * hands a P on (releasep) or picks the next G (schedule, ready,
 * may_switch_direct) notices the orphan and retires it.  Rejected: taking
 * the very P from under the M (the M may be inside the scheduler with it
 * when the kernel lets it go, and would need a fence on every runtime
 * entry to find out).
 *
 * Timed parks (the waitsel protocol) are in park.c.
 */
#include "proc.h"
#include "gsig.h"
#include <errno.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <linux/futex.h>
#include "cputime.h"
#include "dump.h"
#include "env.h"
#include "gfree.h"
#include "join.h"
#include "kprops.h"
#include "m.h"
#include "netpoll.h"
#include "runq.h"
#include "sema.h"
#include "signal.h"
#include "sysmon.h"
#include "tcb.h"
#include "throw.h"
#include "timer.h"
#include "sys.h"

struct sched mn_sched = {
	.lock = MN_LOCK_INIT(LOCKRANK_SCHED),
	.gflock = MN_LOCK_INIT(LOCKRANK_GFREE),
};
bool mn_inited;
__thread struct g *mn_tls_g;
__thread bool mn_tls_in_walk;
struct mn_os_hooks mn_os = { .clock_gettime = mn_sys_clock_gettime };

static void execute(struct g *gp, bool inherit_time);
static struct g *findrunnable(bool *inherit_time);
static void stoplockedm(void);
static void startlockedm(struct g *gp);
static void finish_switch(struct m *mp);

/* Once every GLOBRUNQ_TICK schedticks the global queue goes before the
 * local one, so Gs queued there (by foreign threads, yields, overflowing
 * local queues) cannot starve behind two Gs that keep readying each other
 * on one P.  61, Go's value: prime, so it does not fall into step with a
 * program's own periods. */
#define GLOBRUNQ_TICK 61

/* Fake tids (see mn_tcb_setup) run from FAKE_TID_MIN to FAKE_TID_END:
 * above PID_MAX_LIMIT (4194304: no real thread can have one), below
 * FUTEX_TID_MASK (0x3fffffff: a robust or PI mutex stores its owner's tid
 * in those bits), with room for a batch at the end. */
#define FAKE_TID_MIN MN_FAKE_TID_MIN
#define FAKE_TID_END MN_FAKE_TID_END

/* ------------------------------------------------------------ start-up */

/* Context: the main thread (or the first thread to call in), once. */
int mn_schedinit(void)
{
	arch_init();
	mn_cputime_init();
	mn_env_init();
	mn_stack_init();
	const char *why = mn_tcb_init();
	if (why) {
		mn_printf("mnthread: %s; threads run 1:1 as native glibc threads\n", why);
		return -ENOTSUP;
	}
	/* The slack the program's threads have: the initial thread's. */
	mn_sched.timerslack = mn_sys6(SYS_prctl, PR_GET_TIMERSLACK, 0, 0, 0, 0, 0);
	mn_sched.nprocs = mn_env.procs;
	mn_sched.maxmcount = mn_env.maxthreads;
	/* seq_cst default, but nothing to order: start-up, no other thread yet */
	atomic_store(&mn_sched.tidgen, FAKE_TID_MIN);
	mn_sched.allp = calloc((size_t)mn_sched.nprocs, sizeof *mn_sched.allp);
	struct p *ps = calloc((size_t)mn_sched.nprocs, sizeof(struct p));
	if (!mn_sched.allp || !ps)
		return -ENOMEM;
	mn_lock(&mn_sched.lock); /* alone here, but pidleput's contract */
	for (int i = mn_sched.nprocs - 1; i >= 0; i--) {
		struct p *pp = &ps[i];
		/* relaxed: start-up, no other thread yet */
		atomic_store_explicit(&mn_sched.allp[i], pp, memory_order_relaxed);
		pp->id = i;
		mn_pidleput(pp);
	}
	mn_unlock(&mn_sched.lock);
	mn_signal_init();
	mn_sysmon_init();
	mn_kprops_init();
	return 0;
}

/* Make the calling main thread the main G, running on a new M0 and
 * holding a P; locked to M0 only with MN_DEBUG=lockmain=1. */
struct g *mn_main_attach(void)
{
	static struct g maing;
	struct g *gp = &maing;
	uintptr_t tp = arch_get_fsbase();
	struct m *mp = mn_m0_setup();
	/* M0's g0 needs its own stack and TCB: the process stack and the
	 * original TCB are the main G's.  A G-shaped allocation gives both. */
	struct mn_stack_req req = { .stacksize = MN_G0_STACK_SIZE, .guardsize = mn_pagesize };
	struct g *g0mem = mn_gfget(NULL, &req);
	if (!g0mem)
		mn_throw("main_attach: cannot allocate M0's scheduler stack");
	g0mem->flags = G_G0;
	g0mem->m = mp;
	g0mem->fake_tid = mp->tid;
	mn_tcb_setup(g0mem->tcb, &mp->g0);
	mp->g0.tcb = g0mem->tcb;
	mp->g0.stack = g0mem->stack;
	mp->g0.ctx.fsbase = g0mem->tcb;
	arch_make_ctx(&mp->g0.ctx, (void *)g0mem->stack.hi, NULL, g0mem->tcb);
	/* g0 of M0 starts in mn_gentry with gp == NULL: see there. */

	gp->magic = G_MAGIC;
	gp->flags = G_MAIN;
	/* what the kernel says (chrt, nice before exec), not SCHED_OTHER */
	mn_kprops_default_sched(&gp->schedpolicy, &gp->schedprio);
	mn_sched.maing = gp;
	/* only uniqueness matters, which the RMW gives in any order */
	gp->goid = atomic_fetch_add(&mn_sched.goidgen, 1) + 1;
	gp->tcb = tp;
	gp->ctx.fsbase = tp;
	gp->m = mp;
	gp->status = G_RUNNING;
	if (mn_env.lockmain) {
		gp->lockedm = mp;
		mp->lockedg = gp;
	} else {
		mn_sched.mainfree_pending = true; /* gsig.c: mn_gsig_main_free */
	}
	mn_cputime_attach_main(gp);
	mp->curg = gp;
	mn_tls_g = gp;
	/* a count; the RMW keeps it exact in any order */
	atomic_fetch_add(&mn_sched.ngalive, 1);
	mn_lock(&mn_sched.lock);
	struct p *pp = mn_pidleget();
	mn_unlock(&mn_sched.lock);
	mn_acquirep(pp);
	return gp;
}

/* ------------------------------------------------------------ G creation */

/* goids and fake tids a P takes from the shared counters at a time (Go's
 * goidcache batch, 16): one atomic add on a contended line per 16
 * creates, and few ids lost when a P goes idle. */
#define ID_BATCH 16

/* n consecutive fake tids, from FAKE_TID_MIN to FAKE_TID_END. */
static int new_tids(int n)
{
	/* relaxed: only uniqueness matters, which the RMW gives */
	int tid = atomic_fetch_add_explicit(&mn_sched.tidgen, n, memory_order_relaxed);
	if (tid + n > FAKE_TID_END) { /* ran past the range: start again */
		/* a reset of the counter, ordered with nothing else */
		atomic_store(&mn_sched.tidgen, FAKE_TID_MIN + n);
		tid = FAKE_TID_MIN;
	}
	return tid;
}

struct g *mn_newproc(void *(*fn)(void *), void *arg, const struct mn_stack_req *req, int *err)
{
	struct g *cur = mn_getg();
	struct p *pp = cur && cur->m ? cur->m->p : NULL;
	/* MN_MAXGS: EAGAIN, as glibc's for a thread the system cannot have,
	 * rather than memory run out.  relaxed: a count; creators racing
	 * past the limit together overshoot it by a few. */
	if (__builtin_expect(atomic_load_explicit(&mn_sched.ngalive, memory_order_relaxed) >= mn_env.maxgs, 0)) {
		*err = -EAGAIN;
		return NULL;
	}
	struct g *gp = mn_gfget(pp, req);
	if (!gp) {
		*err = -EAGAIN;
		return NULL;
	}
	mn_sysmon_start();
	gp->startfn = fn;
	gp->arg = arg;
	gp->result = NULL;
	gp->clear_tid_set = false;
	if (pp) {
		if (pp->goidcache == pp->goidcacheend) {
			/* relaxed: only uniqueness matters, which the RMW gives */
			pp->goidcache = atomic_fetch_add_explicit(&mn_sched.goidgen, ID_BATCH,
								  memory_order_relaxed) + 1;
			pp->goidcacheend = pp->goidcache + ID_BATCH;
		}
		gp->goid = pp->goidcache++;
		if (pp->tidcache == pp->tidcacheend) {
			pp->tidcache = new_tids(ID_BATCH);
			pp->tidcacheend = pp->tidcache + ID_BATCH;
		}
		gp->fake_tid = pp->tidcache++;
	} else {
		/* relaxed: only uniqueness matters */
		gp->goid = atomic_fetch_add_explicit(&mn_sched.goidgen, 1, memory_order_relaxed) + 1;
		gp->fake_tid = new_tids(1);
	}
	arch_make_ctx(&gp->ctx, (void *)gp->stack.hi, gp, gp->tcb);
	/* MN_DEBUG=lockthreads=1: an OS thread of its own, from its first run */
	if (__builtin_expect(mn_env.lockthreads, 0))
		/* relaxed: published with gp by the queue it is put on */
		atomic_store_explicit(&gp->kpending, KP_LOCK, memory_order_relaxed);
	return gp;
}

/* gp on the global queue, and an M with a P to look: for a G our M
 * cannot run itself (its P is an orphan about to be retired). */
static void globrunqput_wake(struct g *gp)
{
	mn_lock(&mn_sched.lock);
	mn_globrunqput(gp);
	mn_unlock(&mn_sched.lock);
	mn_wakep();
}

/* Make gp runnable and make sure an M will look.  With a P, in its
 * runnext when next (a hand-off from the running G: it runs next, in the
 * readier's time slice), else behind its local queue; without a P, on the
 * global queue.  Context: any (G, g0 with or without P, foreign). */
static inline void ready(struct g *gp, uint32_t from, bool next)
{
	/* relaxed: published with gp by runqput's release store or sched.lock */
	mn_gstatus(gp, from, G_RUNNABLE, memory_order_relaxed);
	struct g *cur = mn_getg();
	struct p *pp = cur && cur->m ? cur->m->p : NULL;
	if (pp && !mn_p_orphaned(pp)) {
		/* The slice is over (sysmon flagged it): a hand-off would keep
		 * the P inside one chain of Gs; queue behind the others. */
		/* relaxed: a hint */
		if (next && atomic_load_explicit(&pp->preempt, memory_order_relaxed))
			next = false;
		mn_runqput(pp, gp, next);
	} else {
		/* No P, or an orphan nobody else looks at: the global queue. */
		mn_lock(&mn_sched.lock);
		mn_globrunqput(gp);
		mn_unlock(&mn_sched.lock);
	}
	mn_wakep();
}

/* Make a G from mn_newproc runnable, after the caller filled its fields. */
void mn_newproc_start(struct g *gp)
{
	mn_tcb_setup(gp->tcb, gp);
	/* relaxed: a count; the RMW keeps it exact */
	int64_t live = atomic_fetch_add_explicit(&mn_sched.ngalive, 1, memory_order_relaxed) + 1;
	mn_stat_created(live);
	ready(gp, G_IDLE, true);
}

/* First Go-level frame of every G (called by mn_arch_gstart).  gp is NULL
 * for M0's g0, which enters the scheduler here. */
void mn_gentry(struct g *gp)
{
	if (gp == NULL) {
		struct m *mp = mn_getm();
		mn_tls_g = &mp->g0;
		finish_switch(mp);
		mn_schedule();
	}
	finish_switch(mn_getm()); /* a G started by a direct switch */
	mn_tcb_start(gp);
	if (__builtin_expect(gp->kstart != NULL, 0)) {
		/* started on its own OS thread: its creator may go on */
		_Atomic uint32_t *w = gp->kstart;
		gp->kstart = NULL;
		/* release: our start before the creator's return */
		atomic_store_explicit(w, 0, memory_order_release);
		mn_sema_wake(w, 1);
	}
	/* glibc's pthread_exit unwinds to here through cleanup_jmp_buf, the
	 * way it unwinds to its own start_thread. */
	__pthread_unwind_buf_t ub;
	memset(&ub, 0, sizeof ub);
	void **jb = mn_tcb_field(gp->tcb, TCBF_CLEANUP_JMP_BUF);
	/* The unwind buffer holds only the jmp_buf prefix _setjmp uses (it
	 * never saves the signal mask), exactly as glibc's start_thread. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
	int first = _setjmp((struct __jmp_buf_tag *)(void *)ub.__cancel_jmp_buf) == 0;
#pragma GCC diagnostic pop
	if (first) {
		*jb = &ub;
		if (gp->flags & G_STARTINT) /* C11 thrd_start_t returns int */
			gp->result = (void *)(intptr_t)((int (*)(void *))(void *)gp->startfn)(gp->arg);
		else
			gp->result = gp->startfn(gp->arg);
	} else {
		gp->result = *(void **)mn_tcb_field(gp->tcb, TCBF_RESULT);
	}
	*jb = NULL;
	mn_goexit();
}

/* ------------------------------------------------------------ switching */

/* The G to switch to directly from a G that is leaving, skipping g0: the
 * head of the local queue (runnext first), when nothing on g0's list
 * (locked Ms, the global-queue fairness tick, due timers) needs the
 * scheduler loop.  Halves the cost of every hand-off. */
static bool may_switch_direct(struct m *mp, struct g *gp)
{
	struct p *pp = mp->p;
	if (mp->lockedg || gp->lockedm || pp == NULL || mn_p_orphaned(pp) || mn_sched.mainfree_pending)
		return false;
	/* The global-queue fairness tick is schedule()'s: let it see it. */
	/* relaxed: a hint; the queue itself is read under sched.lock */
	if (pp->schedtick % GLOBRUNQ_TICK == 0 && atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed))
		return false;
	int64_t t = mn_timers_next();
	return !(t && t <= mn_nanotime());
}

static struct g *direct_next(struct m *mp, struct g *gp)
{
	struct p *pp = mp->p;
	if (!may_switch_direct(mp, gp))
		return NULL;
	bool inherit;
	struct g *next = mn_runqget(pp, &inherit);
	if (next == NULL)
		return NULL;
	/* relaxed: a hint; execute takes the bits with an acquire */
	if (next->lockedm || atomic_load_explicit(&next->kpending, memory_order_relaxed)) {
		mn_runqput(pp, next, true); /* g0 hands it to its M, or locks it */
		return NULL;
	}
	if (!inherit)
		pp->schedtick++;
	pp->nswitch++;
	return next;
}

static void gswitch(struct g *gp, int pending)
{
	struct m *mp = gp->m;
	mp->pending = pending;
	mp->pendingg = gp;
	struct g *next = direct_next(mp, gp);
	if (next) {
		mp->curg = next;
		next->m = mp;
		/* relaxed: a running G's status is its M's; others only check it */
		mn_gstatus(next, G_RUNNABLE, G_RUNNING, memory_order_relaxed);
		mn_sigpipe_sync(mp, next);
		mn_cputime_switch(mp, gp, next);
		mn_arch_switch(&gp->ctx, &next->ctx);
	} else {
		mn_cputime_gstop(mp, gp);
		mn_arch_switch(&gp->ctx, &mp->g0.ctx);
	}
	/* Resumed, perhaps on another M, by execute() or by another G's
	 * gswitch; finish what the G that ran before us on this M left. */
	finish_switch(mn_getm());
}

void mn_gopark(bool (*unlockf)(struct g *, void *), void *arg, const char *reason)
{
	struct g *gp = mn_getg();
	if (!mn_is_g())
		mn_throw("gopark: not on a G");
	gp->unlockf = unlockf;
	gp->unlockarg = arg;
	gp->waitreason = reason;
	gp->waitsince = mn_cputick(); /* dumps: one counter read, no clock call */
	gswitch(gp, PEND_PARK);
}

/* Ready a G in G_WAITING (next: see ready).  Context: any (G, g0 with or
 * without P, foreign). */
static void goready(struct g *gp, bool next)
{
	/* One waker per park (whoever took the waiter off its list, or won
	 * waitsel), so no CAS: the check only catches runtime bugs. */
	/* acquire: pairs with the release store of G_WAITING in finish_switch */
	if (atomic_load_explicit(&gp->status, memory_order_acquire) != G_WAITING)
		mn_throw("goready: G is not waiting");
	ready(gp, G_WAITING, next);
}

void mn_goready(struct g *gp) { goready(gp, true); }

/* A wake-up that is no hand-off (a time-out): the G queues behind the
 * runnable ones.  In runnext, a thread whose short timed wait keeps
 * expiring would run before them on every round, for ever: with one P,
 * a locked main thread in a sem_timedwait loop starved the poster. */
void mn_goready_tail(struct g *gp) { goready(gp, false); }

/* A timer's wake-up while the global queue holds more than a few Gs per
 * P (an overloaded program: 10,000 threads sleeping 1 ms on 2 Ps): the G
 * queues behind all of them.  In runnext or a local queue, the Gs that a
 * P's timers keep waking ran again and again while the global queue,
 * drained one G per 61 turns, starved (a thread woke once in 12 s). */
#define OVERLOAD_PER_P 4
bool mn_goready_overloaded(struct g *gp)
{
	/* relaxed: a hint; the queue itself is read under sched.lock */
	if (atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed) < OVERLOAD_PER_P * mn_sched.nprocs)
		return false;
	/* acquire: pairs with the release store of G_WAITING in finish_switch */
	if (atomic_load_explicit(&gp->status, memory_order_acquire) != G_WAITING)
		mn_throw("goready: G is not waiting");
	/* relaxed: published with gp by sched.lock */
	mn_gstatus(gp, G_WAITING, G_RUNNABLE, memory_order_relaxed);
	globrunqput_wake(gp);
	return true;
}

/* exitsyscall found no idle P: switch to g0 (the M has no P, so no direct
 * switch), which queues gp and waits for a P. */
void mn_gswitch_exitsyscall(struct g *gp)
{
	struct m *mp = gp->m;
	mp->pending = PEND_EXITSYSCALL;
	mp->pendingg = gp;
	mn_arch_switch(&gp->ctx, &mp->g0.ctx);
	finish_switch(mn_getm());
}

void mn_gosched(void)
{
	struct g *gp = mn_getg();
	if (!mn_is_g())
		return;
	struct m *mp = gp->m;
	/* Nothing else to run anywhere: keep running (a yield then costs a few
	 * loads, like sched_yield on an idle CPU).  A due timer counts as
	 * something to run: while every P runs a thread that yields in a
	 * loop (waiting for a sleeper to set a flag, a spin lock), no idle M
	 * is left to fire it: schedule() on g0 runs it, and the G it readies
	 * goes before us. */
	/* relaxed: a hint; the queue itself is read under sched.lock */
	if (mp->p && mn_runqempty(mp->p) &&
	    atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed) == 0 && !mp->lockedg) {
		int64_t t = mn_timers_next();
		if (t == 0 || t > mn_nanotime()) {
			/* A signal for us: a G that spins on yields inside the
			 * runtime (a spin lock) runs its handler here. */
			if (__builtin_expect(mn_gsig_deliverable(gp) != 0, 0))
				mn_gsig_deliver();
			return;
		}
	}
	gswitch(gp, PEND_YIELD);
	if (mn_gsig_deliverable(gp))
		mn_gsig_deliver();
}

void mn_gpreempt(void)
{
	struct g *gp = mn_getg();
	gswitch(gp, PEND_PREEMPT);
}

void mn_goexit(void)
{
	struct g *gp = mn_getg();
	mn_gsig_exit_drain(gp);
	mn_tcb_exit(gp);
	/* relaxed: our own pending set; a late sender's bit is dropped with it */
	if (atomic_load_explicit(&gp->sigpending, memory_order_relaxed))
		mn_gsig_exit(gp);
	if (gp->clear_tid_set && gp->clear_tid) {
		/* The kernel's exit of a thread: 0, then a shared wake of one. */
		/* release: the thread's writes before the 0 its waiter acquires, as the kernel's
		 * exit */
		atomic_store_explicit(gp->clear_tid, 0, memory_order_release);
		mn_sys6(SYS_futex, (long)gp->clear_tid, FUTEX_WAKE, 1, 0, 0, 0);
	}
	struct m *mp = gp->m;
	struct g *j;
	if (!(gp->flags & G_MAIN) && may_switch_direct(mp, gp) && (j = mn_gexit_joiner(gp)) != NULL) {
		/* Straight to the G joining us: it finishes our exit
		 * (PEND_EXIT_JOINER) and collects us, with no trip through g0
		 * and the run queue. */
		mp->pending = PEND_EXIT_JOINER;
		mp->pendingg = gp;
		mp->curg = j;
		j->m = mp;
		mp->p->schedtick++;
		mp->p->nswitch++;
		/* relaxed: a running G's status is its M's; others only check it.
		 * The joiner is still parked (never readied): waiting -> running. */
		mn_gstatus(j, G_WAITING, G_RUNNING, memory_order_relaxed);
		mn_sigpipe_sync(mp, j);
		mn_cputime_switch(mp, gp, j);
		mn_arch_switch(&gp->ctx, &j->ctx);
		mn_throw("goexit: dead G resumed");
	}
	gswitch(gp, PEND_EXIT);
	mn_throw("goexit: dead G resumed");
}

/* Context: the first thing to run on this M after a switch: g0, or the
 * next G of a direct switch, holding the M's P (if any). */
static void finish_switch(struct m *mp)
{
	/* Main left M0 for the first time: before anyone can resume it
	 * elsewhere (PEND_PARK's unlockf, PEND_YIELD's queue), M0 stops
	 * being main's (no direct switch is made until then). */
	if (__builtin_expect(mn_sched.mainfree_pending, 0))
		mn_gsig_main_free();
	struct g *gp = mp->pendingg;
	int what = mp->pending;
	mp->pending = PEND_NONE;
	mp->pendingg = NULL;
	if (gp == NULL)
		return;
	if (mp->curg == gp)
		mp->curg = NULL;
	switch (what) {
	case PEND_PARK: {
		/* Once unlockf publishes the wait, a waker on another M may
		 * ready and run gp at once: touch nothing of gp after it. */
		bool (*unlockf)(struct g *, void *) = gp->unlockf;
		void *arg = gp->unlockarg;
		gp->unlockf = NULL;
		/* release: the saved context before the state; pairs with mn_goready's acquire */
		mn_gstatus(gp, G_RUNNING, G_WAITING, memory_order_release);
		if (unlockf && !unlockf(gp, arg)) {
			/* The wait is already over: run it again at once. */
			/* relaxed: published with gp by runqput's release store or sched.lock */
			mn_gstatus(gp, G_WAITING, G_RUNNABLE, memory_order_relaxed);
			if (mn_p_orphaned(mp->p))
				globrunqput_wake(gp);
			else
				mn_runqput(mp->p, gp, true);
		}
		break;
	}
	case PEND_YIELD:
	case PEND_PREEMPT: {
		/* relaxed: published with gp by runqput's release store or sched.lock */
		mn_gstatus(gp, G_RUNNING, G_RUNNABLE, memory_order_relaxed);
		/* A yield goes behind the local queue when nothing waits globally
		 * (no lock; thieves still balance it), else behind the global
		 * queue, so that yielding threads take turns with every runnable
		 * one.  A preempted G always goes to the global queue, which
		 * every P drains (Go's preemption), and its slice is over: what
		 * the next G readies goes to runnext again.  A locked G goes
		 * behind its P's queue either way (g0 hands it to its M). */
		bool preempted = what == PEND_PREEMPT;
		if (preempted)
			/* relaxed: the owner's flag */
			atomic_store_explicit(&mp->p->preempt, false, memory_order_relaxed);
		/* relaxed: a hint; the queue itself is read under sched.lock (a stale value only
		 * picks the other queue) */
		if (mn_p_orphaned(mp->p)) {
			/* Our M is about to retire the orphan and stop: another M must look. */
			globrunqput_wake(gp);
		} else if (gp->lockedm ||
			   (!preempted && atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed) == 0)) {
			mn_runqput(mp->p, gp, false);
		} else {
			mn_lock(&mn_sched.lock);
			mn_globrunqput(gp);
			mn_unlock(&mn_sched.lock);
		}
		break;
	}
	case PEND_EXITSYSCALL:
		/* relaxed: published with gp by runqput's release store or sched.lock */
		mn_gstatus(gp, G_SYSCALL, G_RUNNABLE, memory_order_relaxed);
		mn_lock(&mn_sched.lock);
		mn_globrunqput(gp);
		mn_unlock(&mn_sched.lock);
		mn_wakep(); /* a P may have gone idle since exitsyscall looked */
		if (!mp->lockedg)
			mn_stopm(); /* returns holding a P; schedule() goes on */
		/* a locked M waits in stoplockedm for its G to be handed back */
		break;
	case PEND_EXIT:
		/* A G with kernel state of its own leaves its M clean and free. */
		if (gp->lockedm && !(gp->flags & G_MAIN))
			mn_kprops_exit(mp, gp);
		/* release: the exit's writes (result) before G_DEAD; pairs with the acquire loads
		 * in shims/thread.c */
		mn_gstatus(gp, G_RUNNING, G_DEAD, memory_order_release);
		mn_gexit_finish(gp);
		if (__builtin_expect(mp->tainted, 0))
			mn_mexit(mp); /* its OS thread goes with it */
		break;
	case PEND_EXIT_JOINER:
		/* release: the exit's writes (result) before G_DEAD; pairs with the acquire loads
		 * in shims/thread.c */
		mn_gstatus(gp, G_RUNNING, G_DEAD, memory_order_release);
		mn_gexit_finish_joined(gp, mp->curg);
		break;
	default:
		break;
	}
	/* The lock a G parked under was released by its unlockf. */
	if (config_debug)
		mn_lockrank_assert_none("finish_switch: a runtime lock held across a switch");
	if (__builtin_expect(mn_sched.mainfree_rest, 0) && mp->id == 0)
		mn_gsig_main_free_rest();
}

/* ------------------------------------------------------------ the loop */

static void execute(struct g *gp, bool inherit_time)
{
	struct m *mp = mn_getm();
	mp->curg = gp;
	gp->m = mp;
	/* relaxed: a running G's status is its M's; others only check it */
	mn_gstatus(gp, G_RUNNABLE, G_RUNNING, memory_order_relaxed);
	mp->p->nswitch++;
	if (!inherit_time) {
		mp->p->schedtick++;
		/* relaxed: a hint; a stale flag costs one early or late yield */
		atomic_store_explicit(&mp->p->preempt, false, memory_order_relaxed);
	}
	if (config_debug)
		mn_lockrank_assert_none("execute: switching to a G while holding a runtime lock");
	/* relaxed: a hint; mn_kprops_run takes the bits with an acquire */
	if (__builtin_expect(atomic_load_explicit(&gp->kpending, memory_order_relaxed) != 0, 0))
		mn_kprops_run(mp, gp); /* its kernel state, on this M, locked to it */
	mn_sigpipe_sync(mp, gp);
	mn_cputime_gstart(mp, gp);
	mn_arch_switch(&mp->g0.ctx, &gp->ctx);
	finish_switch(mn_getm());
}

static void resetspinning(struct m *mp)
{
	/* relaxed: spinning is read by its own M only (startm sets it before the notewakeup that
	 * publishes it) */
	atomic_store_explicit(&mp->spinning, false, memory_order_relaxed);
	/* acq_rel (a full barrier on x86): pairs with wakep's CAS from 0; either it sees us
	 * spinning, or our later look at the queues sees its G */
	if (atomic_fetch_sub_explicit(&mn_sched.nmspinning, 1, memory_order_acq_rel) <= 0)
		mn_throw("resetspinning: negative nmspinning");
	/* We found work; there may be more: keep one M looking. */
	mn_wakep();
}

void mn_schedule(void)
{
	struct m *mp = mn_getm();
	MN_ASSERT_G0("schedule");
	for (;;) {
		if (__builtin_expect(mp->altlent, 0)) {
			/* A G's handler parked while its sigaltstack was on this M. */
			mn_sys6(SYS_sigaltstack, (long)&mp->altstack, 0, 0, 0, 0, 0);
			mp->altlent = false;
		}
		if (mp->lockedg) {
			stoplockedm();
			execute(mp->lockedg, false);
			continue;
		}
		struct p *pp = mp->p;
		if (mn_p_orphaned(pp)) {
			/* sysmon gave our P's place away while we were blocked:
			 * retire the orphan, wait for a real P. */
			mn_releasep();
			mn_stopm();
			continue;
		}
		struct g *gp = NULL;
		bool inherit_time = false;
		if (mn_timers_next())
			mn_timers_run(mn_nanotime());
		/* Not before a G in runnext: that is a hand-off or a woken
		 * sleeper, which runs in the current slice; a chain of them is
		 * broken by sysmon's preempt flag once the slice is over (ready
		 * then queues behind the others). */
		/* relaxed: hints; the queue itself is read under sched.lock */
		if (pp->schedtick % GLOBRUNQ_TICK == 0 && atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed) > 0 &&
		    atomic_load_explicit(&pp->runnext, memory_order_relaxed) == NULL) {
			mn_lock(&mn_sched.lock);
			gp = mn_globrunqget(pp, 1);
			mn_unlock(&mn_sched.lock);
		}
		if (!gp)
			gp = mn_runqget(pp, &inherit_time);
		if (!gp)
			gp = findrunnable(&inherit_time);
		/* relaxed: our own M's flag */
		if (atomic_load_explicit(&mp->spinning, memory_order_relaxed))
			resetspinning(mp);
		if (gp->lockedm && gp->lockedm != mp) {
			startlockedm(gp);
			continue;
		}
		execute(gp, inherit_time);
	}
}

/* How long a spinning M that found nothing keeps looking, in ns: about
 * the cost of one futex sleep and wake-up, so spinning never costs more
 * than the sleep it may save. */
#define SPIN_POLL_NS 50000
/* The nap between two looks at the queues (2 us: short against a hand-off,
 * long enough that the busy Ps' cache lines are not pulled constantly). */
#define SPIN_NAP_NS 2000
/* How long a G must sit in a busy P's runnext before a spinning M counts it
 * as work (3 us: longer than the owner's own hand-off to it takes). */
#define RUNNEXT_STALE_NS 3000
/* Steal rounds over every P before giving up (Go's 4); only the last one
 * also takes runnext. */
#define STEAL_ROUNDS 4

/* Poll, for SPIN_POLL_NS, for work another M could take: the global
 * queue, a P's queue, a due timer, or a G that has sat in a busy P's
 * runnext for 3 us (a fresh runnext is its owner's next hand-off; counting
 * it would keep us spinning as long as a ping-pong runs).  The queues are
 * read every 2 us or so: polling the busy Ps' lines continuously would
 * slow their owners.  Returns true when there is work to look at. */
static bool spin_poll(struct p *self)
{
	int n = mn_sched.nprocs;
	uint32_t seen[n]; /* runnextgen when a runnext was first seen */
	int64_t seen_at[n];
	int64_t now = mn_nanotime(), until = now + SPIN_POLL_NS;
	for (int i = 0; i < n; i++) {
		/* relaxed: hints; a steal re-reads with acquire */
		seen[i] = atomic_load_explicit(&mn_allp(i)->runnextgen, memory_order_relaxed);
		seen_at[i] = now;
	}
	do {
		/* Sleep about 2 us between looks (with a 1 us timer slack:
		 * spin_poll_slack): a pause loop here slows the busy CPUs down, which on
		 * this kind of machine may be hyperthreads of ours. */
		struct timespec nap = { 0, SPIN_NAP_NS };
		mn_sys6(SYS_nanosleep, (long)&nap, 0, 0, 0, 0, 0);
		now = mn_nanotime();
		/* relaxed: a hint; the queue itself is read under sched.lock or by a steal */
		if (atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed) != 0)
			return true;
		for (int i = 0; i < n; i++) {
			struct p *pp = mn_allp(i);
			if (pp == self)
				continue;
			/* relaxed: hints; runqsteal re-reads head and tail with acquire */
			if (atomic_load_explicit(&pp->runqhead, memory_order_relaxed) !=
			    atomic_load_explicit(&pp->runqtail, memory_order_relaxed))
				return true;
			/* relaxed: hints; runqgrab takes runnext with an acq_rel CAS */
			struct g *next = atomic_load_explicit(&pp->runnext, memory_order_relaxed);
			uint32_t gen = atomic_load_explicit(&pp->runnextgen, memory_order_relaxed);
			if (next == NULL || gen != seen[i]) {
				seen[i] = gen;
				seen_at[i] = now;
			} else if (now - seen_at[i] >= RUNNEXT_STALE_NS) {
				return true;
			}
		}
		int64_t t = mn_timers_next_all();
		if (t && t <= now)
			return true;
	} while (now < until);
	return false;
}

/* Timer slack is per OS thread, and the program sees it on the thread that
 * runs it and inherits it in the threads and children it makes, so Ms keep
 * the one the program's threads have (mn_sched.timerslack).  Only
 * spin_poll's naps want a short one (1 us: a default 50 us slack turns a
 * 2 us nap into 50): they take it for their while and put it back. */
#define SPIN_TIMERSLACK_NS 1000
static bool spin_poll_slack(struct p *self)
{
	mn_sys6(SYS_prctl, PR_SET_TIMERSLACK, SPIN_TIMERSLACK_NS, 0, 0, 0, 0);
	bool found = spin_poll(self);
	mn_sys6(SYS_prctl, PR_SET_TIMERSLACK, mn_sched.timerslack, 0, 0, 0, 0);
	return found;
}

/* A blocking poll by an M with nothing to run: idle for its CPU rate
 * (cputime.h). */
static bool idle_netpoll(struct m *mp, int64_t until, struct g **list)
{
	mn_cputime_midle(mp, mn_cputick());
	bool r = mn_netpoll(until, list);
	mn_cputime_mbusy(mp, mn_cputick());
	return r;
}

/* Find a G to run, stopping the M until there is one.  Context: g0. */
static struct g *findrunnable(bool *inherit_time)
{
	struct m *mp = mn_getm();
	MN_ASSERT_G0("findrunnable");
top:;
	struct p *pp = mp->p;
	if (mn_timers_next_all())
		mn_timers_run_all(mn_nanotime());
	struct g *gp = mn_runqget(pp, inherit_time);
	if (gp)
		return gp;
	/* relaxed: a hint; the queue itself is read under sched.lock */
	if (atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed) != 0) {
		mn_lock(&mn_sched.lock);
		gp = mn_globrunqget(pp, 0);
		mn_unlock(&mn_sched.lock);
		if (gp) {
			*inherit_time = false;
			return gp;
		}
	}
	/* Descriptors that became ready (nobody blocks in the poll: it
	 * returns at once). */
	if (mn_netpoll_fdwaiters() > 0) {
		struct g *list;
		if (mn_netpoll(0, &list) && list) {
			mn_netpoll_inject(list);
			goto top;
		}
	}
	/* Steal, limiting spinning Ms to half the busy Ps. */
	int nprocs = mn_sched.nprocs;
	/* relaxed: our own flag, and counts that only bound how many Ms spin */
	if (atomic_load_explicit(&mp->spinning, memory_order_relaxed) ||
	    2 * atomic_load_explicit(&mn_sched.nmspinning, memory_order_relaxed) <
		    nprocs - atomic_load_explicit(&mn_sched.npidle, memory_order_relaxed)) {
		/* relaxed: our own M's flag */
		if (!atomic_load_explicit(&mp->spinning, memory_order_relaxed)) {
			/* relaxed: our own M's flag; nmspinning is the shared count */
			atomic_store_explicit(&mp->spinning, true, memory_order_relaxed);
			/* acq_rel: like every nmspinning RMW; pairs with wakep's CAS */
			atomic_fetch_add_explicit(&mn_sched.nmspinning, 1, memory_order_acq_rel);
		}
		for (int round = 0; round < STEAL_ROUNDS; round++) {
			uint32_t start = mn_fastrand();
			for (int i = 0; i < nprocs; i++) {
				struct p *victim = mn_allp((int)((start + (uint32_t)i) % (uint32_t)nprocs));
				if (victim == pp)
					continue;
				gp = mn_runqsteal(pp, victim, round == STEAL_ROUNDS - 1);
				if (gp) {
					pp->nsteal++;
					*inherit_time = false;
					return gp;
				}
			}
		}
		/* Stay spinning a while before giving the P up.  While an M
		 * spins, wakep wakes nobody, so a G readying another every few
		 * hundred nanoseconds (a hand-off pair, a creating loop) costs
		 * one futex wake per spin period instead of one per ready.  Go
		 * gets the same damping from the usleep in its runnext steal. */
		if (spin_poll_slack(pp))
			goto top;
	}
	/* Nothing: give up the P, then look once more (a G readied between our
	 * checks and pidleput would otherwise wait for the next wakep). */
	mn_lock(&mn_sched.lock);
	/* relaxed: a hint; the queue itself is read under sched.lock */
	if (atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed) != 0) {
		gp = mn_globrunqget(pp, 0);
		mn_unlock(&mn_sched.lock);
		*inherit_time = false;
		return gp;
	}
	if (mn_releasep_locked()) /* NULL: an orphan, retired */
		mn_pidleput(pp);
	mn_unlock(&mn_sched.lock);
	/* relaxed: our own M's flag */
	bool was_spinning = atomic_load_explicit(&mp->spinning, memory_order_relaxed);
	if (was_spinning) {
		/* relaxed: spinning is read by its own M only (startm sets it before the notewakeup
		 * that publishes it) */
		atomic_store_explicit(&mp->spinning, false, memory_order_relaxed);
		/* acq_rel (a full barrier on x86): pairs with wakep's CAS from 0; either it sees us
		 * spinning, or our later look at the queues sees its G */
		if (atomic_fetch_sub_explicit(&mn_sched.nmspinning, 1, memory_order_acq_rel) <= 0)
			mn_throw("findrunnable: negative nmspinning");
	}
	for (int i = 0; i < nprocs; i++) {
		/* relaxed: a hint; the queue itself is read under sched.lock */
		if (!mn_runqempty(mn_allp(i)) ||
		    atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed) != 0) {
			mn_lock(&mn_sched.lock);
			struct p *np = mn_pidleget();
			mn_unlock(&mn_sched.lock);
			if (np) {
				mn_acquirep(np);
				if (was_spinning) {
					/* relaxed: our own M's flag; nmspinning is the shared count */
					atomic_store_explicit(&mp->spinning, true, memory_order_relaxed);
					/* acq_rel: like every nmspinning RMW; pairs with wakep's
					 * CAS */
					atomic_fetch_add_explicit(&mn_sched.nmspinning, 1, memory_order_acq_rel);
				}
				goto top;
			}
			break;
		}
	}
	/* Sleep until handed a P, or until the next timer is due: in the
	 * netpoller when Gs wait on descriptors and nobody else blocks there
	 * (then with a P, if one is idle, for what it readied), else on our
	 * note. */
	bool no_p = false;
	for (;;) {
		int64_t next = mn_timers_next_all();
		struct g *list;
		/* After a poll that found no idle P, poll on without the timers:
		 * the busy Ps' Ms run those, and an M that goes idle sleeps until
		 * them (a due timer would make this a spin).  The poller must not
		 * leave the netpoll to nobody while Gs wait there. */
		int64_t until = next && !(no_p && next <= mn_nanotime()) ? next : -1;
		if (mn_netpoll_waiters() > 0 && idle_netpoll(mp, until, &list)) {
			mn_lock(&mn_sched.lock);
			struct p *np = mn_pidleget();
			mn_unlock(&mn_sched.lock);
			if (np) {
				mn_acquirep(np);
				mn_netpoll_inject(list);
				goto top;
			}
			mn_netpoll_inject(list); /* no P: the global queue, and wakep */
			no_p = true;
			continue;
		}
		mn_lock(&mn_sched.lock);
		mn_mput(mp);
		mn_unlock(&mn_sched.lock);
		mn_cputime_midle(mp, mn_cputick());
		bool woken = mn_notetsleep(&mp->park, next);
		mn_cputime_mbusy(mp, mn_cputick());
		if (!woken) {
			mn_lock(&mn_sched.lock);
			if (mp->nextp == NULL) {
				/* Still on the idle list: take ourselves off it. */
				struct m **pm = &mn_sched.midle;
				while (*pm && *pm != mp)
					pm = &(*pm)->schedlink;
				if (*pm) {
					*pm = mp->schedlink;
					mn_sched.nmidle--;
				}
				struct p *np = mn_pidleget();
				mn_unlock(&mn_sched.lock);
				if (np) {
					mn_acquirep(np);
					goto top;
				}
				continue;
			}
			mn_unlock(&mn_sched.lock);
			mn_cputime_midle(mp, mn_cputick());
			mn_notesleep(&mp->park); /* the waker is on its way */
			mn_cputime_mbusy(mp, mn_cputick());
		}
		mn_noteclear(&mp->park);
		struct p *np = mp->nextp;
		mp->nextp = NULL;
		mn_acquirep(np);
		goto top;
	}
}

/* The locked G of this M parked: hand the P off and sleep until
 * startlockedm gives us a P to run it with.  Context: g0 of a locked M. */
static void stoplockedm(void)
{
	struct m *mp = mn_getm();
	MN_ASSERT(mn_on_g0() && mp->lockedg != NULL, "stoplockedm: not on the g0 of a locked M");
	if (mp->p) {
		struct p *pp = mn_releasep();
		if (pp)
			mn_handoffp(pp);
	}
	/* The process's signals arrive here (M0).  Natively a handler that
	 * runs while main waits in sem_wait makes it fail with EINTR: end
	 * main's wait the way a cancellation does, flagged. */
	for (;;) {
		mn_cputime_midle(mp, mn_cputick());
		bool woken = mn_notesleep_intr(&mp->park);
		mn_cputime_mbusy(mp, mn_cputick());
		if (woken)
			break;
		struct g *gp = mp->lockedg;
		/* seq_cst: before mn_sema_cancel's bucket lock; the G reads it (shims/sem.c) after
		 * it is readied */
		atomic_store_explicit(&gp->interrupted, true, memory_order_seq_cst);
		if (!mn_sema_cancel(gp))
			/* relaxed: no wait was ended, so nobody reads the flag set just above */
			atomic_store_explicit(&gp->interrupted, false, memory_order_relaxed);
	}
	mn_noteclear(&mp->park);
	struct p *pp = mp->nextp;
	mp->nextp = NULL;
	mn_acquirep(pp);
	/* acquire: a check; the note's wakeup (release) already ordered the hand-over */
	if (atomic_load_explicit(&mp->lockedg->status, memory_order_acquire) != G_RUNNABLE)
		mn_throw("stoplockedm: locked G not runnable");
}

/* gp is locked to another M: give it our P and wake it; then stop. */
static void startlockedm(struct g *gp)
{
	struct m *lm = gp->lockedm;
	struct p *pp = mn_releasep();
	if (pp == NULL) {
		/* Ours was an orphan: an M with a P will hand gp over. */
		mn_lock(&mn_sched.lock);
		mn_globrunqput(gp);
		mn_unlock(&mn_sched.lock);
		mn_wakep();
		mn_stopm();
		return;
	}
	if (lm->nextp)
		mn_throw("startlockedm: locked M already has a P");
	lm->nextp = pp;
	mn_notewakeup(&lm->park);
	mn_stopm();
}

/* The main G is gone (pthread_exit from main): M0 becomes an ordinary M.
 * Context: the main G, which never runs again. */
void mn_main_exited(void)
{
	struct g *gp = mn_getg();
	struct m *mp = gp->m;
	mp->lockedg = NULL;
	gp->lockedm = NULL;
	gswitch(gp, PEND_EXIT);
	mn_throw("main_exited: resumed");
}
