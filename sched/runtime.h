/* sched/runtime.h: the G, M and P structures, their states, and the
 * current G and M.  The vocabulary is the Go runtime's (proc.go,
 * runtime2.go); sched/proc.c opens with the design essay.  Each module's
 * functions are declared in its own header (proc.h, park.h, runq.h,
 * gfree.h, m.h, timer.h, syscall.h, signal.h, sysmon.h, throw.h,
 * cancel.h, fork.h, join.h, sema.h, tcb.h, stack.h, lock.h).
 *
 * Nothing here knows pthread_* names: shims/ builds POSIX on top of these
 * calls, preload/ interposes libc names onto shims/.
 */
#ifndef MN_RUNTIME_H
#define MN_RUNTIME_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include "config.h"
#include "arch/x86_64/arch.h"
#include "debug.h"
#include "lock.h"
#include "stack.h"

#define MN_HIDDEN __attribute__((visibility("hidden")))

/* ---------------------------------------------------------------- G */
/* G states.  Who owns the G in each state and who may move it:
 *  G_IDLE      on a free list; owned by that list's lock/P.  gfget -> G_RUNNABLE.
 *  G_RUNNABLE  in exactly one run queue (or runnext), or being handed to
 *              execute(); owned by that queue.  execute -> G_RUNNING.
 *  G_RUNNING   running on g->m; only that M touches it.  Leaves by gopark
 *              (-> G_WAITING), yield (-> G_RUNNABLE), entersyscall
 *              (-> G_SYSCALL), exit (-> G_DEAD).
 *  G_SYSCALL   in a call that may block in the kernel, between
 *              mn_entersyscall and mn_exitsyscall (syscall.c): the G itself
 *              owns it, running on its M with no P; only it moves itself
 *              back to G_RUNNING (exitsyscall), or to G_RUNNABLE when it
 *              finds no P (g0 queues it).
 *  G_WAITING   parked; owned by whatever it waits on (a sema queue, a
 *              timer, a joiner slot).  goready moves it -> G_RUNNABLE;
 *              the G it joins, exiting, may switch to it directly
 *              (-> G_RUNNING).
 * Debug builds check every move (mn_gstatus, below).
 *  G_DEAD      exited, stack no longer in use; owned by its joiner or the
 *              free list.
 */
enum { G_IDLE, G_RUNNABLE, G_RUNNING, G_SYSCALL, G_WAITING, G_DEAD };

#define G_MAGIC 0x6d6e2d4721ULL /* "mn-G!" : identifies a live struct g */

struct m;
struct p;

struct g;
struct mn_timer {
	int64_t when;                     /* CLOCK_MONOTONIC ns */
	void (*f)(struct mn_timer *);
	void *arg;
	int idx;                          /* heap index, -1 when not queued; its heap's lock */
	int heap;                         /* which heap (mn_timer_home), set by the owner */
	_Atomic int running;              /* callback in progress */
};

/* A G's timed park (park.c): the timer lives in the G, not on its stack,
 * and is tagged with the park's sequence number (see waitsel). */
struct mn_parktimer {
	struct mn_timer t;                /* t.arg: the G */
	bool (*unlockf)(struct g *, void *);
	void (*ontimeout)(struct g *, void *);
	void *arg;
	uint32_t seq;
	int64_t armed_at;                 /* when the park was armed (CLOCK_MONOTONIC ns) */
	/* A cancellable park (mn_gopark_cancel): pthread_cancel may end it
	 * (mn_park_cancel) once the wait is published, which the park
	 * announces by storing its seq in published. */
	bool cancellable;
	_Atomic uint32_t published;
};

struct g {
	struct gctx ctx;          /* owner: the G itself / the M switching it */
	uint64_t magic;           /* immutable after gfget: G_MAGIC */
	_Atomic uint32_t status;  /* see the table above */
	uint32_t flags;           /* G_MAIN, G_G0: immutable */
	uint64_t goid;            /* unique id, immutable while live */
	struct m *m;              /* owner: the running M */
	struct m *lockedm;        /* immutable while set: the only M that runs it */
	struct g *schedlink;      /* link in global runq and free lists */
	struct mn_stack stack;    /* immutable while live */
	uintptr_t tcb;            /* glibc thread pointer; immutable */
	int fake_tid;             /* tid stored in the TCB; unique among live Gs */
	/* set_tid_address from the G (its "clear_child_tid"), when
	 * clear_tid_set: cleared and futex-woken at its exit, as the kernel
	 * does for a thread.  Unset, it is the TCB's tid (ours to handle).
	 * Owner: the G. */
	_Atomic int *clear_tid;
	bool clear_tid_set;

