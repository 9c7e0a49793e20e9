/* sched/kprops.c: threads with kernel state of their own.
 *
 * Affinity, the nice value and the scheduling policy and priority are the
 * kernel's, per OS thread.  A G that sets one for itself (or has one set
 * for it) becomes a locked G, as Go's LockOSThread makes one: it is
 * locked to the M it runs on (g->lockedm, m->lockedg), the kernel call
 * is made there, on that M's thread, and from then on that M runs only
 * that G (proc.c: stoplockedm, startlockedm), so the kernel applies the
 * property to it and to nothing else.  sched_getcpu then answers
 * truthfully, since the G's M never runs elsewhere than its mask allows.
 *  - For the calling G, the call is made at once and its error is the
 *    answer (EINVAL, EPERM for a real-time policy without the right).
 *  - For another G, the values are recorded with a pending bit, and the
 *    first M to run it afterwards locks it and applies them before
 *    switching to it (execute; no direct switch to such a G).  An error
 *    then has nobody to go to: the kernel's checks that can be made
 *    early (the mask against the CPUs allowed, the priority range) are
 *    made by the caller.
 *  - When a locked G exits, its M gets the defaults back (the values at
 *    start-up) and is free for any G.  An M that a locked M made (its
 *    OS thread inherits the creator's state) takes the defaults when it
 *    starts (mn_kprops_minit).
 * Rejected: an M per property value, shared by the Gs that have it (the
 * Gs would then be scheduled by the kernel among themselves, and two
 * such Gs could wait on each other across a busy M).
 * Kernel state that cannot be undone (unshare, setns, capset, seccomp and
 * prctl's per-thread options: mn_kprops_taint) locks the G the same way
 * and marks its M tainted: when the G exits, the M's OS thread exits with
 * it (m.c: mn_mexit), so no later G runs in a namespace, with
 * capabilities or a filter it never asked for.  Another G's state of that
 * kind cannot be set (the kernel has no such call either).
 * MN_DEBUG=lockthreads=1 locks every G to an M of its own (KP_LOCK),
 * for programs that need the kernel to see each thread.
 */
#include "kprops.h"
#include "m.h"
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include "sys.h"

static struct {
	cpu_set_t cpus;
	int nice;
	int policy;
	struct sched_param param;
} def;

void mn_kprops_init(void)
{
	if (mn_sys6(SYS_sched_getaffinity, 0, sizeof def.cpus, (long)&def.cpus, 0, 0, 0) < 0)
		CPU_ZERO(&def.cpus);
	/* The raw getpriority answers 20 - nice. */
	long p = mn_sys6(SYS_getpriority, PRIO_PROCESS, 0, 0, 0, 0, 0);
	def.nice = p > 0 ? 20 - (int)p : 0;
	long pol = mn_sys6(SYS_sched_getscheduler, 0, 0, 0, 0, 0, 0);
	def.policy = pol >= 0 ? (int)pol : SCHED_OTHER;
	if (mn_sys6(SYS_sched_getparam, 0, (long)&def.param, 0, 0, 0, 0) < 0)
		def.param.sched_priority = 0;
}

int mn_kprops_default_nice(void) { return def.nice; }

void mn_kprops_default_sched(int *policy, int *prio)
{
	*policy = def.policy;
	*prio = def.param.sched_priority;
}

bool mn_kprops_is_default(unsigned what, const void *value)
{
	if (what == KP_AFFINITY)
		return CPU_EQUAL((const cpu_set_t *)value, &def.cpus);
	return false;
}

/* Some G has had kernel state applied: a new M may have inherited it
 * from the OS thread that made it (a locked M starting another). */
static _Atomic bool used;

void mn_kprops_minit(void)
{
	/* relaxed: a G applies state only after start-up made the first Ms */
	if (!atomic_load_explicit(&used, memory_order_relaxed))
		return;
	mn_sys6(SYS_sched_setaffinity, 0, sizeof def.cpus, (long)&def.cpus, 0, 0, 0);
	mn_sys6(SYS_sched_setscheduler, 0, def.policy, (long)&def.param, 0, 0, 0);
	mn_sys6(SYS_setpriority, PRIO_PROCESS, 0, def.nice, 0, 0, 0);
}

