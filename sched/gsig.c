/* sched/gsig.c: signals sent to one thread reach that G.
 *
 * pthread_kill, pthread_sigqueue and raise name a thread; under mnthread
 * that thread is a G, which has no OS thread of its own to send to.  The
 * signal is made pending for the G (g->sigpending, one bit per signal,
 * and for a real-time or sigqueue'd one a slot with its siginfo, so that
 * real-time signals queue and keep their value, as the kernel's do), and
 * the G runs the handler itself:
 *  - parked in a wait (a semaphore, a condvar, a sleep, a join, the
 *    netpoller): the sender ends the wait the way pthread_cancel does
 *    (sema, join, netpoll and park cancellation); the wait's code runs
 *    the handler and then says EINTR or waits again, as the native call
 *    does (mn_gsig_deliver's MN_GSIG_* answer, SA_RESTART);
 *  - running, or in a system call: the sender rings its M with the
 *    preemption signal, tagged as a ring (preempt.c).  The handler there
 *    redirects the G, wherever it is not inside this library, through the
 *    preemption trampoline, which runs the program's handler on the G's
 *    stack; a system call the ring interrupted returns EINTR then unless
 *    the program's handler has SA_RESTART, as natively.  A ring that finds
 *    the G inside the library does nothing: sysmon rings again each tick
 *    (mn_gsig_sysmon), and yields and preemptions deliver on resumption;
 *  - blocking it: it stays pending (sigpending reports it) until the G
 *    unblocks it (delivered before pthread_sigmask returns) or takes it
 *    with sigwait.
 * Delivery itself is the kernel's: the G, on its M, lets the signal
 * through the M's mask for a moment (the G's own mask) and sends it to
 * its M's thread (tgkill, or rt_tgsigqueueinfo with the original siginfo);
 * the kernel runs the handler as the call returns, with every native
 * detail (sa_mask, SA_NODEFER, SA_RESETHAND, SA_ONSTACK on the M's
 * alternate stack, SIG_DFL and SIG_IGN if the program changed the
 * disposition meanwhile) and si_code SI_TKILL or SI_QUEUE, si_pid and
 * si_uid those of this process, exactly what pthread_kill gives.
 *
 * The slots are a fixed table taken with atomics only: a sender may be a
 * signal handler (pthread_kill is async-signal-safe), so nothing here
 * locks or allocates.  A full table refuses with EAGAIN, as the kernel
 * does past RLIMIT_SIGPENDING.
 * tgkill, tkill and rt_tgsigqueueinfo to a G's id (gettid) find the G on
 * allgs (gfree.c).
 * A signal sent to the process reaches a G that takes it (the router,
 * below).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gsig.h"
#include <errno.h>
#include <string.h>
#include <sys/signalfd.h>
#include "cancel.h"
#include "dump.h"
#include "gfree.h"
#include "join.h"
#include "m.h"
#include "netpoll.h"
#include "park.h"
#include "preempt.h"
#include "sema.h"
#include "signal.h"
#include "sys.h"
#include "env.h"
#include "sysmon.h"

#define NSLOTS 512
#define RTMIN 32 /* the kernel's first real-time signal */

enum { SLOT_FREE, SLOT_BUSY, SLOT_READY };

struct slot {
	_Atomic uint32_t state;
	int sig;
	const void *g; /* the G, or &procq: pending for the process */
	uint64_t seq;
	siginfo_t info;
};
static struct slot slots[NSLOTS];
static _Atomic uint64_t slotseq;
/* Slots in use: the table is scanned only when some are. */
static _Atomic int nslots;
/* A ring went out since sysmon last found every signal delivered. */
static _Atomic bool unsettled;

static inline uint64_t bit(int sig) { return 1ULL << (sig - 1); }

static void tkill_info(siginfo_t *si, int sig)
{
	memset(si, 0, sizeof *si);
	si->si_signo = sig;
	si->si_code = SI_TKILL;
	si->si_pid = (pid_t)mn_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0);
	si->si_uid = (uid_t)mn_sys6(SYS_getuid, 0, 0, 0, 0, 0, 0);
}

static bool slot_put(const void *gp, int sig, const siginfo_t *info)
{
	for (int i = 0; i < NSLOTS; i++) {
		uint32_t f = SLOT_FREE;
		/* relaxed pre-check: skip busy slots without a locked instruction */
		if (atomic_load_explicit(&slots[i].state, memory_order_relaxed) != SLOT_FREE ||
		    !atomic_compare_exchange_strong_explicit(&slots[i].state, &f, SLOT_BUSY, memory_order_acquire,
							     memory_order_relaxed))
			continue;
		struct slot *s = &slots[i];
		s->g = gp;
		s->sig = sig;
		s->seq = atomic_fetch_add_explicit(&slotseq, 1, memory_order_relaxed);
		if (info)
			s->info = *info;
		else
			tkill_info(&s->info, sig);
		atomic_fetch_add_explicit(&nslots, 1, memory_order_relaxed);
		/* release: the slot's fields before READY; pairs with slot_find's acquire */
		atomic_store_explicit(&s->state, SLOT_READY, memory_order_release);
		return true;
	}
	return false;
}

/* The oldest ready slot of gp for sig, or NULL. */
static struct slot *slot_find(const void *gp, int sig)
{
	/* relaxed: a hint; a slot being filled is found by the next look */
	if (atomic_load_explicit(&nslots, memory_order_relaxed) == 0)
		return NULL;
	struct slot *best = NULL;
	for (int i = 0; i < NSLOTS; i++) {
		struct slot *s = &slots[i];
		/* acquire: pairs with slot_put's release */
		if (atomic_load_explicit(&s->state, memory_order_acquire) != SLOT_READY || s->g != gp ||
		    s->sig != sig)
			continue;
		if (!best || s->seq < best->seq)
			best = s;
	}
	return best;
}

