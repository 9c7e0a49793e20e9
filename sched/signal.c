/* sched/signal.c: per-M signal stacks, the stack-overflow report, and the
 * program's own dispositions of the signals the runtime keeps a handler for.
 *
 * Every M gets a sigaltstack (64 KiB: enough for the report, and later for
 * the preemption handler), so a handler installed with SA_ONSTACK runs
 * even when the G's stack is exhausted.
 *
 * SIGSEGV and SIGBUS always have our handler (fault) in the kernel.  What
 * the program installed for them (before start-up, or since, through the
 * sigaction/signal interposers) is kept here (app[]), reported to it by
 * sigaction, and acted on by fault exactly as the kernel would:
 *  - a fault in the guard page of a G's stack first prints one line,
 *      mnthread: stack overflow in thread N (stack size S)
 *    (natively the kernel can push a handler's frame only on an
 *    alternate stack, so a handler without SA_ONSTACK is not run then);
 *  - a handler runs with the mask it asked for (sa_mask, plus the signal
 *    unless SA_NODEFER) and SA_RESETHAND resets the disposition first;
 *  - SIG_IGN is put in the kernel as well, so a signal sent while it is
 *    ignored is discarded at once, as natively; a fault then kills with
 *    the default action (the kernel forces it), without the report;
 *  - the default action kills the process with that signal (with a core
 *    where the system dumps one): a fault by returning, so the access is
 *    made again with SIG_DFL installed; a sent signal by sending it again.
 * Rejected: letting the program's sigaction replace our handler (its
 * query then reports ours, and a stack overflow is no longer reported).
 */
#include "signal.h"
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "dump.h"
#include "env.h"
#include "lock.h"
#include "throw.h"
#include "sys.h"

#define ALTSTACK_SIZE (64 * 1024)

/* The program's dispositions of SIGSEGV (app[0]), SIGBUS (app[1]) and
 * the preemption signal (app[2], once preemption is on: mn_signal_preempt).
 * Written under app_lock by mn_signal_app; read by the handlers, which
 * copy the one they need (a program changing a disposition while that
 * signal is being delivered gets one or the other, as with the kernel). */
static struct sigaction app[4]; /* app[3]: MN_DEBUG=dumpsig's signal */
static struct mn_lock app_lock = MN_LOCK_INIT(LOCKRANK_SIGAPP);
static _Atomic int preempt_sig; /* 0 until mn_signal_preempt */

static struct sigaction *app_of(int sig)
{
	if (sig == SIGSEGV)
		return &app[0];
	if (sig == SIGBUS)
		return &app[1];
	/* relaxed: set once, before any thread could use the slot */
	if (sig != 0 && sig == atomic_load_explicit(&preempt_sig, memory_order_relaxed))
		return &app[2];
	if (sig != 0 && sig == mn_env.dumpsig)
		return &app[3];
	return NULL;
}

bool mn_signal_owned(int sig) { return app_of(sig) != NULL; }

bool mn_signal_app_peek(int sig, struct sigaction *out)
{
	struct sigaction *slot = app_of(sig);
	if (!slot)
		return false;
	*out = *slot; /* racy, as the handlers' copies (above) */
	return true;
}

void mn_signal_minit(struct m *mp)
{
	void *p = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (p == MAP_FAILED)
		return;
	mp->altstack.ss_sp = p;
	mp->altstack.ss_size = ALTSTACK_SIZE;
	mp->altstack.ss_flags = 0;
	mn_sys6(SYS_sigaltstack, (long)&mp->altstack, 0, 0, 0, 0, 0); /* raw: the interposer is per G */
}

/* The default action of sig, now: the kernel's SIG_DFL, then the fault
 * again (returning re-runs the access) or the signal sent again. */
static void die(int sig, const siginfo_t *si)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	mn_os.sigaction(sig, &dfl, NULL);
	if (si->si_code > 0)
		return;
	uint64_t bit = 1ULL << (sig - 1);
	mn_sys6(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&bit, 0, 8, 0, 0);
	mn_sys6(SYS_tgkill, mn_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0), mn_sys6(SYS_gettid, 0, 0, 0, 0, 0, 0), sig, 0,
		0, 0);
}

/* Run the program's handler act for sig, as the kernel would have: with
 * the mask it asked for, on the M and in the G's own mask (what
 * pthread_sigmask reports); our return (sigreturn) restores the M's, and
 * we the G's.  A handler that siglongjmps out sets the G's itself. */
static void run_handler(int sig, siginfo_t *si, void *ucv, struct sigaction *slot, struct sigaction act)
{
	ucontext_t *uc = ucv;
	struct g *gp = mn_tls_g;
	uint64_t mask, extra;
	memcpy(&mask, &uc->uc_sigmask, sizeof mask);
	memcpy(&extra, &act.sa_mask, sizeof extra);
	if (!(act.sa_flags & SA_NODEFER))
		extra |= 1ULL << (sig - 1);
	/* Never blocked: SIGKILL, SIGSTOP, glibc's SIGCANCEL and SIGSETXID. */
	extra &= ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)) | (3ULL << (32 - 1)));
	mask |= extra;
	mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8, 0, 0);
	struct g *self = gp && !(gp->flags & G_G0) && gp->magic == G_MAGIC ? gp : NULL;
	uint64_t gmask = self ? self->sigmask : 0;
	if (self)
		self->sigmask = gmask | extra;
	/* The kernel resets only the handler: flags and mask stay. */
	if (act.sa_flags & SA_RESETHAND)
		slot->sa_handler = SIG_DFL;
	if (act.sa_flags & SA_SIGINFO)
		act.sa_sigaction(sig, si, ucv);
	else
		act.sa_handler(sig);
	if (self)
		self->sigmask = gmask;
}

