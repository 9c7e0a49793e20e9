/* shims/sigmask.c: per-thread signal masks.
 *
 * Every G has its own mask, inherited from its creator or taken from the
 * pthread_attr_setsigmask_np attribute, as natively; pthread_sigmask and
 * sigprocmask read and change it.  The main G owns M0 and its mask is also
 * the kernel's for M0.  Other Ms block every asynchronous signal, so
 * process-directed signals reach the main thread (or a foreign thread).
 * Signals sent to one G (raise, pthread_kill, pthread_sigqueue) are
 * pending for it and delivered by it (sched/gsig.c).
 * TODO(issue 13): load a G's mask onto its M when it runs, so that
 * process-directed signals reach any G that does not block them.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include "shims/sigmask.h"
#include "shims/thread.h"
#include "shims/start.h"
#include "sched/runtime.h"
#include "sched/gsig.h"
#include "sched/syscall.h"
#include "sched/sys.h"
#include "shims/poison.h" /* last */

/* Never blocked: SIGCANCEL and SIGSETXID (glibc keeps them out of every
 * mask), SIGKILL and SIGSTOP (the kernel ignores them in a mask). */
#define INTERNAL_MASK ((1ULL << (MN_SIGCANCEL - 1)) | (1ULL << (MN_SIGSETXID - 1)) | (1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)))

static uint64_t kernel_mask(void)
{
	uint64_t m = 0;
	mn_sys6(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&m, 8, 0, 0);
	return m;
}

uint64_t mn_sig_creator_mask(void)
{
	struct g *gp = mn_getg();
	if (gp && mn_is_g())
		return gp->sigmask;
	return kernel_mask() & ~INTERNAL_MASK;
}

void mn_sig_main_init(struct g *gp)
{
	gp->sigmask = kernel_mask() & ~INTERNAL_MASK;
}

int mn_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	struct g *gp = mn_getg();
	uint64_t cur = gp->sigmask;
	if (set) {
		uint64_t s;
		memcpy(&s, set, sizeof s);
		s &= ~INTERNAL_MASK;
		uint64_t nm;
		switch (how) {
		case SIG_BLOCK: nm = cur | s; break;
		case SIG_UNBLOCK: nm = cur & ~s; break;
		case SIG_SETMASK: nm = s; break;
		default: return -EINVAL;
		}
		if (mn_g_m0main(gp)) {
			long r = mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&nm, 0, 8, 0, 0);
			if (r < 0)
				return (int)r;
			gp->sigmask = nm;
			/* What main blocks, the process's other threads may take
			 * (sched/gsig.c). */
			mn_gsig_router_update();
		} else if (cur & ~nm) {
			/* Unblocking: a signal this G raised while it blocked it
			 * waits on the M; let the kernel deliver it now. */
			uint64_t pend = 0;
			mn_sys6(SYS_rt_sigpending, (long)&pend, 8, 0, 0, 0, 0);
			if (pend & cur & ~nm) {
				uint64_t saved;
				mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&nm, (long)&saved, 8, 0, 0);
				mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&saved, 0, 8, 0, 0);
			}
		}
		gp->sigmask = nm;
		/* seq_cst: the mask before the look at what the router keeps in
		 * the kernel (gsig.c: keep_in_kernel looks the other way) */
		if (cur & ~nm)
			atomic_thread_fence(memory_order_seq_cst);
		mn_sigpipe_sync(gp->m, gp);
		/* What was sent to it, or to the process, while it blocked it
		 * arrives now. */
		if (mn_gsig_proc_pending() & ~nm)
			mn_gsig_claim();
		if (mn_gsig_deliverable(gp))
			mn_gsig_deliver();
	}
	if (old) {
		sigemptyset(old);
		memcpy(old, &cur, sizeof cur);
	}
	return 0;
}

/* The G a new program takes its mask from: the calling thread's; NULL
 * when the kernel's mask is right (not a G, main locked to M0, or a vfork
 * child, which took its G's mask at the vfork). */
static struct g *exec_g(void)
{
	struct g *gp = mn_tls_g;
	/* A vfork child's kernel mask is its own already (vfork.S). */
	if (gp == NULL || (gp->flags & G_G0) || gp->magic != G_MAGIC || mn_g_m0main(gp) || mn_tls_vfork_child)
		return NULL;
	return gp;
}

uint64_t mn_sig_exec_begin(void)
{
	struct g *gp = exec_g();
	if (!gp)
		return MN_SIG_NONE;
	uint64_t m = gp->sigmask, saved;
	/* On this M until the exec, with what is pending for it in the
	 * kernel's set there: the new program finds it pending. */
	gp->nopreempt++;
	mn_gsig_exec_prepare(gp);
	/* From here a signal the G takes may land on this M: its handler
	 * runs on the G, as natively on the thread that calls exec. */
	if (mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&m, (long)&saved, 8, 0, 0) < 0) {
		mn_gsig_exec_failed(gp);
		gp->nopreempt--;
		return MN_SIG_NONE;
	}
	return saved;
}

void mn_sig_exec_end(uint64_t saved)
{
	if (saved == MN_SIG_NONE)
		return;
	/* The exec failed: the M's mask back, and the G's signals. */
	mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&saved, 0, 8, 0, 0);
	struct g *gp = exec_g();
	if (gp) {
		mn_gsig_exec_failed(gp);
		gp->nopreempt--;
	}
}

bool mn_sig_spawn_mask(sigset_t *mask)
{
	struct g *gp = exec_g();
	if (!gp)
		return false;
	sigemptyset(mask);
	memcpy(mask, &gp->sigmask, sizeof gp->sigmask);
	return true;
}