	/* Start and result; owner: the G, then its joiner. */
	void *(*startfn)(void *);
	void *arg;
	void *result;
	bool recycled;            /* TCB came from the free list */

	/* Park: set by the parking G, used by g0 after the switch. */
	bool (*unlockf)(struct g *, void *);
	void *unlockarg;
	const char *waitreason;

	/* Timed park: waitsel is seq << 2 | state (0 none, 1 armed, 2 woken,
	 * 3 timed out); the timer and the waker race to CAS it from armed.
	 * parkseq survives recycling, so a late look at an old park never
	 * matches a new one. */
	_Atomic uint32_t waitsel;
	uint32_t parkseq;
	struct mn_parktimer ptimer;

	/* Thread-level state for shims/ (join, detach, name). */
	_Atomic uint64_t joinstate; /* join.h: JS_STATE, JS_WAITBY */
	struct g *joiner;         /* the G waiting in join, or NULL */
	struct g *reaped;         /* owner: this G; the G it joined, freed by its exit's direct switch */
	struct g *_Atomic joining;/* the G this one is in a cancellable join of (join.c) */
	/* The address of this G's latest cancellable sema wait (a hint for
	 * pthread_cancel, which looks for the G in that bucket; sema.c). */
	const void *_Atomic cancelsema;
	_Atomic uint32_t exitword;/* futex word foreign joiners sleep on */
	uint32_t thread_flags;    /* shims/: attributes recorded at create */
	char name[16];
	uint64_t sigmask;          /* the thread's signal mask (kernel sigset); owner: the G */
	/* Signals pending for this thread (gsig.c): set by any sender, taken
	 * by the G. */
	_Atomic uint64_t sigpending;
	/* Of those, the ones the router gave it from the process's (gsig.c):
	 * back to the process if it exits before taking them. */
	_Atomic uint64_t sigfromproc;
	/* Those it put in its M's kernel set for an exec (gsig.c), to take
	 * back if the exec fails; owner: the G. */
	uint64_t sigexec;
	bool sigring;              /* a ring redirected it to run a handler (preempt.c) */
	uint64_t sigwaiting;       /* the set of the sigwait it is in (preload/io.c) */
	stack_t altstack;          /* its sigaltstack (shims/sigmask.c); ss_size 0: none */
	/* Set by M0 when a signal handler ran there while this (main) G was
	 * parked in a cancellable wait: sem_wait then says EINTR, as natively
	 * (stoplockedm). */
	_Atomic bool interrupted;
	void *affinity;            /* cpu_set_t recorded by pthread_setaffinity_np, malloc'd */
	int schedpolicy;
	int schedprio;
	int nice;                  /* setpriority's value, when KP_NICE was set */
	uint32_t sigruns;          /* handlers run for it (gsig.c), a count */
	/* Kernel state of its own (kprops.c): KP_* bits to apply when it
	 * next runs, and those applied to its (locked) M. */
	_Atomic uint8_t kpending;
	uint8_t kapplied;
	/* Its creator waits on this word until it has started on its own
	 * OS thread (shims/thread.c: start_own); NULL otherwise. */
	_Atomic uint32_t *kstart;
	/* No-preemption sections (preempt.h); owner: the G. */
	int nopreempt;
	/* Waits our preemption signal ended with EINTR (the handler on the
	 * G's own thread counts them; shims/blocking.h restarts those). */
	uint32_t preempt_intr;
	/* The netpoll wait it is in, for pthread_cancel (netpoll_epoll.c). */
	void *_Atomic netwait;
	/* Its CPU-time clock (cputime.h): the ticks it has run, with bit 0
	 * set while it runs; written by the M running it, read by anyone.
	 * cpubase: ns it had used before the runtime knew it (main's
	 * start-up); immutable after attach. */
	_Atomic uint64_t cputicks;
	int64_t cpubase;
	/* What it waits for, for dumps and scheddetail (dump.c): waitreason
	 * (above) names the park (mutex, cond, sleep, ...) or, prefixed '=',
	 * the call a G_SYSCALL G makes (shims/blocking.h); waitsince is the
	 * tick (mn_cputick: one counter read, no clock call) its park or
	 * system call began at; waitfd is the descriptor + 1 of a netpoll
	 * wait on one descriptor (0: none or several).  Owner: the G; read
	 * racily by dumps. */
	uint64_t waitsince;
	int waitfd;
	/* allgs (gfree.c), under allg.lock.  Last: a recycled G is cleared up
	 * to here only, its place on the list kept. */
	struct g *allnext, *allprev;
};
/* The ids (gettid) Gs get: proc.c. */
#define MN_FAKE_TID_MIN 0x20000000
#define MN_FAKE_TID_END 0x3ffffff0
#define G_MAIN 1u
#define G_G0   2u
#define G_STARTINT 4u /* startfn returns int (C11 threads) */