/* Apply what on the calling M's thread: 0 or -errno (the first error). */
static int apply(struct g *gp, unsigned what)
{
	long r = 0, e;
	if ((what & KP_AFFINITY) && gp->affinity) {
		e = mn_sys6(SYS_sched_setaffinity, 0, sizeof(cpu_set_t), (long)gp->affinity, 0, 0, 0);
		if (e < 0 && r == 0)
			r = e;
	}
	if (what & KP_SCHED) {
		struct sched_param sp = { .sched_priority = gp->schedprio };
		e = mn_sys6(SYS_sched_setscheduler, 0, gp->schedpolicy, (long)&sp, 0, 0, 0);
		if (e < 0 && r == 0)
			r = e;
	}
	if (what & KP_NICE) {
		e = mn_sys6(SYS_setpriority, PRIO_PROCESS, 0, gp->nice, 0, 0, 0);
		if (e < 0 && r == 0)
			r = e;
	}
	gp->kapplied |= (uint8_t)what;
	atomic_store_explicit(&used, true, memory_order_relaxed);
	return (int)r;
}

static void lock(struct m *mp, struct g *gp)
{
	if (gp->lockedm == NULL) {
		gp->lockedm = mp;
		mp->lockedg = gp;
	}
}

long mn_kprops_taint(long nr, long a1, long a2, long a3, long a4, long a5)
{
	struct g *gp = mn_getg();
	/* New Ms must not inherit what this call may do to our OS thread. */
	mn_m_template_start();
	/* Not preempted between reading its M and the call (as above). */
	gp->nopreempt++;
	struct m *mp = gp->m;
	bool was = gp->lockedm != NULL;
	lock(mp, gp);
	long r = mn_sys6(nr, a1, a2, a3, a4, a5, 0);
	if (r >= 0) {
		mp->tainted = true;
	} else if (!was && gp->kapplied == 0) {
		/* Nothing changed: the G stays free to move. */
		mp->lockedg = NULL;
		gp->lockedm = NULL;
	}
	gp->nopreempt--;
	return r;
}

int mn_kprops_set(struct g *gp, unsigned what)
{
	if (gp == mn_getg() && mn_is_g()) {
		/* Not preempted between reading its M and the kernel call (it
		 * could move to another M, which the call would then taint). */
		gp->nopreempt++;
		bool was = gp->lockedm != NULL;
		lock(gp->m, gp);
		int r = apply(gp, what);
		if (r < 0) {
			/* apply counted it as applied; the caller puts the old
			 * values back.  Nothing applied before: free to move. */
			gp->kapplied &= (uint8_t)~what;
			if (!was && gp->kapplied == 0 && !gp->m->tainted) {
				gp->m->lockedg = NULL;
				gp->lockedm = NULL;
			}
		}
		gp->nopreempt--;
		return r;
	}
	/* release: the fields before the bit; execute's acquire pairs */
	atomic_fetch_or_explicit(&gp->kpending, (uint8_t)what, memory_order_release);
	return 0;
}

void mn_kprops_run(struct m *mp, struct g *gp)
{
	unsigned what = atomic_exchange_explicit(&gp->kpending, 0, memory_order_acquire);
	if (what == 0)
		return;
	if (gp->lockedm != NULL && gp->lockedm != mp)
		return; /* not its M: cannot happen (execute runs a locked G on its own) */
	lock(mp, gp);
	(void)apply(gp, what);
}

void mn_kprops_exit(struct m *mp, struct g *gp)
{
	unsigned had = gp->kapplied;
	if (had & KP_AFFINITY)
		mn_sys6(SYS_sched_setaffinity, 0, sizeof def.cpus, (long)&def.cpus, 0, 0, 0);
	if (had & KP_SCHED)
		mn_sys6(SYS_sched_setscheduler, 0, def.policy, (long)&def.param, 0, 0, 0);
	if (had & KP_NICE)
		mn_sys6(SYS_setpriority, PRIO_PROCESS, 0, def.nice, 0, 0, 0);
	gp->kapplied = 0;
	atomic_store_explicit(&gp->kpending, 0, memory_order_relaxed);
	if (mp->lockedg == gp) {
		mp->lockedg = NULL;
		gp->lockedm = NULL;
	}
}
