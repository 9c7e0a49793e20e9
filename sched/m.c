/* sched/m.c: Ms (OS threads) and the hand-over of Ps between them.
 *
 * An M is created with glibc's own pthread_create, so glibc sets it up as
 * a real thread (rseq, robust list, set*id handler, __libc_single_threaded
 * cleared).  Its g0 runs on that thread's stack with its TCB; its GS base
 * points at its struct m.  Idle Ms sleep on m->park (a futex note) on the
 * sched.midle list; whoever wakes one first sets m->nextp under sched.lock.
 *
 * Spinning Ms (Go's protocol): an M without work that looks for work to
 * steal is "spinning" and counted in sched.nmspinning.  wakep starts one
 * spinning M only if none spins and a P is idle; an M that finds work while
 * spinning stops spinning and calls wakep (resetspinning), so new work is
 * always picked up without waking an M per ready.
 */
#include "m.h"
#include <linux/futex.h>
#include "env.h"
#include "kprops.h"
#include "netpoll.h"
#include <errno.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <pthread.h>
#include <string.h>
#include <stdlib.h>
#include "preempt.h"
#include "proc.h"
#include "runq.h"
#include "signal.h"
#include "sysmon.h"
#include "cputime.h"
#include "throw.h"
#include "timer.h"
#include "sys.h"

/* How long startm waits for an M about to go idle before making a new
 * one: 256 sched_yields, about 100 us (a yield with nothing else to run
 * is ~0.4 us), longer than an M takes from releasing its P to mput. */
#define STARTM_WAIT_YIELDS 256

/* Context: sched.lock held. */
struct p *mn_pidleget(void)
{
	MN_ASSERT_LOCKED(LOCKRANK_SCHED, "pidleget");
	struct p *pp = mn_sched.pidle;
	if (pp) {
		mn_sched.pidle = pp->link;
		atomic_fetch_sub_explicit(&mn_sched.npidle, 1, memory_order_relaxed);
	}
	return pp;
}

/* Context: sched.lock held; pp has an empty run queue. */
void mn_pidleput(struct p *pp)
{
	MN_ASSERT_LOCKED(LOCKRANK_SCHED, "pidleput");
	/* Released already (releasep, retake's CAS) or never taken. */
	MN_ASSERT(atomic_load_explicit(&pp->status, memory_order_relaxed) == P_IDLE, "pidleput: P not idle");
	MN_ASSERT(mn_runqempty(pp), "pidleput: P has runnable Gs");
	atomic_store_explicit(&pp->status, P_IDLE, memory_order_relaxed);
	pp->m = NULL;
	pp->link = mn_sched.pidle;
	mn_sched.pidle = pp;
	atomic_fetch_add_explicit(&mn_sched.npidle, 1, memory_order_relaxed);
}

/* Context: sched.lock held. */
struct m *mn_mget(void)
{
	MN_ASSERT_LOCKED(LOCKRANK_SCHED, "mget");
	struct m *mp = mn_sched.midle;
	if (mp) {
		mn_sched.midle = mp->schedlink;
		mn_sched.nmidle--;
	}
	return mp;
}

/* Context: sched.lock held. */
void mn_mput(struct m *mp)
{
	MN_ASSERT_LOCKED(LOCKRANK_SCHED, "mput");
	mp->schedlink = mn_sched.midle;
	mn_sched.midle = mp;
	mn_sched.nmidle++;
}

void mn_acquirep(struct p *pp)
{
	struct m *mp = mn_getm();
	if (mp->p != NULL || pp->m != NULL)
		mn_throw("acquirep: already in use");
	mp->p = pp;
	pp->m = mp;
	mn_pstatus(pp, P_IDLE, P_RUNNING, memory_order_relaxed);
	/* relaxed: nobody else can move it from P_RELEASED */
	atomic_store_explicit(&pp->orphaned, P_OWNED, memory_order_relaxed);
	mn_sysmon_wake();
}

/* pp, the M's P, is an orphan: its queued Gs go to the global queue, sysmon
 * may reuse it, and the M has no P.  locked: the caller holds sched.lock. */