/* ---------------------------------------------------------------- P */
/* P states:
 *  P_IDLE     on sched.pidle (no M); owned by sched.lock.
 *  P_RUNNING  owned by p->m, which alone pops its run queue's head for
 *             itself (other Ps may steal).
 *  P_SYSCALL  its M is in a system call (entersyscall); the M keeps it in
 *             oldp and takes it back with a CAS at exitsyscall, unless
 *             sysmon took it first (CAS to P_IDLE, then handoffp).
 */
enum { P_IDLE, P_RUNNING, P_SYSCALL };
enum { P_RELEASED, P_OWNED, P_ORPHANED, P_RETIRED }; /* p->orphaned */

/* 256 slots like Go: big enough that a burst of creates stays local,
 * small enough that half a queue moves to the global list in one lock. */
#define RUNQ_SIZE 256

struct p {
	int id;                          /* immutable */
	_Atomic uint32_t status;         /* P_*: owner M, or sched.lock when idle */
	struct m *m;                     /* owner M; sched.lock when idle */
	struct p *link;                  /* sched.pidle link; sched.lock */
	uint32_t schedtick;              /* owner M: incremented per execute */
	_Atomic uint32_t syscalltick;    /* owner M: bumped at each entersyscall; read by sysmon */
	/* Set by sysmon when the same G has run on this P for 10 ms; the G
	 * yields at its next safe point (exitsyscall).  Cleared by execute. */
	_Atomic bool preempt;
	/* Who may give this P away (silent blocking, sysmon.c):
	 *  P_OWNED     held by p->m (acquirep);
	 *  P_RELEASED  given back (releasep), idle or being handed over;
	 *  P_ORPHANED  sysmon gave its place in allp to a fresh P because its
	 *              M sat blocked in the kernel without telling us;
	 *  P_RETIRED   its M left it (mn_releasep) and sysmon may reuse it.
	 * The M's releasep (OWNED -> RELEASED) and sysmon (OWNED -> ORPHANED)
	 * race by CAS: exactly one gives the P away.  An orphan is its M's
	 * alone; the M keeps using it until its next scheduling point, then
	 * retires it and goes on as an M without a P. */
	_Atomic int orphaned;
	/* Lock-free ring: head advanced by the owner (runqget) and thieves
	 * (runqsteal) with CAS; tail written only by the owner (release),
	 * read by thieves (acquire). */
	_Atomic uint32_t runqhead;
	_Atomic uint32_t runqtail;
	struct g *_Atomic runq[RUNQ_SIZE];
	struct g *_Atomic runnext;       /* owner writes; thieves CAS to NULL */
	/* Bumped by the owner each time it fills runnext: tells thieves a new
	 * hand-off from the same (recycled) G pointer seen earlier. */
	_Atomic uint32_t runnextgen;
	/* Free Gs (exited, stacks and TCBs kept for reuse); owner M only. */
	struct g *gfree;
	int ngfree;
	/* Ids handed out in batches (Go's goidcache); owner M only. */
	uint64_t goidcache, goidcacheend;
	int tidcache, tidcacheend;
	/* Counts for MN_DEBUG=summary (dump.c), owner M only (plain
	 * increments, summed racily at exit): Gs created on this P, Gs it
	 * started running (execute and direct switches), Gs it stole, and
	 * its hand-offs for a system call (entersyscallblock, sysmon's
	 * retake). */
	uint64_t ncreated, nswitch, nsteal, nhandoff;
};