/* Take the oldest slot of gp for sig into *info; false if none. */
static bool slot_take(const void *gp, int sig, siginfo_t *info)
{
	for (;;) {
		struct slot *s = slot_find(gp, sig);
		if (!s)
			return false;
		uint32_t r = SLOT_READY;
		if (!atomic_compare_exchange_strong_explicit(&s->state, &r, SLOT_BUSY, memory_order_acquire,
							     memory_order_relaxed))
			continue; /* another taker (gp exiting) won it */
		if (s->g != gp || s->sig != sig) { /* reused meanwhile: not ours */
			atomic_store_explicit(&s->state, SLOT_READY, memory_order_release);
			continue;
		}
		*info = s->info;
		atomic_fetch_sub_explicit(&nslots, 1, memory_order_relaxed);
		/* release: our reads of the slot before it is reused */
		atomic_store_explicit(&s->state, SLOT_FREE, memory_order_release);
		return true;
	}
}

/* Take sig off gp's pending set: its siginfo in *info (returns false,
 * and leaves *info alone, for a plain SI_TKILL one without a slot).  A
 * standard signal is pending once (more sends while pending are lost, as
 * in the kernel); a real-time one keeps its bit while slots remain. */
static bool take_from(const void *owner, _Atomic uint64_t *pending, int sig, siginfo_t *info)
{
	bool have = slot_take(owner, sig, info);
	if (sig < RTMIN) {
		siginfo_t drop;
		while (slot_take(owner, sig, &drop))
			;
	} else if (have && slot_find(owner, sig)) {
		return true; /* more queued: the bit stays */
	}
	/* seq_cst: the clear before the second look, which a sender's put-then-set pairs with */
	atomic_fetch_and_explicit(pending, ~bit(sig), memory_order_seq_cst);
	if (sig >= RTMIN && slot_find(owner, sig))
		atomic_fetch_or_explicit(pending, bit(sig), memory_order_seq_cst);
	return have;
}

static bool take(struct g *gp, int sig, siginfo_t *info)
{
	return take_from(gp, &gp->sigpending, sig, info);
}

/* The program's disposition of sig: its handler word and flags. */
static void disposition(int sig, void **handler, unsigned long *flags)
{
	struct sigaction sa;
	if (mn_signal_app_peek(sig, &sa)) {
		*handler = (void *)sa.sa_handler;
		*flags = (unsigned long)sa.sa_flags;
		return;
	}
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} k = { 0 };
	mn_sys6(SYS_rt_sigaction, sig, 0, (long)&k, 8, 0, 0);
	*handler = k.handler;
	*flags = k.flags;
}

bool mn_gsig_restarts(int sig)
{
	void *h;
	unsigned long f;
	disposition(sig, &h, &f);
	return (f & SA_RESTART) != 0;
}

/* Signals whose default action is to do nothing. */
static bool default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

/* Send sig to the calling thread's own OS thread with only mask blocked
 * for the moment: the kernel acts on it as the call returns. */
static void raise_on_m(int sig, const siginfo_t *info, uint64_t mask, bool swap)
{
	long pid = mn_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0);
	struct g *gp = mn_getg();
	long tid = gp && gp->m && gp->m->self == gp->m ? gp->m->tid : mn_sys6(SYS_gettid, 0, 0, 0, 0, 0, 0);
	uint64_t saved = 0;
	if (swap)
		mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, (long)&saved, 8, 0, 0);
	if (info && info->si_code != SI_TKILL)
		mn_sys6(SYS_rt_tgsigqueueinfo, pid, tid, sig, (long)info, 0, 0);
	else
		mn_sys6(SYS_tgkill, pid, tid, sig, 0, 0, 0);
	if (swap)
		mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&saved, 0, 8, 0, 0);
}

static void ring(struct g *gp)
{
	/* End its wait, if it is in one.  Each waker looks at the wait the G
	 * published under the wait's lock, whatever the G's status says: the
	 * G publishes its wait, then (under that lock) looks at its pending
	 * bits, and we set a bit, then look at the wait, so one of us sees
	 * the other (the status alone would miss a G between its look and
	 * its park). */
	atomic_thread_fence(memory_order_seq_cst);
	if (!mn_sema_sigcancel(gp) && !mn_join_cancel(gp) && !mn_netpoll_cancel(gp))
		mn_park_cancel(gp);
	/* Running, in a system call, or just leaving a wait: ring its M (a
	 * ring for a G that moved on is ignored there). */
	atomic_store_explicit(&unsettled, true, memory_order_relaxed);
	mn_preempt_ring(gp);
}

int mn_gsig_send(struct g *gp, int sig, const siginfo_t *info)
{
	void *h;
	unsigned long f;
	if (mn_env.dumpsig && sig == mn_env.dumpsig) {
		mn_dump_post(0, false); /* MN_DEBUG=dumpsig: a thread dump instead */
		return 0;
	}
	bool blocked = (*(volatile uint64_t *)&gp->sigmask & bit(sig)) != 0;
	if (!blocked) {
		disposition(sig, &h, &f);
		if (h == (void *)SIG_IGN || (h == (void *)SIG_DFL && default_ignored(sig)))
			return 0; /* discarded at once, as the kernel does */
		if (h == (void *)SIG_DFL) {
			/* Terminate, dump core or stop: the whole process, as
			 * natively; done by the kernel, here. */
			raise_on_m(sig, info, ~bit(sig), true);
			return 0;
		}
	}
	if ((info || sig >= RTMIN) && !slot_put(gp, sig, info)) {
		if (sig >= RTMIN)
			return -EAGAIN;
	}
	/* seq_cst: the bit before the look at the G (ring) */
	atomic_fetch_or_explicit(&gp->sigpending, bit(sig), memory_order_seq_cst);
	if (gp == mn_getg()) {
		if (!blocked && mn_is_g())
			mn_gsig_deliver();
		return 0;
	}
	if (!blocked || (*(volatile uint64_t *)&gp->sigwaiting & bit(sig)))
		ring(gp);
	return 0;
}