static void orphan_retire(struct m *mp, struct p *pp, bool locked)
{
	struct g *head, *tail;
	int n = mn_runqdrain(pp, &head, &tail);
	if (n) {
		if (!locked)
			mn_lock(&mn_sched.lock);
		mn_globrunqputbatch(head, tail, n);
		if (!locked)
			mn_unlock(&mn_sched.lock);
	}
	mp->p = NULL;
	pp->m = NULL;
	atomic_store_explicit(&pp->preempt, false, memory_order_relaxed);
	atomic_fetch_sub_explicit(&mn_sched.nretaken, 1, memory_order_relaxed);
	/* release: our last use of pp before sysmon's reuse (its acquire load) */
	atomic_store_explicit(&pp->orphaned, P_RETIRED, memory_order_release);
	if (n && !locked)
		mn_wakep();
}

static struct p *releasep(bool locked)
{
	struct m *mp = mn_getm();
	struct p *pp = mp->p;
	if (pp == NULL || pp->m != mp)
		mn_throw("releasep: invalid p state");
	int own = P_OWNED;
	/* acq_rel: against sysmon's CAS to P_ORPHANED (one of us gives pp away) */
	if (!atomic_compare_exchange_strong_explicit(&pp->orphaned, &own, P_RELEASED, memory_order_acq_rel,
						     memory_order_relaxed)) {
		orphan_retire(mp, pp, locked);
		return NULL;
	}
	mp->p = NULL;
	pp->m = NULL;
	mn_pstatus(pp, P_RUNNING, P_IDLE, memory_order_relaxed);
	return pp;
}

struct p *mn_releasep(void) { return releasep(false); }
struct p *mn_releasep_locked(void) { return releasep(true); }

uint32_t mn_fastrand(void)
{
	struct m *mp = mn_getm();
	uint32_t x = mp->fastrand; /* xorshift32 */
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	mp->fastrand = x;
	return x;
}

static void *mstart(void *arg);

/* Not calloc: the program's allocator may be the one a G holds a lock of
 * (preempted inside malloc, say), and an M making an M on g0 would then
 * wait for that G with its P (seen with tcmalloc: every M stuck). */
static struct m *allocm(void)
{
	long a = mn_sys6(SYS_mmap, 0, (long)sizeof(struct m), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a < 0 && a > -4096)
		mn_throw("allocm: out of memory");
	struct m *mp = (struct m *)a;
	mp->self = mp;
	mp->g0.flags = G_G0;
	mp->g0.magic = G_MAGIC;
	mp->g0.m = mp;
	mp->g0.status = G_RUNNING;
	mn_lock(&mn_sched.lock);
	mp->id = mn_sched.mnextid++;
	if (++mn_sched.mcount > mn_sched.maxmcount) {
		mn_unlock(&mn_sched.lock);
		mn_printf("mnthread: fatal: thread limit exceeded: the program needs more than "
			  "MN_MAXTHREADS=%d OS threads\n", mn_sched.maxmcount);
		abort();
	}
	mp->alllink = mn_sched.allm;
	mn_sched.allm = mp;
	mn_unlock(&mn_sched.lock);
	mp->fastrand = 0x9e3779b9u * (uint32_t)(mp->id + 1);
	return mp;
}

/* The template thread (Go's templateThread) makes the OS threads of new
 * Ms, for two reasons:
 *  - glibc's pthread_create allocates (the DTV) with the program's
 *    malloc.  A G may hold that allocator's lock while it waits for a P
 *    (preempted inside tcmalloc, say); an M that made the thread itself,
 *    on g0 with a P, would wait for that G, and the G for the P.  The
 *    template thread holds no P: it waits, the G runs, and the M comes.
 *  - A new OS thread inherits its creator's kernel state, so an M whose
 *    state cannot be undone (mp->tainted: a namespace, capabilities,
 *    no_new_privs, a seccomp filter) must not create Ms.
 * It starts with sysmon (the first thread made) or before the first
 * taint (kprops.c), whichever comes first; until then an M makes the
 * thread itself.
 * Ms to start wait on a stack; the thread sleeps on the futex word
 * tmpl_seq, which every push bumps. */
