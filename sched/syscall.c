/* sched/syscall.c: entersyscall / exitsyscall (Go's lazy protocol).
 *
 * A G about to make a call that may block in the kernel (read on a pipe,
 * poll, waitpid, a process-shared lock, ...) marks its P P_SYSCALL and
 * lets go of it (m->p = NULL, m->oldp = P), which costs two plain stores.
 * On return one CAS takes the P back.  If the call blocks, sysmon sees the
 * P in P_SYSCALL with the same syscalltick one tick later and retakes it
 * (CAS to P_IDLE, handoffp) when other work could use it, so the other Gs
 * of that P run on another M; exitsyscall's CAS then fails, and the G
 * takes an idle P or queues itself globally while its M goes idle.
 * While in the call the M holds no P: a signal handler that readies a G
 * there queues it globally, as from a thread that is not a G.
 * TODO(blocking capability): the netpoller (sockets and pipes waiting in
 * epoll instead of an M each), and calls nobody announced (glibc's own
 * read in fgets, a raw futex): sysmon notices those only through them.
 */
#include "syscall.h"
#include "cputime.h"
#include "m.h"
#include "proc.h"

bool mn_entersyscall(void)
{
	struct g *gp = mn_getg();
	struct m *mp = gp->m;
	struct p *pp = mp->p;
	if (pp == NULL)
		return false; /* a signal handler run during another call */
	if (config_debug)
		mn_lockrank_assert_none("entersyscall: blocking while holding a runtime lock");
	mn_gstatus(gp, G_RUNNING, G_SYSCALL, memory_order_relaxed);
	gp->waitsince = mn_cputime_enter(mp, gp);
	atomic_store_explicit(&pp->syscalltick, atomic_load_explicit(&pp->syscalltick, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	/* The P is nobody's while we are in the kernel: whoever wins the CAS
	 * from P_SYSCALL has it.  That may be another M coming back from an
	 * older call on it after sysmon gave it to us (Go has the same ABA,
	 * and the same answer: then our own CAS fails). */
	pp->m = NULL;
	mp->p = NULL;
	mp->oldp = pp;
	/* release: what we did with the P happens before a retaker's CAS */
	mn_pstatus(pp, P_RUNNING, P_SYSCALL, memory_order_release);
	return true;
}

/* Go's entersyscallblock, for a call known to block (a sleep, a
 * process-shared lock that trylock found taken): hand the P off at once
 * rather than after a sysmon tick. */
bool mn_entersyscallblock(void)
{
	struct g *gp = mn_getg();
	struct m *mp = gp->m;
	if (mp->p == NULL)
		return false;
	mn_gstatus(gp, G_RUNNING, G_SYSCALL, memory_order_relaxed);
	gp->waitsince = mn_cputime_enter(mp, gp);
	mp->oldp = NULL;
	mp->p->nhandoff++;
	struct p *pp = mn_releasep();
	if (pp)
		mn_handoffp(pp);
	return true;
}

void mn_exitsyscall(void)
{
	struct g *gp = mn_getg();
	struct m *mp = gp->m;
	struct p *pp = mp->oldp;
	mp->oldp = NULL;
	uint64_t now = mn_cputick();
	mn_cputime_mbusy(mp, now);
	if (__builtin_expect(pp != NULL, 1) && __builtin_expect(mn_syscall_takeback(pp), 1)) {
		mp->p = pp;
		pp->m = mp;
		mn_gstatus(gp, G_SYSCALL, G_RUNNING, memory_order_relaxed);
		mn_cputime_start(gp, mn_cputime_floor(mp, mn_cputime_vnow(mp, now)));
		return;
	}
	/* sysmon retook it while we were in the kernel (or we handed it off
	 * ourselves: entersyscallblock). */
	if (pp)
		atomic_fetch_sub_explicit(&mn_sched.nretaken, 1, memory_order_relaxed);
	if (atomic_load_explicit(&mn_sched.npidle, memory_order_relaxed) > 0) {
		mn_lock(&mn_sched.lock);
		struct p *np = mn_pidleget();
		mn_unlock(&mn_sched.lock);
		if (np) {
			mn_acquirep(np);
			mn_gstatus(gp, G_SYSCALL, G_RUNNING, memory_order_relaxed);
			mn_cputime_gstart(mp, gp);
			return;
		}
	}
	/* No P: queue ourselves and let g0 wait for one (PEND_EXITSYSCALL). */
	mn_gswitch_exitsyscall(gp);
}

/* sysmon: take pp from an M in a system call.  True if it did. */
bool mn_retake_syscall(struct p *pp)
{
	if (!mn_syscall_retake(pp))
		return false;
	/* The M in the call no longer owns it (it finds out by its CAS). */
	/* relaxed: nobody else moves it while it is not P_RUNNING with an owner */
	atomic_store_explicit(&pp->orphaned, P_RELEASED, memory_order_relaxed);
	atomic_fetch_add_explicit(&mn_sched.nretaken, 1, memory_order_relaxed);
	pp->nhandoff++; /* sysmon owns it now, until handoffp gives it away */
	mn_handoffp(pp);
	return true;
}

/* After a waiting call (read, poll, ...) returned: a G that has run 10 ms
 * while others wait (a loop of quick calls never blocks long enough for a
 * retake) lets them run.  Not after calls a signal handler typically
 * makes (write), since a switch inside a handler that interrupted the
 * runtime would be unsafe. */
void mn_preempt_point(void)
{
	struct g *gp = mn_getg();
	struct p *pp = gp->m->p;
	if (pp && atomic_load_explicit(&pp->preempt, memory_order_relaxed))
		mn_gosched();
}