struct g *mn_gsig_find_tid(long tid)
{
	struct g *found = NULL;
	mn_allg_lock();
	for (struct g *gp = mn_allg_first(); gp; gp = gp->allnext) {
		/* acquire: a live G's fields before its status */
		uint32_t st = atomic_load_explicit(&gp->status, memory_order_acquire);
		if (gp->fake_tid == tid && st != G_IDLE && st != G_DEAD) {
			found = gp;
			break;
		}
	}
	mn_allg_unlock();
	return found;
}

int mn_gsig_send_tid(long tid, int sig, const siginfo_t *info, long *ret)
{
	int found = 0;
	struct g *mg = mn_sched.maing;
	if (mg && !mn_g_m0main(mg) && tid == mn_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0)) {
		/* main's id is the process's */
		if (atomic_load_explicit(&mg->status, memory_order_acquire) == G_DEAD)
			return 0;
		*ret = sig == 0 ? 0 : mn_gsig_send(mg, sig, info);
		return 1;
	}
	/* The lock keeps a found G's memory (the scavenger frees it off the
	 * list) while we signal it. */
	mn_allg_lock();
	for (struct g *gp = mn_allg_first(); gp; gp = gp->allnext) {
		if (gp->fake_tid != tid)
			continue;
		/* acquire: a live G's fields before its status */
		uint32_t st = atomic_load_explicit(&gp->status, memory_order_acquire);
		if (st == G_IDLE || st == G_DEAD)
			continue;
		found = 1;
		*ret = sig == 0 ? 0 : mn_gsig_send(gp, sig, info);
		break;
	}
	mn_allg_unlock();
	return found;
}

int mn_gsig_deliver(void)
{
	struct g *gp = mn_getg();
	if (!gp || (gp->flags & G_G0))
		return 0;
	int ran = 0;
	uint64_t d;
	while ((d = mn_gsig_deliverable(gp)) != 0) {
		int sig = __builtin_ctzll(d) + 1;
		siginfo_t info;
		bool have = take(gp, sig, &info);
		/* relaxed: our own set */
		atomic_fetch_and_explicit(&gp->sigfromproc, ~bit(sig), memory_order_relaxed);
		void *h;
		unsigned long f;
		disposition(sig, &h, &f);
		if (h != (void *)SIG_IGN && h != (void *)SIG_DFL) {
			ran |= (f & SA_RESTART) ? MN_GSIG_RESTART : MN_GSIG_EINTR;
			gp->sigruns++;
		}
		/* An SA_ONSTACK handler runs on the G's own sigaltstack, if it
		 * set one, installed on the M for the moment. */
		struct m *mp = gp->m;
		bool alt = (f & SA_ONSTACK) && gp->altstack.ss_size && !mn_g_m0main(gp) && mp &&
			   mp->self == mp;
		if (alt && mn_sys6(SYS_sigaltstack, (long)&gp->altstack, 0, 0, 0, 0, 0) == 0)
			mp->altlent = true;
		/* A locked main's M0 runs with main's mask already. */
		raise_on_m(sig, have ? &info : NULL, gp->sigmask, !mn_g_m0main(gp));
		/* Ours back; if the handler parked and we run on another M now,
		 * that one's scheduler takes its own back (mn_schedule). */
		mp = mn_getm();
		if (mp->altlent) {
			mn_sys6(SYS_sigaltstack, (long)&mp->altstack, 0, 0, 0, 0, 0);
			mp->altlent = false;
		}
	}
	return ran;
}

static void proc_claim(struct g *gp, uint64_t want);
uint64_t mn_gsig_proc_pending(void);

int mn_gsig_take(uint64_t set, siginfo_t *info)
{
	struct g *gp = mn_getg();
	uint64_t have = atomic_load_explicit(&gp->sigpending, memory_order_acquire) & set;
	if (!have && mn_sched.mainfree) {
		/* The process's signals: those the router holds, and those
		 * still in the kernel on their way to it (every M blocks them).
		 * The lowest goes first, as the kernel takes them; one still
		 * in the kernel is taken there (the router may take it first:
		 * then it is the router's to hold). */
		uint64_t k = 0, p = mn_gsig_proc_pending() & set;
		if (mn_sys6(SYS_rt_sigpending, (long)&k, 8, 0, 0, 0, 0) == 0)
			k &= set;
		if (k && (!p || __builtin_ctzll(k) < __builtin_ctzll(p))) {
			int ks = __builtin_ctzll(k) + 1;
			uint64_t one = bit(ks);
			struct timespec zero = { 0, 0 };
			siginfo_t si;
			if (mn_sys6(SYS_rt_sigtimedwait, (long)&one, (long)&si, (long)&zero, 8, 0, 0) == ks) {
				if (info)
					*info = si;
				return ks;
			}
			p = mn_gsig_proc_pending() & set;
		}
		if (p) {
			proc_claim(gp, p);
			have = atomic_load_explicit(&gp->sigpending, memory_order_acquire) & set;
		}
	} else if (!have && (mn_gsig_proc_pending() & set)) {
		proc_claim(gp, mn_gsig_proc_pending() & set);
		have = atomic_load_explicit(&gp->sigpending, memory_order_acquire) & set;
	}
	if (!have)
		return 0;
	int sig = __builtin_ctzll(have) + 1;
	siginfo_t si;
	if (!take(gp, sig, &si))
		tkill_info(&si, sig);
	if (info)
		*info = si;
	return sig;
}

