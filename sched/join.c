/* sched/join.c: the end of a G's life: exit, join, detach.
 *
 * g->joinstate (atomic; JS_STATE of it, and in JS_JOINWAIT also the
 * joiner's goid, so that a CAS from "JOINWAIT by j" can never hit a later
 * join) moves:
 *   JS_JOINABLE --detach--> JS_DETACHED --exit--> freed
 *   JS_JOINABLE --join parks--> JS_JOINWAIT --exit--> JS_EXITED (joiner readied)
 *   JS_JOINWAIT --time-out, pthread_cancel of the joiner--> JS_JOINABLE
 *   JS_JOINABLE --exit--> JS_EXITED (zombie: keeps stack and TCB, as
 *                          glibc keeps a joinable thread's) --join--> JS_FREE
 * The exit transition runs on g0 after the G's stack is no longer in use
 * (PEND_EXIT), so a joiner may recycle the G the moment it sees JS_EXITED.
 * A G joiner parks; a foreign joiner sleeps on the futex g->exitword.
 */
#include "join.h"
#include "gsig.h"
#include <errno.h>
#include <stdlib.h>
#include "cancel.h"
#include "gfree.h"
#include "park.h"
#include "proc.h"
#include "tcb.h"
#include "throw.h"
#include "sys.h"

static _Atomic bool main_gone;

static void last_thread_check(int64_t left)
{
	/* The last thread of a process whose main called pthread_exit ends it,
	 * with status 0, as glibc does. */
	if (left == 0 && atomic_load(&main_gone))
		exit(0);
}

struct g *mn_gexit_joiner(struct g *gp)
{
	uint64_t w = atomic_load_explicit(&gp->joinstate, memory_order_acquire);
	if (JS_STATE(w) != JS_JOINWAIT)
		return NULL;
	struct g *j = gp->joiner; /* written before the join published JOINWAIT */
	/* Only an untimed join (a timer could also ready it); the CAS shuts
	 * out pthread_cancel (which would move the word back to JOINABLE),
	 * and from it on this exit alone moves the state on. */
	if (j == NULL || j->lockedm || atomic_load_explicit(&j->waitsel, memory_order_relaxed) != 0 ||
	    !atomic_compare_exchange_strong_explicit(&gp->joinstate, &w, JS_FREE, memory_order_acq_rel,
						     memory_order_relaxed))
		return NULL;
	return j;
}

/* Context: the joiner j, running; gp is dead and off its stack. */
void mn_gexit_finish_joined(struct g *gp, struct g *j)
{
	MN_ASSERT(atomic_load_explicit(&gp->status, memory_order_relaxed) == G_DEAD &&
			  j == mn_getg(), "gexit_finish_joined: not on the joiner, or the G is not dead");
	int64_t left = atomic_fetch_sub_explicit(&mn_sched.ngalive, 1, memory_order_acq_rel) - 1;
	/* mn_gexit_joiner already moved the word to JS_FREE: the joiner
	 * collects at once (anyone else now sees an invalid thread, ESRCH). */
	atomic_store_explicit(&gp->exitword, 1, memory_order_release);
	j->reaped = gp;
	last_thread_check(left);
}

/* Context: finish_switch (g0, or the next G of a direct switch); gp is
 * dead and off its stack. */
void mn_gexit_finish(struct g *gp)
{
	MN_ASSERT(atomic_load_explicit(&gp->status, memory_order_relaxed) == G_DEAD, "gexit_finish: G not dead");
	int64_t left = atomic_fetch_sub_explicit(&mn_sched.ngalive, 1, memory_order_acq_rel) - 1;
	if (gp->flags & G_MAIN)
		atomic_store(&main_gone, true);
	for (;;) {
		uint64_t w = atomic_load_explicit(&gp->joinstate, memory_order_acquire);
		int s = JS_STATE(w);
		int want = s == JS_DETACHED ? JS_FREE : JS_EXITED;
		if (s != JS_DETACHED && s != JS_JOINABLE && s != JS_JOINWAIT)
			mn_throw("gexit: bad join state");
		struct g *joiner = gp->joiner; /* read before the CAS publishes EXITED */
		if (!atomic_compare_exchange_weak_explicit(&gp->joinstate, &w, want, memory_order_acq_rel,
							   memory_order_relaxed))
			continue;
		if (s == JS_DETACHED) {
			if (!(gp->flags & G_MAIN))
				mn_gfput(gp);
		} else if (s == JS_JOINWAIT) {
			/* The joiner may recycle gp as soon as it runs: everything
			 * we write to gp comes first. */
			atomic_store_explicit(&gp->exitword, 1, memory_order_release);
			if (joiner)
				mn_goready_sel(joiner);
			else
				mn_futex_wake(&gp->exitword, 1); /* harmless if already recycled */
		}
		break;
	}
	last_thread_check(left);
}

