/* sched/join.c: the end of a G's life: exit, join, detach.
 *
 * g->joinstate (atomic) moves:
 *   JS_JOINABLE --detach--> JS_DETACHED --exit--> freed
 *   JS_JOINABLE --join parks--> JS_JOINWAIT --exit--> JS_EXITED (joiner readied)
 *   JS_JOINABLE --exit--> JS_EXITED (zombie: keeps stack and TCB, as
 *                          glibc keeps a joinable thread's) --join--> JS_FREE
 * The exit transition runs on g0 after the G's stack is no longer in use
 * (PEND_EXIT), so a joiner may recycle the G the moment it sees JS_EXITED.
 * A G joiner parks; a foreign joiner sleeps on the futex g->exitword.
 */
#include <errno.h>
#include <stdlib.h>
#include "runtime.h"
#include "join.h"
#include "tcb.h"
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
	if (atomic_load_explicit(&gp->joinstate, memory_order_acquire) != JS_JOINWAIT)
		return NULL;
	struct g *j = gp->joiner; /* written before the join published JOINWAIT */
	/* Claiming j's wake-up shuts out its timer and pthread_cancel, the
	 * only others that could end its park (their ontimeout would move
	 * JOINWAIT back); after it, this exit alone moves the state on. */
	if (j == NULL || j->lockedm || !mn_park_claim(j))
		return NULL;
	return j;
}

/* Context: the joiner j, running; gp is dead and off its stack. */
void mn_gexit_finish_joined(struct g *gp, struct g *j)
{
	int64_t left = atomic_fetch_sub_explicit(&mn_sched.ngalive, 1, memory_order_acq_rel) - 1;
	/* Only this exit moves JOINWAIT on (the join is untimed), and the
	 * joiner collects at once: straight to JS_FREE, saving collect()'s
	 * CAS; anyone else now sees an invalid thread (ESRCH). */
	atomic_store_explicit(&gp->exitword, 1, memory_order_release);
	atomic_store_explicit(&gp->joinstate, JS_FREE, memory_order_release);
	j->reaped = gp;
	last_thread_check(left);
}

/* Context: g0, the G is dead and off its stack. */
void mn_gexit_finish(struct g *gp)
{
	int64_t left = atomic_fetch_sub_explicit(&mn_sched.ngalive, 1, memory_order_acq_rel) - 1;
	if (gp->flags & G_MAIN)
		atomic_store(&main_gone, true);
	for (;;) {
		int s = atomic_load_explicit(&gp->joinstate, memory_order_acquire);
		int want = s == JS_DETACHED ? JS_FREE : JS_EXITED;
		if (s != JS_DETACHED && s != JS_JOINABLE && s != JS_JOINWAIT)
			mn_throw("gexit: bad join state");
		struct g *joiner = gp->joiner; /* read before the CAS publishes EXITED */
		if (!atomic_compare_exchange_weak_explicit(&gp->joinstate, &s, want, memory_order_acq_rel,
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
	int s = JS_EXITED;
	if (!atomic_compare_exchange_strong_explicit(&gp->joinstate, &s, JS_FREE, memory_order_acq_rel,
						     memory_order_relaxed))
		return s == JS_FREE ? ESRCH : EINVAL;
	if (res)
		*res = gp->result;
	if (!(gp->flags & G_MAIN))
		mn_gfput(gp);
	return 0;
}

static bool join_unlock(struct g *me, void *arg)
{
	struct g *gp = arg;
	int s = JS_JOINABLE;
	return atomic_compare_exchange_strong_explicit(&gp->joinstate, &s, JS_JOINWAIT,
						       memory_order_acq_rel, memory_order_relaxed);
}

static void join_timeout(struct g *me, void *arg)
{
	struct g *gp = arg;
	int s = JS_JOINWAIT;
	/* Withdraw; if the G exited meanwhile, the state says so. */
	atomic_compare_exchange_strong_explicit(&gp->joinstate, &s, JS_JOINABLE, memory_order_acq_rel,
						memory_order_relaxed);
}

int mn_gjoin(struct g *gp, void **res, int mode, int64_t deadline)
{
	struct g *self = mn_getg();
	int s = atomic_load_explicit(&gp->joinstate, memory_order_acquire);
	/* glibc's order: tryjoin on a live thread is EBUSY before anything
	 * else; then ESRCH, EINVAL (detached), EDEADLK (self, or a thread that
	 * is joining us), EINVAL (another joiner). */
	if (mode == JOIN_TRY && s != JS_EXITED && s != JS_FREE)
		return EBUSY;
	if (s == JS_FREE)
		return ESRCH;
	if (s == JS_DETACHED)
		return EINVAL;
	if (gp == self || (self && self->joiner == gp &&
			   atomic_load_explicit(&self->joinstate, memory_order_acquire) == JS_JOINWAIT))
		return EDEADLK;
	if (s == JS_JOINWAIT)
		return EINVAL;
	if (s == JS_EXITED)
		return collect(gp, res);
	if (mode == JOIN_TIMED && deadline <= mn_nanotime())
		return ETIMEDOUT;
	if (mn_is_g()) {
		/* A cancellation point where it blocks, as in glibc: a pending
		 * request is acted on here; one made while we wait ends the
		 * wait (join_timeout withdraws it) and is acted on below. */
		bool cancellable = mn_cancel_point();
		gp->joiner = self;
		if (cancellable)
			mn_gopark_cancel(join_unlock, gp, mode == JOIN_TIMED ? deadline : 0, join_timeout,
					 "join");
		else if (mode == JOIN_TIMED)
			mn_gopark_until(join_unlock, gp, deadline, join_timeout, "join");
		else
			mn_gopark(join_unlock, gp, "join");
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
		int w = JS_JOINABLE;
		if (atomic_compare_exchange_strong_explicit(&gp->joinstate, &w, JS_JOINWAIT,
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
	s = atomic_load_explicit(&gp->joinstate, memory_order_acquire);
	if (s == JS_EXITED)
		return collect(gp, res);
	if (s == JS_JOINABLE && mn_is_g() && mn_tcb_self_cancel_pending()) {
		/* Withdrawn by pthread_cancel: act on it (the thread stays
		 * joinable, as glibc's cleanup leaves it); if cancellation is
		 * disabled, wait again (the request stays pending). */
		mn_cancel_act();
		return mn_gjoin(gp, res, mode, deadline);
	}
	if (s == JS_JOINABLE && mode == JOIN_TIMED)
		return ETIMEDOUT;
	if (s == JS_DETACHED || s == JS_JOINWAIT)
		return EINVAL;
	return ESRCH;
}

int mn_gdetach(struct g *gp)
{
	for (;;) {
		int s = atomic_load_explicit(&gp->joinstate, memory_order_acquire);
		switch (s) {
		case JS_DETACHED:
			return EINVAL;
		case JS_FREE:
			return ESRCH;
		case JS_JOINWAIT:
			return 0; /* the joiner collects it, as in glibc */
		case JS_EXITED:
			return collect(gp, NULL) == 0 ? 0 : ESRCH;
		case JS_JOINABLE:
			if (atomic_compare_exchange_weak_explicit(&gp->joinstate, &s, JS_DETACHED,
								  memory_order_acq_rel, memory_order_relaxed))
				return 0;
		}
	}
}