void mn_gsig_drop(struct g *gp)
{
	if (atomic_load_explicit(&nslots, memory_order_relaxed) != 0) {
		for (int sig = 1; sig < 65; sig++) {
			siginfo_t drop;
			while (slot_take(gp, sig, &drop))
				;
		}
	}
	atomic_store_explicit(&gp->sigpending, 0, memory_order_relaxed);
}

/* The router gave a signal to a thread in the last 50 ms or so (sysmon
 * forgets it): exiting threads then look for one on its way to them. */
static _Atomic bool routed_lately;
#define ROUTED_LATELY_NS 50000000

void mn_gsig_sysmon(void)
{
	static int64_t forget_at;
	/* relaxed: a hint (exit_drain) */
	if (atomic_load_explicit(&routed_lately, memory_order_relaxed)) {
		int64_t now = mn_nanotime();
		if (forget_at == 0)
			forget_at = now + ROUTED_LATELY_NS;
		else if (now >= forget_at) {
			atomic_store_explicit(&routed_lately, false, memory_order_relaxed);
			forget_at = 0;
		}
	}
	/* relaxed: a hint; a ring after our clear sets it again */
	if (!atomic_exchange_explicit(&unsettled, false, memory_order_relaxed))
		return;
	for (struct m *mp = mn_sched.allm; mp; mp = mp->alllink) {
		/* relaxed: an exited M runs nothing, its curg stays NULL */
		if (atomic_load_explicit(&mp->dead, memory_order_relaxed))
			continue;
		struct g *cg = *(struct g *volatile *)&mp->curg;
		if (cg && cg->magic == G_MAGIC && !(cg->flags & G_G0) && mn_gsig_deliverable(cg)) {
			atomic_store_explicit(&unsettled, true, memory_order_relaxed);
			mn_preempt_ring(cg);
		}
	}
}

/* ------------------------------------------------ process-directed signals */
/* A signal sent to the process goes, natively, to any thread that does not
 * block it, main first.  The kernel sees Ms, and every M blocks every
 * asynchronous signal (m.c: mn_m_sigmask), so a signal sent to the process
 * stays pending for it in the kernel.  A signalfd watching all of them
 * (the routable signals) sits in the netpoller; when one is pending the
 * poll reads it and gives it to a G that takes it (route_one): main if it
 * does not block it, else one waiting for it in sigwait, else one that
 * does not block it (mn_gsig_send: its handler, its wait's EINTR, or the
 * default action: SIGTERM still ends the process).  One that no thread
 * takes goes back to the kernel (keep_in_kernel), where it counts against
 * RLIMIT_SIGPENDING as natively (sigqueue's EAGAIN), and the signalfd
 * stops watching that signal until a thread may take it: a new thread, or
 * one that unblocks it, which takes it from the kernel then (claim_kept);
 * sigpending and sigwait find it in the kernel.  When it cannot go back,
 * it stays pending for the process here (procq), reported by sigpending,
 * taken by sigwait, and delivered to the first thread that unblocks it.
 * The signalfd is made at start-up, so a signal is never
 * missed; its descriptors sit high (netpoll_epoll.c).
 *
 * With MN_DEBUG=lockmain=1, M0 runs main with main's mask: the kernel
 * hands main what main accepts, and the signalfd watches only what main
 * blocks, made once main blocks one.
 *
 * Rejected: loading each G's mask into its M's kernel mask while it runs.
 * A signal may then land on an M inside the scheduler or between Gs, where
 * the program's handler (the kernel's to run, not ours) must not run; the
 * handlers would all need a wrapper of ours, and a switch between Gs with
 * different masks a system call (a microsecond here).  The router costs a
 * poll and a hand-off per process-directed signal: they are rare. */
static const char procq; /* the owner of the process's slots */
static _Atomic uint64_t procpending;
/* Signals no thread took when they came, put back in the kernel, where
 * they stay pending for the process (every M blocks them) and count
 * against the sender's RLIMIT_SIGPENDING, as natively: the router stops
 * watching them until a thread may take them (mn_gsig_unkeep, a claim). */
static _Atomic uint64_t kept;
/* Signals a signalfd of the program reads (mn_gsig_signalfd): the
 * router leaves them pending in the kernel for it. */
static _Atomic uint64_t programfd;
static struct {
	_Atomic int busy; /* a router update in progress */
	int fd;           /* the signalfd, -1 none */
	uint64_t mask;    /* what it watches */
} router = { 0, -1, 0 };

/* Never routed: SIGKILL and SIGSTOP (never blocked), glibc's SIGCANCEL and
 * SIGSETXID, the synchronous signals (the kernel forces those on the
 * faulting thread) and the preemption signal. */
static uint64_t routable(void)
{
	uint64_t no = bit(SIGKILL) | bit(SIGSTOP) | bit(32) | bit(33) | bit(SIGSEGV) | bit(SIGBUS) | bit(SIGFPE) |
		      bit(SIGILL) | bit(SIGTRAP);
	int ps = mn_preempt_signal();
	if (ps)
		no |= bit(ps);
	return ~no;
}