void mn_sig_signalfd(const sigset_t *mask)
{
	uint64_t m;
	memcpy(&m, mask, sizeof m);
	mn_gsig_signalfd(m);
}

/* sigsuspend for a G: mask is the G's own for the call, so that a signal
 * it lets through is sent to it (sched/gsig.c); the wait is the kernel's
 * pause on the M, which blocks every such signal itself: a ring ends it.
 * Natively the call's mask would be the kernel's for the thread, and the
 * process's signals could land there; here they go through the router,
 * which must see the G as the one taking them.  Returns -EINTR once a
 * handler ran. */
int mn_sig_suspend(const sigset_t *mask)
{
	struct g *gp = mn_getg();
	uint64_t m, saved = gp->sigmask;
	memcpy(&m, mask, sizeof m);
	m &= ~INTERNAL_MASK;
	uint32_t runs = gp->sigruns;
	gp->sigmask = m;
	mn_sigpipe_sync(gp->m, gp);
	for (;;) {
		if (mn_gsig_proc_pending() & ~m)
			mn_gsig_claim();
		if (mn_gsig_deliverable(gp))
			mn_gsig_deliver();
		if (gp->sigruns != runs)
			break;
		/* A ring before the pause finds us inside the runtime and is
		 * made again by sysmon; one after it ends the pause. */
		gp->waitreason = "sigsuspend"; /* dumps */
		bool entered = mn_entersyscall();
		if (!mn_gsig_deliverable(gp))
			mn_sys6(SYS_pause, 0, 0, 0, 0, 0, 0);
		if (entered)
			mn_exitsyscall();
	}
	gp->sigmask = saved;
	mn_sigpipe_sync(gp->m, gp);
	/* What the call's mask held back and the old one lets through runs
	 * now, as the kernel runs it on the way out of sigsuspend. */
	if (mn_gsig_proc_pending() & ~saved)
		mn_gsig_claim();
	if (mn_gsig_deliverable(gp))
		mn_gsig_deliver();
	return -EINTR;
}

/* A signal the calling G sends itself (raise, pthread_kill of itself):
 * delivered before the call returns, as POSIX asks, unless the G blocks
 * it (then pending for it alone).  0 or -errno. */
int mn_sig_raise_self(int sig)
{
	return mn_gsig_send(mn_getg(), sig, NULL);
}

/* sigpending for a G: the kernel's (the process's, and its M's) and its
 * own. */
int mn_sig_pending(sigset_t *set)
{
	struct g *gp = mn_getg();
	uint64_t k = 0;
	long r = mn_sys6(SYS_rt_sigpending, (long)&k, 8, 0, 0, 0, 0);
	if (r < 0)
		return (int)r;
	/* What the kernel holds for the process and this G does not block is
	 * on its way through the router (every M blocks it): natively it
	 * would have been delivered, or discarded (SIGCHLD ignored by
	 * default), never seen pending.  CPython's test_sigpending_empty saw
	 * a late SIGCHLD there.  (Main still on M0 has the kernel's mask as
	 * its own, and a handler the kernel runs there blocks its signal in
	 * the kernel only: the kernel's answer is right as it is.) */
	if (!mn_g_m0main(gp))
		k &= gp->sigmask;
	/* (what the router keeps in the kernel is in k already, if it is
	 * still there: a sigwait in the kernel may have taken it) */
	k |= atomic_load_explicit(&gp->sigpending, memory_order_relaxed) | mn_gsig_proc_held();
	sigemptyset(set);
	memcpy(set, &k, sizeof k);
	return 0;
}

/* sigwait and its kin: a signal in set pending for the G, taken (with
 * its siginfo); 0 if none. */
int mn_sig_take_pending(const sigset_t *set, siginfo_t *info)
{
	uint64_t want;
	memcpy(&want, set, sizeof want);
	return mn_gsig_take(want, info);
}

/* sigaltstack for a G: the stack is recorded in the G, where the G's
 * signals sent to it (sched/gsig.c) find it; the kernel's stack of the M
 * stays mnthread's (its handlers run there, the program's fault handlers
 * too), so a stack the program frees when its thread ends is never left
 * installed on an OS thread that runs others.  glibc's checks: EINVAL
 * for unknown flags, ENOMEM below MINSIGSTKSZ, EPERM while running on it. */
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#define KERNEL_MINSIGSTKSZ 2048 /* the kernel's check (x86) */

int mn_sig_altstack(const stack_t *ss, stack_t *old)
{
	struct g *gp = mn_getg();
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	uintptr_t lo = (uintptr_t)gp->altstack.ss_sp;
	bool on = !(gp->altstack.ss_flags & SS_DISABLE) && gp->altstack.ss_size && sp >= lo &&
		  sp < lo + gp->altstack.ss_size;
	stack_t cur = gp->altstack;
	if (gp->altstack.ss_size == 0 && gp->altstack.ss_sp == NULL)
		cur.ss_flags = SS_DISABLE;
	if (on)
		cur.ss_flags = SS_ONSTACK;
	if (ss) {
		int fl = ss->ss_flags & ~(int)SS_AUTODISARM;
		if (fl != 0 && fl != SS_DISABLE)
			return -EINVAL;
		if (on)
			return -EPERM;
		if (fl == SS_DISABLE) {
			gp->altstack.ss_sp = NULL;
			gp->altstack.ss_size = 0;
			gp->altstack.ss_flags = SS_DISABLE;
		} else {
			if (ss->ss_size < KERNEL_MINSIGSTKSZ)
				return -ENOMEM;
			gp->altstack = *ss;
		}
	}
	if (old)
		*old = cur;
	return 0;
}