static struct m *_Atomic tmpl_stack;
static _Atomic uint32_t tmpl_seq;
static _Atomic int tmpl_state; /* 0 none, 1 starting, 2 running */

static void start_thread(struct m *mp);

static void *template_thread(void *arg)
{
	(void)arg;
	mn_kprops_minit(); /* the Ms it makes inherit its state */
	for (;;) {
		/* acquire: pairs with the pusher's release bump */
		uint32_t seq = atomic_load_explicit(&tmpl_seq, memory_order_acquire);
		/* acquire: the Ms' fields, written before their push */
		struct m *mp = atomic_exchange_explicit(&tmpl_stack, NULL, memory_order_acquire);
		while (mp) {
			struct m *next = mp->schedlink;
			mp->schedlink = NULL;
			start_thread(mp);
			mp = next;
		}
		mn_sys6(SYS_futex, (long)&tmpl_seq, FUTEX_WAIT_PRIVATE, seq, 0, 0, 0);
	}
	return NULL;
}

void mn_m_template_start(void)
{
	int z = 0;
	if (!atomic_compare_exchange_strong_explicit(&tmpl_state, &z, 1, memory_order_acq_rel, memory_order_acquire))
		return;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, MN_G0_STACK_SIZE);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	uint64_t all = ~0ULL, old;
	mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8, 0, 0);
	pthread_t th;
	int r = mn_os.thread_create(&th, &attr, template_thread, NULL);
	mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
	pthread_attr_destroy(&attr);
	if (r != 0)
		mn_throw("cannot start the template thread");
	/* release: started, for the tainted Ms that read it */
	atomic_store_explicit(&tmpl_state, 2, memory_order_release);
}

bool mn_m_template_running(void)
{
	/* relaxed: a count of threads (deadlock.c) */
	return atomic_load_explicit(&tmpl_state, memory_order_relaxed) == 2;
}

void mn_m_template_fork_child(void)
{
	/* Its thread is not in the child: a tainted M there makes Ms itself. */
	atomic_store_explicit(&tmpl_state, 0, memory_order_relaxed);
	atomic_store_explicit(&tmpl_stack, NULL, memory_order_relaxed);
}

/* Start an OS thread for a new M that will run pp (may be NULL), on a
 * stack of MN_G0_STACK_SIZE (m.h). */
static void newm(struct p *pp, bool spinning)
{
	struct m *mp = allocm();
	mp->nextp = pp;
	atomic_store_explicit(&mp->spinning, spinning, memory_order_relaxed);
	/* acquire: pairs with mn_m_template_start's release */
	if (atomic_load_explicit(&tmpl_state, memory_order_acquire) == 2) {
		struct m *head = atomic_load_explicit(&tmpl_stack, memory_order_relaxed);
		do
			mp->schedlink = head;
		/* release: mp's fields before the template thread takes it */
		while (!atomic_compare_exchange_weak_explicit(&tmpl_stack, &head, mp, memory_order_release,
							      memory_order_relaxed));
		/* release: pairs with the template thread's acquire */
		atomic_fetch_add_explicit(&tmpl_seq, 1, memory_order_release);
		mn_sys6(SYS_futex, (long)&tmpl_seq, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
		return;
	}
	start_thread(mp);
}

static void start_thread(struct m *mp)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, MN_G0_STACK_SIZE);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* raw: pthread_sigmask may be interposed */
	uint64_t all = mn_m_sigmask(), old;
	mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8, 0, 0);
	pthread_t th;
	int r = mn_os.thread_create(&th, &attr, mstart, mp);
	mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		mn_printf("mnthread: fatal: cannot create an OS thread for the scheduler: %s\n", strerror(r));
		abort();
	}
}

/* Ms run with every signal blocked except the synchronous ones (abort
 * unblocks SIGABRT itself before raising it), glibc's SIGCANCEL and
 * SIGSETXID, and sysmon's preemption requests (preempt.c) once preemption
 * is on.  A signal meant for a G reaches it through sched/gsig.c, and the
 * process's signals through its router. */