void mn_gsig_router_update(void)
{
	struct g *mg = mn_sched.maing;
	if (mn_sched.mainfree_pending && mg && mn_getg() == mg)
		mn_gsig_main_free(); /* main makes its first thread */
	if (mg == NULL && !mn_sched.mainfree)
		return; /* main is foreign: it takes the process's signals */
	if (mg && !mn_sched.mainfree && !mn_env.lockmain)
		return; /* main on M0 still, alone or about to leave it */
	/* relaxed: main's own mask, read by main or a creator (a stale one
	 * is corrected at main's next pthread_sigmask) */
	uint64_t want = mg && mn_g_m0main(mg) ? *(volatile uint64_t *)&mg->sigmask & routable() : routable();
	/* relaxed: the signalfd's creator calls us after setting it */
	want &= ~atomic_load_explicit(&programfd, memory_order_relaxed);
	/* seq_cst: after keep_in_kernel's store, before its look at the masks */
	want &= ~atomic_load_explicit(&kept, memory_order_seq_cst);
	if (want == router.mask && (router.fd >= 0 || want == 0))
		return;
	int z = 0;
	if (!atomic_compare_exchange_strong_explicit(&router.busy, &z, 1, memory_order_acquire,
						     memory_order_relaxed))
		return; /* another update is on it */
	if (router.fd < 0 && want != 0) {
		long fd = mn_netpoll_highfd((int)mn_sys6(SYS_signalfd4, -1, (long)&want, 8, SFD_NONBLOCK | SFD_CLOEXEC, 0, 0));
		if (fd >= 0 && mn_netpoll_sigfd((int)fd) == 0) {
			router.fd = (int)fd;
			router.mask = want;
		} else if (fd >= 0) {
			mn_sys6(SYS_close, fd, 0, 0, 0, 0, 0);
		}
	} else if (router.fd >= 0 && mn_sys6(SYS_signalfd4, router.fd, (long)&want, 8, SFD_NONBLOCK | SFD_CLOEXEC,
					   0, 0) >= 0) {
		router.mask = want;
	}
	atomic_store_explicit(&router.busy, 0, memory_order_release);
	/* Pending already (sent before we watched): the poll sees it once
	 * epoll reports the descriptor, which it does when it is ready at
	 * registration. */
}

/* Of want, the signals some live G would take (route_one): it does not
 * block them, or waits for them in sigwait.  (Under no lock of ours.) */
static uint64_t accepted_by_some(uint64_t want)
{
	uint64_t acc = 0;
	struct g *mg = mn_sched.maing;
	mn_allg_lock();
	/* main first: it takes most, and ends the walk */
	if (mg && atomic_load_explicit(&mg->status, memory_order_acquire) != G_DEAD)
		acc |= ~*(volatile uint64_t *)&mg->sigmask | *(volatile uint64_t *)&mg->sigwaiting;
	for (struct g *gp = mn_allg_first(); gp && (want & ~acc); gp = gp->allnext) {
		/* acquire: a live G's fields before its status */
		uint32_t st = atomic_load_explicit(&gp->status, memory_order_acquire);
		if (st != G_IDLE && st != G_DEAD && gp->magic == G_MAGIC && !(gp->flags & G_G0))
			acc |= ~*(volatile uint64_t *)&gp->sigmask | *(volatile uint64_t *)&gp->sigwaiting;
	}
	mn_allg_unlock();
	return acc & want;
}

/* si_errno of the copy requeue_first follows through the queue. */
#define KEEP_MARK 0x6b656570

/* Put si back in the kernel's queue for the process, first: a real-time
 * signal's later instances may be queued there already (the router read
 * the oldest), and they must come out in the order they were sent.  The
 * kernel only appends, so the queue is turned round: si marked at the
 * back, everything before the mark taken and put back (n of them), si
 * at the back, then the n again.  Once per signal kept: the router stops
 * watching it first, so later instances stay in the kernel unread.
 * Context: a thread blocking sig (every M and sysmon do).  0 or -errno. */
static long requeue_first(long pid, const siginfo_t *si)
{
	int sig = si->si_signo;
	if (sig < RTMIN)
		return mn_sys6(SYS_rt_sigqueueinfo, pid, sig, (long)si, 0, 0, 0);
	siginfo_t mark = *si, x;
	mark.si_errno = KEEP_MARK;
	long r = mn_sys6(SYS_rt_sigqueueinfo, pid, sig, (long)&mark, 0, 0, 0);
	if (r < 0)
		return r;
	uint64_t one = bit(sig);
	const struct timespec zero = { 0, 0 };
	long n = 0;
	for (;;) {
		if (mn_sys6(SYS_rt_sigtimedwait, (long)&one, (long)&x, (long)&zero, 8, 0, 0) != sig)
			return 0; /* a sigwait took the mark: the order is theirs now */
		if (x.si_errno == KEEP_MARK)
			break;
		mn_sys6(SYS_rt_sigqueueinfo, pid, sig, (long)&x, 0, 0, 0);
		n++;
	}
	mn_sys6(SYS_rt_sigqueueinfo, pid, sig, (long)si, 0, 0, 0);
	for (long i = 0; i < n; i++) {
		if (mn_sys6(SYS_rt_sigtimedwait, (long)&one, (long)&x, (long)&zero, 8, 0, 0) != sig)
			break;
		mn_sys6(SYS_rt_sigqueueinfo, pid, sig, (long)&x, 0, 0, 0);
	}
	return 0;
}

/* si came to the router and no thread takes it: back to the kernel
 * (kept), unless the router cannot stop watching it now. */
