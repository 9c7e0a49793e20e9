/* sched/runtime.h: the G, M and P structures and the runtime's internal
 * interface.  The vocabulary is the Go runtime's (proc.go, runtime2.go);
 * sched/proc.c opens with the design essay.
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
 *              (-> G_WAITING), yield (-> G_RUNNABLE), exit (-> G_DEAD).
 *  G_SYSCALL   reserved for entersyscall (blocking-calls capability).
 *  G_WAITING   parked; owned by whatever it waits on (a sema queue, a
 *              timer, a joiner slot).  Only goready moves it -> G_RUNNABLE.
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
	int idx;                          /* heap index, -1 when not queued; timers.lock */
	_Atomic int running;              /* callback in progress */
};

/* A G's timed park (proc.c): the timer lives in the G, not on its stack,
 * and is tagged with the park's sequence number (see waitsel). */
struct mn_parktimer {
	struct mn_timer t;                /* t.arg: the G */
	bool (*unlockf)(struct g *, void *);
	void (*ontimeout)(struct g *, void *);
	void *arg;
	uint32_t seq;
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
	uint64_t sigpending;       /* signals it sent itself while blocking them; owner: the G */
	/* Set by M0 when a signal handler ran there while this (main) G was
	 * parked in a cancellable wait: sem_wait then says EINTR, as natively
	 * (stoplockedm). */
	_Atomic bool interrupted;
	void *affinity;            /* cpu_set_t recorded by pthread_setaffinity_np, malloc'd */
	int schedpolicy;
	int schedprio;
};
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
	int id;                  /* immutable */
	int tid;                 /* kernel tid; immutable */
	uintptr_t tcb;           /* the OS thread's own thread pointer; immutable */
	uint32_t fastrand;       /* owner M */
	struct mn_lockheld locks;/* runtime locks held (debug builds): lockrank.h */
	/* Post-switch action, run by whichever context resumes next on this M
	 * (mn_finish_switch).  Set by the G that switches away. */
	int pending;             /* PEND_* */
	struct g *pendingg;
	stack_t altstack;        /* per-M signal stack (stack overflow reports, preemption) */
};
enum { PEND_NONE, PEND_PARK, PEND_YIELD, PEND_EXIT, PEND_EXIT_JOINER, PEND_EXITSYSCALL };

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
	int mcount;
	int nprocs;                /* immutable after init */
	struct p *allp;            /* array of nprocs; immutable after init */
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
extern bool mn_inited MN_HIDDEN;

/* The current G: each TCB's static TLS holds its own G (our library's
 * initial-exec TLS moves with the fs base).  NULL on foreign threads. */
extern __thread struct g *mn_tls_g MN_HIDDEN;
static inline struct g *mn_getg(void) { return mn_tls_g; }
static inline struct m *mn_getm(void) { return (struct m *)arch_getm(); }
/* True when the caller is a G that may park (not g0, not foreign). */
static inline bool mn_is_g(void)
{
	struct g *gp = mn_tls_g;
	return gp != NULL && !(gp->flags & G_G0);
}