/* ---------------------------------------------------------------- M */
struct m {
	struct m *self;          /* first word: %gs:0 loads it (arch_getm) */
	struct g g0;             /* scheduler context: the OS thread's own stack and TCB */
	struct g *curg;          /* owner: this M; the G running, or NULL on g0 */
	struct p *p;             /* owner: this M; attached P */
	struct p *nextp;         /* set by the waker before notewakeup, under sched.lock */
	struct p *oldp;          /* owner: this M; the P it left in P_SYSCALL (syscall.c) */
	_Atomic bool spinning;   /* owner M; counted in sched.nmspinning */
	struct g *lockedg;       /* immutable while set: the G locked to this M */
	struct mn_note park;     /* sleeping in stopm / stoplockedm */
	struct m *schedlink;     /* sched.midle link; sched.lock */
	struct m *alllink;       /* sched.allm; immutable after creation */
	bool altlent;            /* a G's sigaltstack is installed on it (gsig.c); owner: this M */
	bool pipeopen;           /* SIGPIPE unblocked in its kernel mask (mn_sigpipe_sync); owner: this M */
	int id;                  /* immutable */
	int tid;                 /* kernel tid; immutable */
	uintptr_t tcb;           /* the OS thread's own thread pointer; immutable */
	uint32_t fastrand;       /* owner M */
	struct mn_lockheld locks;/* runtime locks held (debug builds): lockrank.h */
	/* Post-switch action, run by whichever context resumes next on this M
	 * (finish_switch in proc.c).  Set by the G that switches away. */
	int pending;             /* PEND_* */
	struct g *pendingg;
	stack_t altstack;        /* per-M signal stack (stack overflow reports, preemption) */
	/* Preemption retries (preempt.c), owner: this M's signal handler: a
	 * one-shot POSIX timer that signals this thread again a little later
	 * when a request found the G at an unsafe point. */
	int preempt_timer;        /* kernel timer id, -1 when none */
	uint32_t preempt_tick;    /* the request being retried */
	int preempt_retries;
	/* Its CPU clock (cputime.c): the virtual clock its Gs are charged in,
	 * V(now) = ck_vtick + b - b * ck_slow / 2^32, b the ticks since
	 * ck_tick in which it was not idle (idleticks less ck_idle).  Under
	 * the seqlock cpuseq (odd while written), which a writer (sysmon, this
	 * M, a thread reading a clock) takes by CAS; read by anyone; atomics,
	 * relaxed, ordered by cpuseq. */
	_Atomic uint32_t cpuseq;
	_Atomic uint64_t ck_tick, ck_vtick, ck_slow;
	_Atomic uint64_t ck_idle;
	_Atomic uint64_t vfloor; /* the last virtual tick a G started or stopped at; written by this M */
	int64_t ck_cpu;          /* the writer's: its thread's CPU ns at the checkpoint */
	uint64_t ck_exact;       /* the writer's: its CPU time in ticks, from those reads */
	/* The ticks it has spent asleep or in announced system calls, in
	 * g->cputicks' encoding (bit 0 while idle); written by this M only. */
	_Atomic uint64_t idleticks;
	/* Its locked G changed kernel state that cannot be undone (kprops.c:
	 * unshare, setns, capset, per-thread prctl options): the M exits
	 * with that G (mn_mexit).  Owner: this M. */
	bool tainted;
	/* It has exited (its OS thread is gone or going): walkers of allm
	 * skip it.  Set once, under sched.lock. */
	_Atomic bool dead;
	/* mstart's frame, where mn_mexit returns to (__builtin_setjmp). */
	void *exitbuf[5];
};
enum { PEND_NONE, PEND_PARK, PEND_YIELD, PEND_PREEMPT, PEND_EXIT, PEND_EXIT_JOINER, PEND_EXITSYSCALL };