static bool keep_in_kernel(const siginfo_t *si)
{
	int sig = si->si_signo;
	uint64_t b = bit(sig);
	/* seq_cst: the store before the look at the masks below; a thread
	 * unblocking it stores its mask, then looks here (mn_gsig_unkeep) */
	atomic_fetch_or_explicit(&kept, b, memory_order_seq_cst);
	mn_gsig_router_update();
	if (router.mask & b) { /* an update in progress elsewhere: hold it here */
		atomic_fetch_and_explicit(&kept, ~b, memory_order_seq_cst);
		return false;
	}
	long pid = mn_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0);
	if (requeue_first(pid, si) < 0) {
		atomic_fetch_and_explicit(&kept, ~b, memory_order_seq_cst);
		mn_gsig_router_update();
		return false;
	}
	/* A thread that unblocked it before our store: watch it again, and
	 * the router gives it to that thread. */
	if (accepted_by_some(b))
		mn_gsig_unkeep(b);
	return true;
}

void mn_gsig_unkeep(uint64_t accepted)
{
	/* seq_cst: after the caller's mask store, as keep_in_kernel */
	uint64_t k = atomic_load_explicit(&kept, memory_order_seq_cst) & accepted;
	if (k) {
		atomic_fetch_and_explicit(&kept, ~k, memory_order_seq_cst);
		mn_gsig_router_update();
	}
}

/* The kept signals in want, for gp: taken from the kernel now (all the
 * queued ones of a real-time signal), and watched by the router again. */
static void claim_kept(struct g *gp, uint64_t want)
{
	uint64_t k = atomic_load_explicit(&kept, memory_order_seq_cst) & want;
	while (k) {
		int sig = __builtin_ctzll(k) + 1;
		uint64_t one = bit(sig);
		k &= k - 1;
		atomic_fetch_and_explicit(&kept, ~one, memory_order_seq_cst);
		mn_gsig_router_update();
		const struct timespec zero = { 0, 0 };
		siginfo_t si;
		while (mn_sys6(SYS_rt_sigtimedwait, (long)&one, (long)&si, (long)&zero, 8, 0, 0) == sig) {
			if (sig >= RTMIN || si.si_code != SI_USER)
				(void)slot_put(gp, sig, &si);
			/* seq_cst: the bit after the slot, as mn_gsig_send */
			atomic_fetch_or_explicit(&gp->sigpending, one, memory_order_seq_cst);
			if (sig < RTMIN)
				break;
		}
	}
}

/* Give one signal to a thread that takes it, or keep it for the process. */
static void route_one(siginfo_t *si)
{
	int sig = si->si_signo;
	if (sig < 1 || sig > 64)
		return;
	if (mn_env.dumpsig && sig == mn_env.dumpsig) {
		mn_dump_post(0, false); /* MN_DEBUG=dumpsig: a thread dump instead */
		return;
	}
	uint64_t b = bit(sig);
	/* relaxed: a hint; checked first, so a flood writes the line once */
	if (!atomic_load_explicit(&routed_lately, memory_order_relaxed))
		atomic_store_explicit(&routed_lately, true, memory_order_relaxed);
	mn_allg_lock();
	struct g *best = NULL;
	struct g *mg = mn_sched.maing;
	/* The kernel raises a CPU-time timer's signal in the thread that was
	 * running at the tick, and gives it to that thread: here, a running G
	 * that takes it, in preference to main (which may be parked behind a
	 * real-time thread that waits for this very handler). */
	if ((sig == SIGPROF || sig == SIGVTALRM) && si->si_code == SI_KERNEL) {
		for (struct g *gp = mn_allg_first(); gp && !best; gp = gp->allnext) {
			/* acquire: a live G's fields before its status */
			if (atomic_load_explicit(&gp->status, memory_order_acquire) == G_RUNNING &&
			    gp->magic == G_MAGIC && !(gp->flags & G_G0) &&
			    !(*(volatile uint64_t *)&gp->sigmask & b))
				best = gp;
		}
		if (best)
			goto found;
	}
	/* acquire: main's fields before its status */
	if (mg && !mn_g_m0main(mg) && atomic_load_explicit(&mg->status, memory_order_acquire) != G_DEAD &&
	    !(*(volatile uint64_t *)&mg->sigmask & b))
		best = mg; /* the kernel's first choice too */
	for (struct g *gp = mn_allg_first(); gp && best != mg; gp = gp->allnext) {
		/* acquire: a live G's fields before its status */
		uint32_t st = atomic_load_explicit(&gp->status, memory_order_acquire);
		if (st == G_IDLE || st == G_DEAD || gp->magic != G_MAGIC)
			continue;
		if (*(volatile uint64_t *)&gp->sigwaiting & b) {
			best = gp;
			break;
		}
		if (!best && !(*(volatile uint64_t *)&gp->sigmask & b))
			best = gp;
	}
found:
	if (best)
		/* relaxed: read by best itself, after the pending bit the send sets */
		atomic_fetch_or_explicit(&best->sigfromproc, b, memory_order_relaxed);
	if (best && best != mn_getg()) {
		mn_gsig_send(best, sig, si);
		mn_allg_unlock();
		return;
	}
	mn_allg_unlock();
	if (best) {
		/* The poller is that G (a write's poke): it runs the handler
		 * itself, never under the lock (a handler may make threads). */
		mn_gsig_send(best, sig, si);
		return;
	}
	if (mg && atomic_load_explicit(&mg->status, memory_order_acquire) != G_DEAD &&
	    !(*(volatile uint64_t *)&mg->sigmask & b)) {
		mn_gsig_send(mg, sig, si); /* main unblocked it meanwhile */
		return;
	}
	if (keep_in_kernel(si))
		return;
	if (sig >= RTMIN || si->si_code != SI_USER)
		slot_put(&procq, sig, si);
	/* seq_cst: the bit after the slot (take_from's second look) */
	atomic_fetch_or_explicit(&procpending, b, memory_order_seq_cst);
}

