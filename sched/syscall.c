/* sched/syscall.c: entersyscall / exitsyscall.
 *
 * A G about to make a call that may block in the kernel (a process-shared
 * lock, a shared futex, ...) gives its P away first, so the other Gs of
 * that P keep running on another M; on return it takes back an idle P if
 * there is one, else it queues itself globally and its M goes idle.
 * This is the eager form of Go's protocol (handoffp at entry).
 * TODO(blocking capability): the lazy form: keep the P in P_SYSCALL and
 * let sysmon retake it after 20 us, so short calls cost nothing; wrap
 * read/write/... and add the netpoller.
 */
#include "runtime.h"

void mn_entersyscall(void)
{
	struct g *gp = mn_getg();
	atomic_store_explicit(&gp->status, G_SYSCALL, memory_order_relaxed);
	struct p *pp = mn_releasep();
	mn_handoffp(pp);
}

void mn_exitsyscall(void)
{
	struct g *gp = mn_getg();
	if (atomic_load_explicit(&mn_sched.npidle, memory_order_relaxed) > 0) {
		mn_lock(&mn_sched.lock);
		struct p *pp = mn_pidleget();
		mn_unlock(&mn_sched.lock);
		if (pp) {
			mn_acquirep(pp);
			atomic_store_explicit(&gp->status, G_RUNNING, memory_order_relaxed);
			return;
		}
	}
	/* No P: queue ourselves and let g0 wait for one (PEND_EXITSYSCALL). */
	mn_gswitch_exitsyscall(gp);
}
