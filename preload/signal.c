/* preload/signal.c: per-G signal masks (shims/sigmask.c); sigaction and
 * the signal() family, for the signals the runtime keeps a handler for
 * (SIGSEGV, SIGBUS and, once preemption is on, its signal: sched/signal.c).  The program's disposition of those is recorded and reported back as its own;
 * every other signal goes to glibc.  glibc's signal(), bsd_signal() and
 * sysv_signal() call its sigaction internally, where no interposer sees
 * it, so they are here too, with glibc's flags. */
#include <signal.h>
#include <sys/signalfd.h>
#include <string.h>
#include "preload/preload.h"
#include "sched/signal.h"

/* Signal masks are per thread, so per G (shims/sigmask.c). */
MN_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	if (!mn_shim_active() || !mn_is_g())
		return REAL(pthread_sigmask)(how, set, old);
	return -mn_sigmask(how, set, old);
}

/* A thread's alternate signal stack is its own (shims/sigmask.c); main's
 * is its OS thread's, as before. */
MN_EXPORT int sigaltstack(const stack_t *ss, stack_t *old)
{
	if (!mn_shim_active() || !mn_is_g() || mn_g_m0main(mn_getg()))
		return REAL(sigaltstack)(ss, old);
	int e = mn_sig_altstack(ss, old);
	if (e) {
		errno = -e;
		return -1;
	}
	return 0;
}

/* A signalfd reads the process's pending signals: the runtime's own
 * router leaves the ones it reads to it. */
MN_EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
	int r = REAL(signalfd)(fd, mask, flags);
	if (r >= 0 && mn_shim_active())
		mn_sig_signalfd(mask);
	return r;
}

MN_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	if (!mn_shim_active() || !mn_is_g())
		return REAL(sigprocmask)(how, set, old);
	int e = mn_sigmask(how, set, old);
	if (e) {
		errno = -e;
		return -1;
	}
	return 0;
}

MN_EXPORT int sigpending(sigset_t *set)
{
	if (!mn_shim_active() || !mn_is_g())
		return REAL(sigpending)(set);
	int e = mn_sig_pending(set);
	if (e) {
		errno = -e;
		return -1;
	}
	return 0;
}

static bool owned(int sig)
{
	return mn_shim_active() && mn_signal_owned(sig);
}

MN_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (!owned(sig))
		return REAL(sigaction)(sig, act, old);
	mn_signal_app(sig, act, old);
	return 0;
}

/* signal() with the given flags and mask; SIG_ERR and EINVAL for a bad
 * signal or handler, as glibc. */