/* ---------------------------------------------------------------- sched */
struct sched {
	struct mn_lock lock;      /* protects everything below unless noted */
	struct g *runqhead, *runqtail;
	_Atomic int32_t runqsize;  /* written under lock, read racily as a hint */
	struct p *pidle;
	_Atomic int32_t npidle;    /* written under lock; read racily */
	struct m *midle;
	int nmidle;
	_Atomic int32_t nmspinning; /* atomic: Ms spinning for work */
	_Atomic int32_t nretaken;   /* atomic: Ms still in a syscall whose P sysmon retook */
	struct m *allm;            /* all Ms, prepend-only */
	struct g *maing;           /* the main G (NULL in a fork child that main is not in) */
	bool mainfree;             /* main is free of M0: every M blocks the process's signals */
	bool mainfree_pending;     /* not yet, but will be when main first leaves M0 */
	bool mainfree_rest;        /* M0's g0 finishes it (gsig.c) */
	int mcount;                /* live Ms (an exited one is no longer counted) */
	int mnextid;               /* the next M's id */
	int nprocs;                /* immutable after init */
	/* nprocs Ps; an entry is replaced only by sysmon's silent-blocking
	 * retake (the old P is then an orphan), so read it with mn_allp. */
	struct p *_Atomic *allp;
	int maxmcount;             /* MN_MAXTHREADS */
	long timerslack;           /* immutable after init: the program's threads' timer slack (ns) */
	/* free Gs moved from Ps in batches; gflock */
	struct mn_lock gflock;
	struct g *gfree;
	int ngfree;
	/* Written on every create and exit: on a line of their own, away
	 * from what spinning Ms poll. */
	_Atomic int64_t ngalive __attribute__((aligned(64))); /* live user Gs */
	_Atomic uint64_t goidgen;
	_Atomic int32_t tidgen;
	char pad_end[64];
};
extern struct sched mn_sched MN_HIDDEN;

/* Main on M0 with M0's kernel mask its own: the process's signals reach
 * it there, and it waits in the kernel.  So until main first leaves M0
 * (gsig.c: mn_gsig_main_free), and always with MN_DEBUG=lockmain=1. */
static inline bool mn_g_m0main(const struct g *gp)
{
	return (gp->flags & G_MAIN) && !mn_sched.mainfree;
}

static inline struct p *mn_allp(int i)
{
	/* acquire: pairs with sysmon's release store of a fresh P */
	return atomic_load_explicit(&mn_sched.allp[i], memory_order_acquire);
}
/* The M's P was orphaned by sysmon (see struct p). */
static inline bool mn_p_orphaned(const struct p *pp)
{
	/* relaxed: a hint checked at scheduling points; the orphan is the M's alone either way */
	return __builtin_expect(atomic_load_explicit(&pp->orphaned, memory_order_relaxed) == P_ORPHANED, 0);
}
extern bool mn_inited MN_HIDDEN;

/* The current G: each TCB's static TLS holds its own G (our library's
 * initial-exec TLS moves with the fs base).  NULL on foreign threads. */
extern __thread struct g *mn_tls_g MN_HIDDEN;
static inline struct g *mn_getg(void) { return mn_tls_g; }
static inline struct m *mn_getm(void) { return (struct m *)arch_getm(); }
/* True when the caller is a G that may park (not g0, not foreign). */
/* Set (in the G's own TLS) while the preemption handler walks the G's
 * stack with libunwind (preempt.c): the library's interposers then treat
 * the thread as no G, so a libunwind the program loaded itself (bound to
 * them: tcmalloc links it) gets glibc's behaviour (the kernel's signal
 * mask, locks that wait in the kernel), never a park inside a handler.
 * Other threads still find the G (mn_tls_g is left alone). */
extern __thread bool mn_tls_in_walk MN_HIDDEN;
static inline bool mn_is_g(void)
{
	struct g *gp = mn_tls_g;
	return gp != NULL && !(gp->flags & G_G0) && !mn_tls_in_walk;
}

/* SIGPIPE is sent by the kernel to the OS thread whose write found no
 * reader: the M, while the G that wrote runs there.  An M lets it through
 * exactly when the G it runs does, so it reaches that G as natively (its
 * handler, or the default action: the process ends) instead of waiting on
 * an M that blocks it.  Called before an M runs gp (a syscall only when
 * the two differ: threads rarely do).  Context: the M, not on the G. */
static inline void mn_sigpipe_sync(struct m *mp, const struct g *gp)
{
	bool open = !(gp->sigmask & (1ULL << (SIGPIPE - 1)));
	if (__builtin_expect(open == mp->pipeopen, 1) || mn_g_m0main(gp))
		return;
	uint64_t b = 1ULL << (SIGPIPE - 1);
	arch_syscall6(SYS_rt_sigprocmask, open ? SIG_UNBLOCK : SIG_BLOCK, (long)&b, 0, 8, 0, 0);
	mp->pipeopen = open;
}

/* ---------------------------------------------------------------- checks */
/* Debug builds (config_debug) check the Context: lines and every change of
 * a G's or a P's status; release builds compile all of it away. */