void mn_gsig_exit_drain(struct g *gp)
{
	/* Given to it and not run yet (its ring still on the way): the
	 * kernel would have run the handler before the thread got this far. */
	if (mn_gsig_deliverable(gp))
		mn_gsig_deliver();
	/* relaxed: a hint, set by route_one */
	if (!atomic_load_explicit(&routed_lately, memory_order_relaxed))
		return;
	uint64_t acc = ~gp->sigmask & router.mask, pend = 0;
	if (!acc || mn_sys6(SYS_rt_sigpending, (long)&pend, 8, 0, 0, 0, 0) != 0 || !(pend & acc))
		return;
	mn_gsig_route_pending();
}

void mn_gsig_exit(struct g *gp)
{
	/* relaxed: our own sets */
	uint64_t back = atomic_load_explicit(&gp->sigpending, memory_order_relaxed) &
			atomic_load_explicit(&gp->sigfromproc, memory_order_relaxed);
	if (back) {
		/* None of them here any more, as the kernel's exit_signals. */
		*(volatile uint64_t *)&gp->sigmask = ~0ULL;
		while (back) {
			int sig = __builtin_ctzll(back) + 1;
			back &= back - 1;
			siginfo_t si;
			if (!take(gp, sig, &si)) {
				memset(&si, 0, sizeof si);
				si.si_signo = sig;
				si.si_code = SI_USER;
			}
			route_one(&si);
		}
	}
	atomic_store_explicit(&gp->sigfromproc, 0, memory_order_relaxed);
	mn_gsig_drop(gp);
}

void mn_gsig_exec_prepare(struct g *gp)
{
	gp->sigexec = 0;
	/* relaxed: our own set */
	uint64_t set = atomic_load_explicit(&gp->sigpending, memory_order_relaxed);
	if (!set || !gp->m)
		return;
	long pid = mn_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0), tid = gp->m->tid;
	while (set) {
		int sig = __builtin_ctzll(set) + 1;
		set &= set - 1;
		/* a real-time signal may be queued more than once */
		do {
			siginfo_t si;
			if (!take(gp, sig, &si))
				tkill_info(&si, sig);
			mn_sys6(SYS_rt_tgsigqueueinfo, pid, tid, sig, (long)&si, 0, 0);
		} while (sig >= RTMIN && (atomic_load_explicit(&gp->sigpending, memory_order_relaxed) & bit(sig)));
		gp->sigexec |= bit(sig);
	}
}

void mn_gsig_exec_failed(struct g *gp)
{
	uint64_t want = gp->sigexec;
	gp->sigexec = 0;
	const struct timespec zero = { 0, 0 };
	while (want) {
		siginfo_t si;
		uint64_t m = want;
		long sig = mn_sys6(SYS_rt_sigtimedwait, (long)&m, (long)&si, (long)&zero, 8, 0, 0);
		if (sig <= 0)
			break;
		if (sig < RTMIN)
			want &= ~bit((int)sig);
		if (si.si_code != SI_TKILL || sig >= RTMIN)
			(void)slot_put(gp, (int)sig, &si);
		/* seq_cst: the bit after the slot, as mn_gsig_send */
		atomic_fetch_or_explicit(&gp->sigpending, bit((int)sig), memory_order_seq_cst);
	}
}

void mn_gsig_route_pending(void)
{
	int fd = router.fd;
	if (fd < 0)
		return;
	/* One at a time: one that no thread takes goes back to the kernel
	 * ahead of the later ones (requeue_first), which must still be there. */
	struct signalfd_siginfo ssi[1];
	for (;;) {
		/* What no thread takes is not read at all: it stays in the
		 * kernel as it came (kept), in its order, counted against
		 * RLIMIT_SIGPENDING.  keep_in_kernel is for one read before a
		 * taker went away. */
		uint64_t pend = 0;
		if (mn_sys6(SYS_rt_sigpending, (long)&pend, 8, 0, 0, 0, 0) == 0) {
			pend &= router.mask;
			uint64_t nobody = pend & ~accepted_by_some(pend);
			if (nobody) {
				/* seq_cst: as keep_in_kernel */
				atomic_fetch_or_explicit(&kept, nobody, memory_order_seq_cst);
				mn_gsig_router_update();
				uint64_t back = accepted_by_some(nobody); /* one unblocked meanwhile */
				if (back)
					mn_gsig_unkeep(back);
			}
		}
		long n = mn_sys6(SYS_read, fd, (long)ssi, sizeof ssi, 0, 0, 0);
		if (n <= 0)
			return;
		for (long i = 0; i < n / (long)sizeof ssi[0]; i++) {
			siginfo_t si;
			memset(&si, 0, sizeof si);
			si.si_signo = (int)ssi[i].ssi_signo;
			si.si_errno = ssi[i].ssi_errno;
			si.si_code = ssi[i].ssi_code;
			si.si_pid = (pid_t)ssi[i].ssi_pid;
			si.si_uid = (uid_t)ssi[i].ssi_uid;
			if (si.si_code == SI_QUEUE || si.si_code == SI_MESGQ || si.si_code == SI_TIMER ||
			    si.si_code == SI_ASYNCIO)
				si.si_value.sival_ptr = (void *)(uintptr_t)ssi[i].ssi_ptr;
			if (si.si_code == SI_TIMER) {
				si.si_timerid = (int)ssi[i].ssi_tid;
				si.si_overrun = (int)ssi[i].ssi_overrun;
			}
			if (si.si_signo == SIGCHLD) {
				si.si_status = ssi[i].ssi_status;
				si.si_utime = (clock_t)ssi[i].ssi_utime;
				si.si_stime = (clock_t)ssi[i].ssi_stime;
			}
			route_one(&si);
		}
	}
}