static __sighandler_t set_handler(int sig, __sighandler_t h, int flags, bool mask_self)
{
	struct sigaction sa, old;
	if (h == SIG_ERR || sig < 1 || sig >= NSIG) {
		errno = EINVAL;
		return SIG_ERR;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = h;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (mask_self)
		sigaddset(&sa.sa_mask, sig);
	if (sigaction(sig, &sa, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

/* BSD semantics (glibc's signal and bsd_signal): the handler stays, the
 * signal is blocked while it runs, calls restart (unless siginterrupt
 * said otherwise for sig, which only glibc knows: not for SIGSEGV/SIGBUS). */
MN_EXPORT __sighandler_t signal(int sig, __sighandler_t h)
{
	if (!owned(sig))
		return REAL(signal)(sig, h);
	return set_handler(sig, h, SA_RESTART, true);
}

MN_EXPORT __sighandler_t bsd_signal(int sig, __sighandler_t h)
{
	if (!owned(sig))
		return REAL(bsd_signal)(sig, h);
	return set_handler(sig, h, SA_RESTART, true);
}

/* System V semantics: one-shot, not blocked while it runs, no restart. */
MN_EXPORT __sighandler_t sysv_signal(int sig, __sighandler_t h)
{
	if (!owned(sig))
		return REAL(sysv_signal)(sig, h);
	return set_handler(sig, h, SA_RESETHAND | SA_NODEFER, false);
}

/* tgkill(3) (glibc 2.30) to the caller's own id: the G's (see gettid). */
MN_EXPORT int tgkill(pid_t pid, pid_t tid, int sig)
{
	long ret;
	if (mn_shim_active() && mn_thread_tgkill(pid, tid, sig, NULL, &ret)) {
		if (ret < 0) {
			errno = (int)-ret;
			return -1;
		}
		return 0;
	}
	return REAL(tgkill)(pid, tid, sig);
}

/* The System V and BSD mask calls: glibc makes them change the mask with
 * its internal sigprocmask, which would be the OS thread's, not the
 * thread's; here they go through ours.  (Deprecated in the headers.) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static int one_signal(int how, int sig, sigset_t *old)
{
	sigset_t s;
	sigemptyset(&s);
	if (sig < 1 || sig >= NSIG || sigaddset(&s, sig) < 0) {
		errno = EINVAL;
		return -1;
	}
	return sigprocmask(how, &s, old);
}
MN_EXPORT int sighold(int sig) { return one_signal(SIG_BLOCK, sig, NULL); }
MN_EXPORT int sigrelse(int sig) { return one_signal(SIG_UNBLOCK, sig, NULL); }
MN_EXPORT int sigignore(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	return sigaction(sig, &sa, NULL);
}
/* SIG_HOLD blocks sig; any other disposition is installed and sig
 * unblocked.  The answer is SIG_HOLD when sig was blocked, else the
 * disposition it had. */
MN_EXPORT __sighandler_t sigset(int sig, __sighandler_t disp)
{
	sigset_t old;
	struct sigaction sa, prev;
	if (disp == SIG_HOLD) {
		if (one_signal(SIG_BLOCK, sig, &old) < 0 || sigaction(sig, NULL, &prev) < 0)
			return SIG_ERR;
		return sigismember(&old, sig) ? SIG_HOLD : prev.sa_handler;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = disp;
	if (sig < 1 || sig >= NSIG || disp == SIG_ERR || sigaction(sig, &sa, &prev) < 0) {
		errno = EINVAL;
		return SIG_ERR;
	}
	if (one_signal(SIG_UNBLOCK, sig, &old) < 0)
		return SIG_ERR;
	return sigismember(&old, sig) ? SIG_HOLD : prev.sa_handler;
}
/* BSD masks: an int, bit sig - 1 for the signals below 32. */
static int bsd_mask(int how, int mask)
{
	sigset_t s, old;
	sigemptyset(&s);
	for (int sig = 1; sig < 32; sig++)
		if (mask & (1 << (sig - 1)))
			sigaddset(&s, sig);
	if (sigprocmask(how, how == SIG_BLOCK && mask == 0 ? NULL : &s, &old) < 0)
		return -1;
	int r = 0;
	for (int sig = 1; sig < 32; sig++)
		if (sigismember(&old, sig))
			r |= 1 << (sig - 1);
	return r;
}
MN_EXPORT int sigblock(int mask) { return bsd_mask(SIG_BLOCK, mask); }
MN_EXPORT int sigsetmask(int mask) { return bsd_mask(SIG_SETMASK, mask); }
MN_EXPORT int siggetmask(void) { return bsd_mask(SIG_BLOCK, 0); }
/* sigpause: wait for a signal with sig taken out of the mask (XSI, what
 * <signal.h> names sigpause), or with the BSD int mask; glibc's own
 * versions suspend with the OS thread's mask. */
int __sigpause(int sig_or_mask, int is_sig);
int __xpg_sigpause(int sig);
MN_EXPORT int __sigpause(int sig_or_mask, int is_sig)
{
	sigset_t m;
	if (is_sig) {
		if (sig_or_mask < 1 || sig_or_mask >= NSIG) {
			errno = EINVAL;
			return -1;
		}
		sigprocmask(SIG_BLOCK, NULL, &m);
		sigdelset(&m, sig_or_mask);
	} else {
		sigemptyset(&m);
		for (int sig = 1; sig < 32; sig++)
			if (sig_or_mask & (1 << (sig - 1)))
				sigaddset(&m, sig);
	}
	return sigsuspend(&m);
}
MN_EXPORT int __xpg_sigpause(int sig) { return __sigpause(sig, 1); }
/* <signal.h> binds the name sigpause to __xpg_sigpause; glibc's symbol
 * sigpause itself is the BSD one, with a mask. */
MN_EXPORT int mn_bsd_sigpause(int mask) __asm__("sigpause");
MN_EXPORT int mn_bsd_sigpause(int mask) { return __sigpause(mask, 0); }
#pragma GCC diagnostic pop