/* ---------------------------------------------------------------- libc hooks */
/* Functions of the next definition (glibc), filled by preload/ at init. */
struct mn_libc {
	int (*pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	int (*pthread_join)(pthread_t, void **);
	int (*pthread_detach)(pthread_t);
	void (*pthread_exit)(void *) __attribute__((noreturn));
	int (*sched_yield)(void);
	int (*pthread_getattr_np)(pthread_t, pthread_attr_t *);
	int (*sigaction)(int, const struct sigaction *, struct sigaction *);
};
extern struct mn_libc mn_libc MN_HIDDEN;

/* ---------------------------------------------------------------- proc.c */
MN_HIDDEN int mn_schedinit(void);        /* 0 or -errno */
MN_HIDDEN struct g *mn_newproc(void *(*fn)(void *), void *arg, const struct mn_stack_req *req, int *err);
MN_HIDDEN void mn_newproc_start(struct g *gp);
MN_HIDDEN void mn_gopark(bool (*unlockf)(struct g *, void *), void *arg, const char *reason);
MN_HIDDEN void mn_goready(struct g *gp);
MN_HIDDEN void mn_goready_tail(struct g *gp); /* a time-out: behind the queue */
MN_HIDDEN void mn_gosched(void);         /* yield */
MN_HIDDEN void mn_goexit(void) __attribute__((noreturn));
MN_HIDDEN void mn_gentry(struct g *gp);
MN_HIDDEN void mn_finish_switch(void);
MN_HIDDEN void mn_gfput(struct g *gp);   /* give a dead, collected G back */
MN_HIDDEN struct g *mn_tcb_to_g(uintptr_t tcb); /* NULL unless a live-or-zombie G */
MN_HIDDEN int64_t mn_goid(struct g *gp);
/* Timed park: park until goready or the deadline (CLOCK_MONOTONIC ns).
 * Returns true if woken by goready, false on time-out.  The waker must use
 * mn_goready_sel.  See the waitsel protocol in proc.c. */
MN_HIDDEN bool mn_gopark_until(bool (*unlockf)(struct g *, void *), void *arg, int64_t deadline,
			       void (*ontimeout)(struct g *, void *), const char *reason);
MN_HIDDEN bool mn_goready_sel(struct g *gp);
/* A timed park at a cancellation point (the sleeps): mn_gopark_until that
 * pthread_cancel can also end (mn_park_cancel), like a time-out.
 * Returns true if woken by goready, false on time-out or cancellation. */
MN_HIDDEN bool mn_gopark_cancel(bool (*unlockf)(struct g *, void *), void *arg, int64_t deadline,
				void (*ontimeout)(struct g *, void *), const char *reason);
/* End gp's cancellable park, if it is in one and the wait is published
 * (its ontimeout runs, then gp is readied).  Context: any thread, after
 * setting gp's cancellation request (a locked instruction).  Returns true
 * if it readied gp. */
MN_HIDDEN bool mn_park_cancel(struct g *gp);
/* cancel.c: pthread_cancel(t) of G gp (not dead): glibc's real_cancel sets
 * the request, then a parked gp is woken to act on it.  glibc's codes. */
MN_HIDDEN int mn_cancel_g(struct g *gp, pthread_t t, int (*real_cancel)(pthread_t));

/* syscall.c: bracket a call that may block in the kernel.  Context: a G
 * holding a P; between the two calls the G runs without a P and must not
 * touch the scheduler. */
/* false when the caller holds no P (a signal handler inside another
 * call): then there is nothing to give away, and no exitsyscall. */
MN_HIDDEN bool mn_entersyscall(void);
MN_HIDDEN bool mn_entersyscallblock(void); /* for a call known to block */
MN_HIDDEN void mn_exitsyscall(void);
MN_HIDDEN bool mn_retake_syscall(struct p *pp); /* sysmon */
MN_HIDDEN void mn_preempt_point(void);
MN_HIDDEN void mn_gswitch_exitsyscall(struct g *gp);

/* runq.c */
MN_HIDDEN void mn_runqput(struct p *pp, struct g *gp, bool next);
MN_HIDDEN struct g *mn_runqget(struct p *pp, bool *inheritTime);
MN_HIDDEN struct g *mn_runqsteal(struct p *pp, struct p *victim, bool stealRunNext);
MN_HIDDEN bool mn_runqempty(struct p *pp);
MN_HIDDEN void mn_globrunqput(struct g *gp);      /* sched.lock held */
MN_HIDDEN void mn_globrunqputbatch(struct g *head, struct g *tail, int n); /* sched.lock held */
MN_HIDDEN struct g *mn_globrunqget(struct p *pp, int max); /* sched.lock held */

/* gfree.c */
MN_HIDDEN struct g *mn_gfget(struct p *pp, const struct mn_stack_req *req);
MN_HIDDEN void mn_gfput_p(struct p *pp, struct g *gp);

/* m.c */
MN_HIDDEN void mn_startm(struct p *pp, bool spinning);
MN_HIDDEN void mn_stopm(void);
MN_HIDDEN void mn_wakep(void);
MN_HIDDEN void mn_handoffp(struct p *pp);
MN_HIDDEN struct p *mn_pidleget(void);   /* sched.lock held */
MN_HIDDEN void mn_pidleput(struct p *pp); /* sched.lock held */
MN_HIDDEN struct m *mn_mget(void);       /* sched.lock held */
MN_HIDDEN void mn_mput(struct m *mp);    /* sched.lock held */
MN_HIDDEN void mn_acquirep(struct p *pp);
MN_HIDDEN struct p *mn_releasep(void);
MN_HIDDEN void mn_schedule(void) __attribute__((noreturn));
MN_HIDDEN uint32_t mn_fastrand(void);
MN_HIDDEN struct m *mn_m0_setup(void);

/* timer.c: one heap for now (per-P heaps: TODO with the netpoller). */
MN_HIDDEN void mn_timer_add(struct mn_timer *t);
/* Add t only if *word still equals expect (checked under the heap's lock)
 * and t is not queued already. */
MN_HIDDEN void mn_timer_add_if(struct mn_timer *t, _Atomic uint32_t *word, uint32_t expect);
/* Remove; waits for a running callback to finish.  Returns true if the
 * timer was removed before it fired. */
MN_HIDDEN bool mn_timer_del(struct mn_timer *t);
MN_HIDDEN int64_t mn_timers_run(int64_t now); /* runs due timers; returns next deadline or 0 */
MN_HIDDEN int64_t mn_timers_next(void);

/* signal.c */
MN_HIDDEN void mn_signal_init(void);
MN_HIDDEN void mn_signal_minit(struct m *mp);
struct sigaction;
MN_HIDDEN bool mn_signal_app(int sig, const struct sigaction *act, struct sigaction *old);

/* sysmon.c */
MN_HIDDEN void mn_sysmon_init(void);
MN_HIDDEN void mn_sysmon_fork_child(void);
MN_HIDDEN void mn_sysmon_start_slow(void);
extern _Atomic int mn_sysmon_started MN_HIDDEN;
/* Start sysmon if it is not running yet (the first thread created). */
static inline void mn_sysmon_start(void)
{
	if (__builtin_expect(!atomic_load_explicit(&mn_sysmon_started, memory_order_relaxed), 0))
		mn_sysmon_start_slow();
}
/* A P went busy: wake sysmon if it sleeps because every P was idle. */
MN_HIDDEN void mn_sysmon_wake_slow(void);
extern _Atomic int mn_sysmon_sleeping MN_HIDDEN;
static inline void mn_sysmon_wake(void)
{
	if (__builtin_expect(atomic_load_explicit(&mn_sysmon_sleeping, memory_order_relaxed), 0))
		mn_sysmon_wake_slow();
}
/* timer.c: forget every timer in the child of fork. */
MN_HIDDEN void mn_timers_fork_child(void);
/* fork.c: rebuild the runtime in the child of fork (an atfork child handler). */
MN_HIDDEN void mn_fork_child(void);

/* throw.c */
MN_HIDDEN void mn_throw(const char *msg) __attribute__((noreturn));
MN_HIDDEN void mn_print(const char *msg);
MN_HIDDEN void mn_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