void mn_gsig_signalfd(uint64_t mask)
{
	mask &= routable();
	/* relaxed: a set only ever growing, read by the router update below */
	if ((atomic_fetch_or_explicit(&programfd, mask, memory_order_relaxed) & mask) == mask)
		return;
	mn_gsig_router_update();
	/* What the router took already goes back to the kernel, for the
	 * program's signalfd to read.  Every M blocks it, so it stays
	 * pending for the process there. */
	long pid = mn_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0);
	uint64_t have;
	while ((have = atomic_load_explicit(&procpending, memory_order_acquire) & mask) != 0) {
		int sig = __builtin_ctzll(have) + 1;
		siginfo_t si;
		if (!take_from(&procq, &procpending, sig, &si) ||
		    mn_sys6(SYS_rt_sigqueueinfo, pid, sig, (long)&si, 0, 0, 0) < 0)
			mn_sys6(SYS_kill, pid, sig, 0, 0, 0, 0);
	}
}

uint64_t mn_gsig_proc_held(void)
{
	/* relaxed: a report */
	return atomic_load_explicit(&procpending, memory_order_relaxed);
}

uint64_t mn_gsig_proc_pending(void)
{
	/* relaxed: a report */
	return atomic_load_explicit(&procpending, memory_order_relaxed) |
	       atomic_load_explicit(&kept, memory_order_relaxed);
}

/* Move what the process has pending that mask lets through to gp. */
static void proc_claim(struct g *gp, uint64_t want)
{
	/* relaxed: a hint; claim_kept looks again */
	if (atomic_load_explicit(&kept, memory_order_relaxed) & want)
		claim_kept(gp, want);
	uint64_t have;
	while ((have = atomic_load_explicit(&procpending, memory_order_acquire) & want) != 0) {
		int sig = __builtin_ctzll(have) + 1;
		siginfo_t si;
		bool slot = take_from(&procq, &procpending, sig, &si);
		if (slot)
			slot_put(gp, sig, &si);
		atomic_fetch_or_explicit(&gp->sigpending, bit(sig), memory_order_seq_cst);
		want &= ~bit(sig);
	}
}

void mn_gsig_claim(void)
{
	struct g *gp = mn_getg();
	if (!gp || (gp->flags & G_G0))
		return;
	uint64_t d = mn_gsig_proc_pending() & ~gp->sigmask;
	if (d)
		proc_claim(gp, d);
}

void mn_gsig_main_free(void)
{
	struct m *mp = mn_getm();
	if (!mn_sched.mainfree_pending || mp->id != 0)
		return;
	struct g *mg = mn_sched.maing;
	/* Main's sigaltstack was M0's until now: it becomes main's own, and
	 * M0 gets its own back. */
	stack_t cur;
	if (mg && mn_sys6(SYS_sigaltstack, 0, (long)&cur, 0, 0, 0, 0) == 0 && !(cur.ss_flags & SS_DISABLE) &&
	    cur.ss_sp != mp->altstack.ss_sp) {
		mg->altstack = cur;
		mg->altstack.ss_flags = 0;
		mn_sys6(SYS_sigaltstack, (long)&mp->altstack, 0, 0, 0, 0, 0);
	}
	mn_sched.mainfree = true;
	mn_sched.mainfree_pending = false;
	/* M0 blocks what every M blocks; the router takes the rest. */
	uint64_t m = mn_m_sigmask();
	mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&m, 0, 8, 0, 0);
	mp->pipeopen = false;
	if (mn_getg() == mg)
		mn_gsig_main_free_rest();
	else
		mn_sched.mainfree_rest = true; /* finish_switch, once main's wait is published */
}

void mn_gsig_main_free_rest(void)
{
	mn_sched.mainfree_rest = false;
	/* sysmon rings Gs (and hands off Ms blocked in the kernel, so that
	 * someone polls the router) from now on, even if no thread is ever
	 * made.  Both take locks: never under the lock main parked with. */
	mn_sysmon_start();
	mn_gsig_router_update();
}

int mn_gsig_vfork_child(void)
{
	/* The child is a thread of its own: the G's mask, not the M's, is
	 * what its calls see and its exec passes on. */
	struct g *gp = mn_tls_g;
	if (gp && gp->magic == G_MAGIC && !(gp->flags & G_G0) && !mn_g_m0main(gp))
		mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&gp->sigmask, 0, 8, 0, 0);
	return 0;
}

void mn_gsig_fork_child(void)
{
	/* The child has no pending signals; its signalfd is made again when
	 * needed (the netpoller forgot it). */
	if (router.fd >= 0)
		mn_sys6(SYS_close, router.fd, 0, 0, 0, 0, 0);
	router.fd = -1;
	router.mask = 0;
	atomic_store_explicit(&router.busy, 0, memory_order_relaxed);
	atomic_store_explicit(&procpending, 0, memory_order_relaxed);
	atomic_store_explicit(&kept, 0, memory_order_relaxed);
	atomic_store_explicit(&nslots, 0, memory_order_relaxed);
	for (int i = 0; i < NSLOTS; i++)
		atomic_store_explicit(&slots[i].state, SLOT_FREE, memory_order_relaxed);
	struct g *self = mn_getg();
	if (self && !(self->flags & G_G0)) {
		atomic_store_explicit(&self->sigpending, 0, memory_order_relaxed);
		self->sigwaiting = 0;
	}
	/* The child's only thread is the forking one; the parent's main is
	 * not in it (unless it forked). */
	if (mn_sched.maing && mn_sched.maing != self)
		mn_sched.maing = NULL;
}