uint64_t mn_m_sigmask(void)
{
	uint64_t keep = 0;
	const int sync[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGKILL, SIGSTOP, 32, 33 };
	for (size_t i = 0; i < sizeof sync / sizeof sync[0]; i++)
		keep |= 1ULL << (sync[i] - 1);
	/* The configured one even before sysmon turns preemption on (at the
	 * first thread's creation): M0 is set up before that. */
	int ps = mn_preempt_signal() ? mn_preempt_signal() : mn_env.preempt_sig;
	if (ps)
		keep |= 1ULL << (ps - 1);
	return ~keep;
}

static void minit(struct m *mp)
{
	arch_setm(mp);
	mp->tid = mn_gettid();
	mp->tcb = arch_get_fsbase();
	mp->g0.tcb = mp->tcb;
	mp->g0.ctx.fsbase = mp->tcb;
	mn_tls_g = &mp->g0;
	mn_signal_minit(mp);
	mn_preempt_minit(mp);
	mn_kprops_minit();
	mn_cputime_minit(mp);
	/* The program's threads' timer slack, whichever thread made this M
	 * (proc.c: spin_poll_slack). */
	mn_sys6(SYS_prctl, PR_SET_TIMERSLACK, mn_sched.timerslack, 0, 0, 0, 0);
}

static void *mstart(void *arg)
{
	struct m *mp = arg;
	minit(mp);
	/* mn_mexit comes back here, on this same stack (g0's), to end the
	 * OS thread the way glibc expects: by returning. */
	if (__builtin_setjmp(mp->exitbuf) != 0)
		return NULL;
	struct p *pp = mp->nextp;
	mp->nextp = NULL;
	if (pp)
		mn_acquirep(pp);
	else
		mn_stopm();
	mn_schedule();
	return NULL;
}

/* The M's locked G has exited and left kernel state on this OS thread
 * that cannot be undone (mp->tainted): the OS thread goes with it, as a
 * native thread's state goes with the thread.  The process's first OS
 * thread cannot exit without leaving a zombie leader the tools would
 * see: it stays, out of use, asleep for good (Go wedges it too).
 * Context: g0 of mp, holding a P, no lock; does not return. */
void mn_mexit(struct m *mp)
{
	struct p *pp = mn_releasep();
	if (pp)
		mn_handoffp(pp);
	if (mp->tid == (int)mn_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0)) {
		struct mn_note never;
		atomic_store_explicit(&never.key, 0, memory_order_relaxed);
		for (;;)
			mn_notesleep(&never);
	}
	if (mp->preempt_timer >= 0)
		mn_sys6(SYS_timer_delete, mp->preempt_timer, 0, 0, 0, 0, 0);
	mp->preempt_timer = -1;
	mn_lock(&mn_sched.lock);
	mn_sched.mcount--;
	atomic_store_explicit(&mp->dead, true, memory_order_relaxed);
	mn_unlock(&mn_sched.lock);
	if (mp->altstack.ss_sp) {
		stack_t off = { .ss_flags = SS_DISABLE };
		mn_sys6(SYS_sigaltstack, (long)&off, 0, 0, 0, 0, 0);
		mn_sys6(SYS_munmap, (long)mp->altstack.ss_sp, (long)mp->altstack.ss_size, 0, 0, 0, 0);
		mp->altstack.ss_sp = NULL;
	}
	__builtin_longjmp(mp->exitbuf, 1);
}

/* The main thread as M0.  Its g0 is a fresh context on its own stack: the
 * process stack belongs to the main G. */
struct m *mn_m0_setup(void)
{
	struct m *mp = allocm();
	minit(mp);
	return mp;
}

/* Run pp on some M: an idle one, or a new one.  pp NULL: take an idle P,
 * or do nothing.  spinning: the new M is spinning (the caller incremented
 * nmspinning). */
