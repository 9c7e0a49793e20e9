/* shims/signal.c: per-thread signal masks.
 *
 * Every G has its own mask, inherited from its creator or taken from the
 * pthread_attr_setsigmask_np attribute, as natively; pthread_sigmask and
 * sigprocmask read and change it.  The main G owns M0 and its mask is also
 * the kernel's for M0.  Other Ms block every asynchronous signal, so
 * process-directed signals reach the main thread (or a foreign thread).
 * TODO(signals capability): load a G's mask onto its M when it runs, so
 * that signals are delivered to any G that does not block them, and
 * pthread_kill to a G.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include "shims/thread.h"
#include "sched/runtime.h"
#include "sched/sys.h"

/* glibc never lets a program block these (SIGCANCEL, SIGSETXID). */
#define INTERNAL_MASK ((1ULL << (32 - 1)) | (1ULL << (33 - 1)))

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
		default: return EINVAL;
		}
		if (gp->flags & G_MAIN) {
			long r = mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&nm, 0, 8, 0, 0);
			if (r < 0)
				return (int)-r;
		}
		gp->sigmask = nm;
	}
	if (old) {
		sigemptyset(old);
		memcpy(old, &cur, sizeof cur);
	}
	return 0;
}
