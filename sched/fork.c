/* sched/fork.c: the runtime in the child of fork().
 *
 * The child has one OS thread, the one that forked, and it is running the
 * G that called fork (or a thread that is not a G).  Every other M, and
 * every G that is not running there, exists only as memory copied from
 * the parent: like glibc, which drops the parent's other threads in the
 * child, we forget them.  What they may have been doing at the moment of
 * the fork (holding a runtime lock, halfway through a list) is dropped
 * with them: every lock is reset, and every structure another M could
 * have been changing is emptied rather than walked (run queues, the idle
 * lists, the timer heap, the wait queues, the free-G lists of other Ps).
 * Their memory is leaked; the forking M keeps its P, its own free Gs and
 * stacks.  New threads then get new Ms as usual.
 *
 * Runs as the first of the program's atfork child handlers (registered at
 * init), on the forking thread. */
#include "fork.h"
#include "m.h"
#include "gfree.h"
#include "gsig.h"
#include <signal.h>
#include "join.h"
#include "sema.h"
#include "preempt.h"
#include "sysmon.h"
#include "tcb.h"
#include "netpoll.h"
#include "timer.h"
#include "sys.h"
#include "cputime.h"
#include "env.h"

void mn_fork_child(void)
{
	struct g *self = mn_is_g() ? mn_getg() : NULL;
	struct m *mp = self ? self->m : NULL;
	struct p *mine = mp ? mp->p : NULL;
	/* The forking thread is a new OS thread in the child: signals for
	 * its M (preemption, rings, a G raising a signal) go to its id. */
	if (mp)
		mp->tid = mn_gettid();

	mn_tcb_fork_child(mp ? mp->tcb : 0, self);
	mn_sema_fork_child();
	mn_timers_fork_child();
	mn_netpoll_fork_child();
	mn_gsig_fork_child();
	if (self)
		mn_cputime_fork_child(self);

	struct sched *s = &mn_sched;
	atomic_store_explicit(&s->lock.key, 0, memory_order_relaxed);
	atomic_store_explicit(&s->gflock.key, 0, memory_order_relaxed);
	s->runqhead = s->runqtail = NULL;
	atomic_store_explicit(&s->runqsize, 0, memory_order_relaxed);
	mn_gfree_fork_child();
	mn_allg_fork_child(self, mine ? mine->gfree : NULL);
	s->midle = NULL;
	s->nmidle = 0;
	atomic_store_explicit(&s->nmspinning, 0, memory_order_relaxed);
	s->allm = mp;
	s->mcount = mp ? 1 : 0;
	if (mp) {
		mp->alllink = NULL;
		mp->schedlink = NULL;
		mp->nextp = NULL;
		atomic_store_explicit(&mp->spinning, false, memory_order_relaxed);
		atomic_store_explicit(&mp->park.key, 0, memory_order_relaxed);
	}
	s->pidle = NULL;
	atomic_store_explicit(&s->npidle, 0, memory_order_relaxed);
	atomic_store_explicit(&s->nretaken, 0, memory_order_relaxed);
	/* An orphan we forked from (sysmon had given its place away) is the
	 * child's P again: the child has no sysmon state, and no other M. */
	if (mine && atomic_load_explicit(&mine->orphaned, memory_order_relaxed) == P_ORPHANED)
		atomic_store_explicit(&s->allp[mine->id], mine, memory_order_relaxed);
	if (mine)
		atomic_store_explicit(&mine->orphaned, P_OWNED, memory_order_relaxed);
	for (int i = s->nprocs - 1; i >= 0; i--) {
		struct p *pp = mn_allp(i);
		atomic_store_explicit(&pp->orphaned, pp == mine ? P_OWNED : P_RELEASED, memory_order_relaxed);
		atomic_store_explicit(&pp->preempt, false, memory_order_relaxed);
		atomic_store_explicit(&pp->runqhead, 0, memory_order_relaxed);
		atomic_store_explicit(&pp->runqtail, 0, memory_order_relaxed);
		atomic_store_explicit(&pp->runnext, NULL, memory_order_relaxed);
		if (pp == mine)
			continue;
		pp->gfree = NULL;
		pp->ngfree = 0;
		pp->m = NULL;
		atomic_store_explicit(&pp->status, P_IDLE, memory_order_relaxed);
		pp->link = s->pidle;
		s->pidle = pp;
		atomic_fetch_add_explicit(&s->npidle, 1, memory_order_relaxed);
	}
	atomic_store_explicit(&s->ngalive, self ? 1 : 0, memory_order_relaxed);
	mn_join_fork_child(self);

	/* With main locked to M0, the other Ms blocked asynchronous signals
	 * so that they reached the main thread; here the forking thread is
	 * the only one left to take them, with the mask of the G running on
	 * it.  Otherwise every M blocks them and the router (made again by
	 * mn_gsig_fork_child) hands them on. */
	if (self && !(self->flags & G_MAIN) && !s->mainfree) {
		mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&self->sigmask, 0, 8, 0, 0);
		mp->pipeopen = !(self->sigmask & (1ULL << (SIGPIPE - 1)));
	}

	mn_preempt_fork_child();
	mn_m_template_fork_child(); /* before sysmon, which starts it again */
	mn_sysmon_fork_child();
	if (s->mainfree)
		mn_gsig_router_update(); /* the child's own router */
}