void mn_startm(struct p *pp, bool spinning)
{
	mn_lock(&mn_sched.lock);
	if (pp == NULL) {
		pp = mn_pidleget();
		if (pp == NULL) {
			mn_unlock(&mn_sched.lock);
			if (spinning)
				atomic_fetch_sub_explicit(&mn_sched.nmspinning, 1, memory_order_relaxed);
			return;
		}
	}
	struct m *mp = mn_mget();
	if (mp == NULL &&
	    mn_sched.mcount - atomic_load_explicit(&mn_sched.nretaken, memory_order_relaxed) > mn_sched.nprocs) {
		/* As many Ms as Ps (plus M0) exist: one is almost surely between
		 * giving up its P and going idle.  Wait a little for it rather
		 * than grow the thread count for a moment's race (up to about
		 * 100 us: 256 yields). */
		for (int i = 0; i < STARTM_WAIT_YIELDS && mp == NULL; i++) {
			mn_unlock(&mn_sched.lock);
			mn_sys3(SYS_sched_yield, 0, 0, 0);
			mn_lock(&mn_sched.lock);
			mp = mn_mget();
		}
	}
	if (mp == NULL) {
		mn_unlock(&mn_sched.lock);
		newm(pp, spinning);
		return;
	}
	atomic_store_explicit(&mp->spinning, spinning, memory_order_relaxed);
	mp->nextp = pp;
	mn_unlock(&mn_sched.lock);
	mn_notewakeup(&mp->park);
}

/* Stop the current M (no P) until startm hands it one.  Context: g0. */
void mn_stopm(void)
{
	struct m *mp = mn_getm();
	MN_ASSERT_G0("stopm");
	if (mp->p)
		mn_throw("stopm: holding p");
	/* Gs wait in the netpoller and nobody polls (we may have been its
	 * last hope: an orphan's M, a G's M that lost its P in a system
	 * call): an M with an idle P goes to look, and polls. */
	if (mn_netpoll_waiters() > 0 && !mn_netpoll_blocked())
		mn_wakep();
	mn_lock(&mn_sched.lock);
	mn_mput(mp);
	mn_unlock(&mn_sched.lock);
	if (config_debug)
		mn_lockrank_assert_none("stopm: sleeping while holding a runtime lock");
	mn_cputime_midle(mp, mn_cputick());
	mn_notesleep(&mp->park);
	mn_cputime_mbusy(mp, mn_cputick());
	mn_noteclear(&mp->park);
	struct p *pp = mp->nextp;
	mp->nextp = NULL;
	mn_acquirep(pp);
}

/* Someone made work: start a spinning M if a P is idle and none spins. */
void mn_wakep(void)
{
	if (atomic_load_explicit(&mn_sched.npidle, memory_order_relaxed) == 0)
		return;
	int32_t z = 0;
	if (atomic_load_explicit(&mn_sched.nmspinning, memory_order_relaxed) != 0 ||
	    !atomic_compare_exchange_strong_explicit(&mn_sched.nmspinning, &z, 1, memory_order_acq_rel,
						     memory_order_relaxed))
		return;
	mn_startm(NULL, true);
}

/* Hand off pp from an M that cannot run it (blocked, locked G parked). */
void mn_handoffp(struct p *pp)
{
	if (!mn_runqempty(pp) || atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed) != 0) {
		mn_startm(pp, false);
		return;
	}
	/* No local work: start a spinning M if nobody is looking for work. */
	int32_t z = 0;
	if (atomic_load_explicit(&mn_sched.nmspinning, memory_order_relaxed) +
			atomic_load_explicit(&mn_sched.npidle, memory_order_relaxed) == 0 &&
	    atomic_compare_exchange_strong_explicit(&mn_sched.nmspinning, &z, 1, memory_order_acq_rel,
						     memory_order_relaxed)) {
		mn_startm(pp, true);
		return;
	}
	mn_lock(&mn_sched.lock);
	if (atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed) != 0) {
		mn_unlock(&mn_sched.lock);
		mn_startm(pp, false);
		return;
	}
	/* A timer may be due while every other P sleeps, or Gs wait in the
	 * netpoller and nobody polls: an M with this P goes to look (and,
	 * finding nothing, waits in the poll or until the timer). */
	if ((mn_timers_next_all() != 0 || (mn_netpoll_waiters() > 0 && !mn_netpoll_blocked())) &&
	    atomic_load_explicit(&mn_sched.npidle, memory_order_relaxed) == mn_sched.nprocs - 1) {
		mn_unlock(&mn_sched.lock);
		mn_startm(pp, false);
		return;
	}
	mn_pidleput(pp);
	mn_unlock(&mn_sched.lock);
}