struct g *mn_tcb_to_g(uintptr_t tcb)
{
	extern struct g *mn_tcb_getg(uintptr_t);
	if (tcb == 0)
		return NULL;
	struct g *gp = mn_tcb_getg(tcb);
	if (gp == NULL || gp->magic != G_MAGIC || gp->tcb != tcb || (gp->flags & G_G0))
		return NULL;
	return gp;
}

static int collect(struct g *gp, void **res)
{
	uint64_t w = JS_EXITED;
	if (!atomic_compare_exchange_strong_explicit(&gp->joinstate, &w, JS_FREE, memory_order_acq_rel,
						     memory_order_relaxed))
		return JS_STATE(w) == JS_FREE ? -ESRCH : -EINVAL;
	if (res)
		*res = gp->result;
	if (!(gp->flags & G_MAIN))
		mn_gfput(gp);
	return 0;
}

/* Withdraw j's wait for gp (JOINWAIT by j -> JOINABLE): the one who does
 * it, of the time-out, pthread_cancel and j itself, ends the wait. */
static bool withdraw(struct g *gp, struct g *j)
{
	uint64_t w = JS_WAITBY(j);
	return atomic_compare_exchange_strong_explicit(&gp->joinstate, &w, JS_JOINABLE, memory_order_acq_rel,
						       memory_order_relaxed);
}

static bool join_unlock(struct g *me, void *arg)
{
	struct g *gp = arg;
	uint64_t w = JS_JOINABLE;
	if (!atomic_compare_exchange_strong_explicit(&gp->joinstate, &w, JS_WAITBY(me), memory_order_acq_rel,
						     memory_order_relaxed))
		return false;
	/* Published (that CAS also orders our earlier store of me->joining
	 * before this load): a cancellation request made before pthread_cancel
	 * could see it is acted on now.  Whoever withdraws readies us. */
	if (me->joining == gp && (mn_tcb_cancel_pending(me->tcb) || mn_gsig_deliverable(me)) && withdraw(gp, me))
		return false;
	return true;
}

static void join_timeout(struct g *me, void *arg)
{
	withdraw(arg, me);
}

bool mn_join_cancel(struct g *j)
{
	struct g *gp = atomic_load_explicit(&j->joining, memory_order_relaxed);
	/* A stale gp (a join that ended) never holds JOINWAIT by j: goids are
	 * never reused, and j is in one join at a time. */
	if (gp == NULL || !withdraw(gp, j))
		return false;
	mn_goready_sel(j); /* a timed join's timer may have won: it readies j */
	return true;
}