/* True on an M's scheduler context (g0). */
static inline bool mn_on_g0(void)
{
	struct g *gp = mn_tls_g;
	return gp != NULL && (gp->flags & G_G0);
}
#define MN_ASSERT_G0(who) MN_ASSERT(mn_on_g0(), who ": not on g0")
#define MN_ASSERT_G(who) MN_ASSERT(mn_is_g(), who ": not on a G")
/* The calling M (g0 or G) holds a lock of rank (lockrank.h). */
#define MN_ASSERT_LOCKED(rank, who)                                            \
	do {                                                                   \
		if (config_debug)                                              \
			mn_lockrank_assert_held(rank, who ": lock not held");  \
	} while (0)
/* On an M, pp is the P it holds (threads that are not Ms, such as the
 * unit tests' plain threads, are not checked). */
#define MN_ASSERT_OWNS_P(pp, who)                                              \
	MN_ASSERT(mn_tls_g == NULL || (mn_tls_g->m != NULL && (pp)->m == mn_tls_g->m), \
		  who ": P not held by this M")

/* The legal moves of a G's status (see the table at G_IDLE):
 *   G_IDLE     -> G_RUNNABLE (newproc_start)
 *   G_RUNNABLE -> G_RUNNING (execute, a direct switch)
 *   G_RUNNING  -> G_WAITING (park), G_RUNNABLE (yield, a refused park),
 *                 G_SYSCALL (entersyscall), G_DEAD (exit)
 *   G_SYSCALL  -> G_RUNNING (exitsyscall), G_RUNNABLE (exitsyscall, no P)
 *   G_WAITING  -> G_RUNNABLE (goready, a refused park), G_RUNNING (an
 *                 exiting G's direct switch to the G parked joining it)
 *   G_DEAD     -> G_IDLE (gfput) */
static inline bool mn_gstatus_legal(uint32_t from, uint32_t to)
{
	switch (from) {
	case G_IDLE: return to == G_RUNNABLE;
	case G_RUNNABLE: return to == G_RUNNING;
	case G_RUNNING: return to == G_WAITING || to == G_RUNNABLE || to == G_SYSCALL || to == G_DEAD;
	case G_SYSCALL: return to == G_RUNNING || to == G_RUNNABLE;
	case G_WAITING: return to == G_RUNNABLE || to == G_RUNNING;
	case G_DEAD: return to == G_IDLE;
	default: return false;
	}
}

/* Move *word (a G's or P's status) from `from` to `to` with a store of
 * order mo (the caller's comment says what it pairs with).  Debug builds
 * check that it is in `from` and that legal(from, to) allows the move;
 * what names the kind of status in the message. */
#define mn_status_move(word, from, to, mo, legal, what)                        \
	do {                                                                   \
		if (config_debug) {                                            \
			if (atomic_load_explicit((word), memory_order_relaxed) != (uint32_t)(from)) \
				mn_throw(what ": not in the state it leaves"); \
			if (!legal((from), (to)))                              \
				mn_throw(what ": illegal status transition");  \
		}                                                              \
		atomic_store_explicit((word), (to), (mo));                     \
	} while (0)
#define mn_gstatus(gp, from, to, mo) \
	mn_status_move(&(gp)->status, from, to, mo, mn_gstatus_legal, "gstatus")

/* The legal moves of a P's status (see the table at P_IDLE):
 *   P_IDLE -> P_RUNNING (acquirep); P_RUNNING -> P_IDLE (releasep,
 *   pidleput), P_SYSCALL (entersyscall); P_SYSCALL -> P_RUNNING
 *   (exitsyscall's CAS), P_IDLE (sysmon's retake CAS). */
static inline bool mn_pstatus_legal(uint32_t from, uint32_t to)
{
	switch (from) {
	case P_IDLE: return to == P_RUNNING;
	case P_RUNNING: return to == P_IDLE || to == P_SYSCALL;
	case P_SYSCALL: return to == P_RUNNING || to == P_IDLE;
	default: return false;
	}
}

/* pp's status, a plain store (the CASes of exitsyscall and retake check
 * their own `from`). */
#define mn_pstatus(pp, from, to, mo) \
	mn_status_move(&(pp)->status, from, to, mo, mn_pstatus_legal, "pstatus")

/* ---------------------------------------------------------------- libc hooks */
#include "sched/hooks.h"

#endif
