/* sched/signal.c: per-M signal stacks and the stack-overflow report.
 *
 * Every M gets a sigaltstack (64 KiB: enough for the report, and later for
 * the preemption handler), so a handler installed with SA_ONSTACK runs
 * even when the G's stack is exhausted.  A SIGSEGV/SIGBUS whose address is
 * in the guard of the running G's stack prints one line,
 *   mnthread: stack overflow in thread N (stack size S)
 * and the process then dies of SIGSEGV as it would natively.  Any other
 * fault goes to the handler that was installed before ours, or to the
 * default action.  An application that installs its own handler later
 * replaces ours, as it would replace glibc's default.
 * TODO(signals capability): the per-G mask and chaining of application
 * handlers for the preemption signal.
 */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include "runtime.h"
#include "sys.h"

#define ALTSTACK_SIZE (64 * 1024)

static struct sigaction old_segv, old_bus;

void mn_signal_minit(struct m *mp)
{
	void *p = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (p == MAP_FAILED)
		return;
	mp->altstack.ss_sp = p;
	mp->altstack.ss_size = ALTSTACK_SIZE;
	mp->altstack.ss_flags = 0;
	sigaltstack(&mp->altstack, NULL);
}

static void fault(int sig, siginfo_t *si, void *uc)
{
	struct g *gp = mn_tls_g;
	uintptr_t a = (uintptr_t)si->si_addr;
	if (gp && !(gp->flags & (G_G0 | G_MAIN)) && gp->magic == G_MAGIC && !gp->stack.user &&
	    gp->stack.guardsize && a >= (uintptr_t)gp->stack.map &&
	    a < (uintptr_t)gp->stack.map + gp->stack.guardsize) {
		mn_printf("mnthread: stack overflow in thread %lld (stack size %zu)\n",
			  (long long)gp->goid, (size_t)(gp->stack.hi - gp->stack.lo));
	}
	struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_bus;
	if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
		old->sa_sigaction(sig, si, uc);
		return;
	}
	if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN && old->sa_handler) {
		old->sa_handler(sig);
		return;
	}
	/* Default action: returning re-runs the faulting access, which now
	 * kills the process with the original signal. */
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
}

void mn_signal_init(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
}