int mn_gjoin(struct g *gp, void **res, int mode, int64_t deadline)
{
	struct g *self = mn_getg();
	int s = JS_STATE(atomic_load_explicit(&gp->joinstate, memory_order_acquire));
	/* glibc's order: tryjoin on a live thread is EBUSY before anything
	 * else; then ESRCH, EINVAL (detached), EDEADLK (self, or a thread that
	 * is joining us), EINVAL (another joiner). */
	if (mode == JOIN_TRY && s != JS_EXITED && s != JS_FREE)
		return -EBUSY;
	if (s == JS_FREE)
		return -ESRCH;
	if (s == JS_DETACHED)
		return -EINVAL;
	if (gp == self || (self && self->joiner == gp &&
			   JS_STATE(atomic_load_explicit(&self->joinstate, memory_order_acquire)) == JS_JOINWAIT))
		return -EDEADLK;
	if (s == JS_JOINWAIT)
		return -EINVAL;
	if (s == JS_EXITED)
		return collect(gp, res);
	if (mode == JOIN_TIMED && deadline <= mn_nanotime())
		return -ETIMEDOUT;
	if (mn_is_g()) {
		/* A cancellation point where it blocks, as in glibc: a pending
		 * request is acted on here; one made while we wait withdraws
		 * the wait (mn_join_cancel) and is acted on below. */
		if (mn_cancel_point())
			atomic_store_explicit(&self->joining, gp, memory_order_relaxed);
		gp->joiner = self;
		if (mode == JOIN_TIMED)
			mn_gopark_until(join_unlock, gp, deadline, join_timeout, "join");
		else
			mn_gopark(join_unlock, gp, "join");
		atomic_store_explicit(&self->joining, NULL, memory_order_relaxed);
		if (self->reaped == gp) { /* mn_gexit_finish_joined */
			self->reaped = NULL;
			if (res)
				*res = gp->result;
			mn_gfput(gp);
			return 0;
		}
		gp->joiner = NULL;
	} else {
		gp->joiner = NULL;
		uint64_t w = JS_JOINABLE;
		if (atomic_compare_exchange_strong_explicit(&gp->joinstate, &w, JS_WAITBY(NULL),
							    memory_order_acq_rel, memory_order_relaxed)) {
			while (atomic_load_explicit(&gp->exitword, memory_order_acquire) == 0) {
				if (mode == JOIN_TIMED) {
					struct timespec abs = { deadline / 1000000000, deadline % 1000000000 };
					if (mn_futex_wait_abs(&gp->exitword, 0, &abs) == -ETIMEDOUT) {
						join_timeout(NULL, gp);
						break;
					}
				} else {
					mn_futex_wait(&gp->exitword, 0, NULL);
				}
			}
		}
	}
	s = JS_STATE(atomic_load_explicit(&gp->joinstate, memory_order_acquire));
	if (s == JS_EXITED)
		return collect(gp, res);
	if (s == JS_JOINABLE && mn_is_g() && mn_tcb_self_cancel_pending()) {
		/* Withdrawn by pthread_cancel: act on it (the thread stays
		 * joinable, as glibc's cleanup leaves it); if cancellation is
		 * disabled, wait again (the request stays pending). */
		mn_cancel_act();
		return mn_gjoin(gp, res, mode, deadline);
	}
	if (s == JS_JOINABLE && mn_is_g() && mn_gsig_deliverable(self)) {
		/* Withdrawn for a signal: run its handler, then join again
		 * (pthread_join never says EINTR). */
		mn_gsig_deliver();
		return mn_gjoin(gp, res, mode, deadline);
	}
	if (s == JS_JOINABLE && mode == JOIN_TIMED)
		return -ETIMEDOUT;
	if (s == JS_DETACHED || s == JS_JOINWAIT)
		return -EINVAL;
	return -ESRCH;
}

int mn_gdetach(struct g *gp)
{
	for (;;) {
		uint64_t w = atomic_load_explicit(&gp->joinstate, memory_order_acquire);
		switch (JS_STATE(w)) {
		case JS_DETACHED:
			return -EINVAL;
		case JS_FREE:
			return -ESRCH;
		case JS_JOINWAIT:
			return 0; /* the joiner collects it, as in glibc */
		case JS_EXITED:
			return collect(gp, NULL) == 0 ? 0 : -ESRCH;
		case JS_JOINABLE:
			if (atomic_compare_exchange_weak_explicit(&gp->joinstate, &w, JS_DETACHED,
								  memory_order_acq_rel, memory_order_relaxed))
				return 0;
		}
	}
}

/* The child of fork: the forking thread is the only one left.  When it
 * is not the main G, main is gone, and the last thread to end ends the
 * process, as in glibc's child.  A wait for the forking G by a thread of
 * the parent is over. */
void mn_join_fork_child(struct g *self)
{
	atomic_store(&main_gone, self != NULL && !(self->flags & G_MAIN));
	if (self == NULL)
		return;
	uint64_t w = atomic_load(&self->joinstate);
	if (JS_STATE(w) == JS_JOINWAIT) {
		self->joiner = NULL;
		atomic_store(&self->joinstate, JS_JOINABLE);
	}
}