/* Context: signal handler (SIGSEGV, SIGBUS) on the M's sigaltstack. */
static void fault(int sig, siginfo_t *si, void *ucv)
{
	struct g *gp = mn_tls_g;
	uintptr_t a = (uintptr_t)si->si_addr;
	bool overflow = false;
	if (si->si_code > 0 && gp && !(gp->flags & (G_G0 | G_MAIN)) && gp->magic == G_MAGIC &&
	    !gp->stack.user && gp->stack.guardsize && a >= (uintptr_t)gp->stack.map &&
	    a < (uintptr_t)gp->stack.map + gp->stack.guardsize) {
		mn_printf("mnthread: stack overflow in thread %lld (stack size %zu)\n",
			  (long long)gp->goid, (size_t)(gp->stack.hi - gp->stack.lo));
		mn_dump_fault(ucv); /* its backtrace, innermost frames first */
		overflow = true;
	}
	struct sigaction *slot = app_of(sig), act = *slot;
	void (*h)(int) = act.sa_handler;
	if (h == SIG_IGN && si->si_code <= 0)
		return;
	if (h == SIG_DFL || h == SIG_IGN || (overflow && !(act.sa_flags & SA_ONSTACK))) {
		die(sig, si);
		return;
	}
	run_handler(sig, si, ucv, slot, act);
}

/* Signals whose default action is to do nothing. */
static bool default_ignored(int sig)
{
	return sig == SIGURG || sig == SIGCHLD || sig == SIGWINCH || sig == SIGCONT;
}

void mn_signal_app_run(int sig, siginfo_t *si, void *ucv)
{
	struct sigaction *slot = app_of(sig);
	if (!slot)
		return;
	struct sigaction act = *slot;
	if (act.sa_handler == SIG_IGN)
		return;
	if (act.sa_handler == SIG_DFL) {
		if (!default_ignored(sig))
			die(sig, si);
		return;
	}
	run_handler(sig, si, ucv, slot, act);
}

/* Put our handler (fault) in the kernel for sig; *old gets what was there. */
static void install(int sig, struct sigaction *old)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fault;
	/* SA_NODEFER: a fault inside the program's handler comes back here,
	 * which applies that handler's own SA_NODEFER. */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	mn_os.sigaction(sig, &sa, old);
}

void mn_signal_preempt(int sig, void (*handler)(int, siginfo_t *, void *))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	/* SA_RESTART: a system call our signal interrupts is restarted by the
	 * kernel where it can be (read, write, futex, wait4, ...). */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	mn_lock(&app_lock);
	mn_os.sigaction(sig, &sa, &app[2]);
	/* relaxed: app_lock orders it with the program's sigaction calls */
	atomic_store_explicit(&preempt_sig, sig, memory_order_relaxed);
	mn_unlock(&app_lock);
}

/* MN_DEBUG=dumpsig's signal, where the kernel delivers it to an M (main
 * on M0 before its first thread, or with lockmain): sysmon dumps.  The
 * router (gsig.c) posts it when the signal comes through it. */
static void dumpsig_handler(int sig, siginfo_t *si, void *ucv)
{
	mn_dump_post(0, false);
}

/* Context: start-up, once, before any G runs. */
void mn_signal_init(void)
{
	if (mn_env.dumpsig) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = dumpsig_handler;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		mn_os.sigaction(mn_env.dumpsig, &sa, &app[3]);
	}
	for (int i = 0; i < 2; i++) {
		int sig = i == 0 ? SIGSEGV : SIGBUS;
		install(sig, &app[i]);
		/* Ignored before start-up: stays ignored in the kernel too
		 * (mn_signal_app). */
		if (app[i].sa_handler == SIG_IGN)
			mn_os.sigaction(sig, &app[i], NULL);
	}
}

/* sigaction for a signal the runtime keeps a handler for: the program's
 * disposition is recorded and reported, ours stays installed.  Returns
 * false for any other signal (the caller uses the kernel's). */
bool mn_signal_app(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction *slot = app_of(sig);
	if (!slot)
		return false;
	mn_lock(&app_lock);
	struct sigaction prev = *slot;
	if (act) {
		*slot = *act;
		/* SIG_IGN goes to the kernel too: a signal sent while it is
		 * ignored is then discarded when it is sent, as natively, not
		 * handled later (a kill() lands on M0 whenever it next runs)
		 * with whatever disposition the program has by then.  A fault
		 * while ignored still kills (the kernel's forced SIG_DFL); it is
		 * only not reported as a stack overflow. */
		bool ign = act->sa_handler == SIG_IGN, was_ign = prev.sa_handler == SIG_IGN;
		if (sig != SIGSEGV && sig != SIGBUS)
			; /* the preemption signal, dumpsig's: our handler stays, whatever the program's */
		else if (ign)
			mn_os.sigaction(sig, act, NULL);
		else if (was_ign)
			install(sig, NULL);
	}
	mn_unlock(&app_lock);
	if (old)
		*old = prev;
	return true;
}
