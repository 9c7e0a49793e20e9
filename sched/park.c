/* sched/park.c: timed and cancellable parks (the waitsel protocol).
 *
 * A G that parks with a deadline arms g->waitsel (seq << 2 | SEL_ARMED,
 * seq being the park's own sequence number, g->parkseq).  The waker
 * (mn_goready_sel), the G's timer (parktimer_fire) and, for a
 * cancellable park, pthread_cancel (mn_park_cancel) race to CAS it from
 * armed to woken or timed out; only the winner readies the G, so a
 * wake-up and a time-out at the same moment never ready it twice and
 * never lose the wake-up.
 *
 * The timer lives in the G (g->ptimer), not on its stack, and is added
 * only after the wait is published (arm_timer, the park's unlockf), and
 * only if the park is still armed then: a G woken at once never leaves a
 * timer behind.  The sequence number in waitsel and in the timer makes a
 * late look at an old park (a timer callback, a canceller) miss a new
 * one of the same, perhaps recycled, G.
 *
 * Rejected: a timer on the parking G's stack.  A waiter woken between
 * publishing its wait and arming its timer returned, and the timer then
 * added sat on a dead frame in the heap.
 */
#include "park.h"
#include "gsig.h"
#include "sys.h"
#include "proc.h"
#include "tcb.h"
#include "timer.h"

#define SEL_ARMED 1u
#define SEL_WOKEN 2u
#define SEL_TIMEDOUT 3u
#define SEL_STATE(v) ((v) & 3u)

/* End gp's park armed as `armed` like a time-out, if nobody ended it yet:
 * its ontimeout runs (off the wait lists), then the caller readies it.
 * Context: the park is published (gp switched away, unlockf ran). */
static bool sel_timeout(struct g *gp, uint32_t armed)
{
	struct mn_parktimer *pt = &gp->ptimer;
	/* acq_rel: acquire pairs with park_sel's release arming (the ptimer fields); release pairs
	 * with park_sel's acquire load after the park; the CAS races mn_goready_sel's */
	if (!atomic_compare_exchange_strong_explicit(&gp->waitsel, &armed, (armed & ~3u) | SEL_TIMEDOUT,
						     memory_order_acq_rel, memory_order_relaxed))
		return false; /* woken (or timed out) already: perhaps running again */
	MN_ASSERT(atomic_load_explicit(&gp->status, memory_order_relaxed) == G_WAITING,
		  "sel_timeout: ended a park that is not published");
	if (pt->ontimeout)
		pt->ontimeout(gp, pt->arg);
	return true;
}

/* 100 us: far longer than a trip through the scheduler, so a G waking
 * this seldom leaves the P to the others most of the time. */
#define LONG_WAIT_NS 100000

static void parktimer_fire(struct mn_timer *t)
{
	struct g *gp = t->arg;
	struct mn_parktimer *pt = &gp->ptimer;
	/* Queued timers belong to the current park (an earlier one was
	 * deleted, or never added), and the G cannot start another while
	 * this callback runs (mn_timer_del waits for it). */
	if (sel_timeout(gp, pt->seq << 2 | SEL_ARMED)) {
		/* A wait of at least LONG_WAIT_NS (a sleep, a real time-out)
		 * runs next, as a sleeper woken natively runs soon; a short
		 * time-out that keeps expiring queues behind the runnable Gs,
		 * which it would otherwise starve (mn_goready_tail). */
		if (mn_goready_overloaded(gp))
			return;
		if (t->when - pt->armed_at >= LONG_WAIT_NS)
			mn_goready(gp);
		else
			mn_goready_tail(gp);
	}
}

/* The unlockf of a timed park (on g0 or the next G, after the switch). */
static bool arm_timer(struct g *gp, void *arg)
{
	struct mn_parktimer *pt = arg;
	/* Read before the wait is published: from then on a waker may ready
	 * gp, which may run, return and even park again before we go on. */
	uint32_t armed = pt->seq << 2 | SEL_ARMED;
	bool cancellable = pt->cancellable;
	if (pt->unlockf && !pt->unlockf(gp, pt->arg))
		return false;
	if (cancellable) {
		/* Published: from here pthread_cancel may end the park.  It
		 * sets the request, then looks at published; we store
		 * published, then look at the request (each with a locked
		 * instruction between, here the exchange): one of us sees the
		 * other. */
		/* seq_cst: pairs with the seq_cst load of waitsel in mn_park_cancel (see above) */
		atomic_exchange_explicit(&pt->published, armed >> 2, memory_order_seq_cst);
		if ((mn_tcb_cancel_pending(gp->tcb) || mn_gsig_deliverable(gp)) && sel_timeout(gp, armed))
			return false; /* run it again at once: it acts on the request */
	}
	/* Only if this park is still armed (else the G was woken and has
	 * deleted, or will delete, a timer that is not there). */
	mn_timer_add_if(&pt->t, &gp->waitsel, armed);
	return true;
}

/* Fill gp's park timer and arm waitsel for a new park; returns the armed
 * word.  Context: gp itself, before it parks (or a unit test's fake G). */
static uint32_t park_arm(struct g *gp, bool (*unlockf)(struct g *, void *), void *arg, int64_t deadline,
			 void (*ontimeout)(struct g *, void *), bool cancellable)
{
	struct mn_parktimer *pt = &gp->ptimer;
	uint32_t seq = ++gp->parkseq & 0x3fffffffu;
	pt->t.when = deadline;
	pt->armed_at = mn_nanotime();
	pt->t.f = parktimer_fire;
	pt->t.arg = gp;
	pt->t.idx = -1;
	mn_timer_home(&pt->t);
	pt->unlockf = unlockf;
	pt->ontimeout = ontimeout;
	pt->arg = arg;
	pt->seq = seq;
	pt->cancellable = cancellable;
	/* release: the ptimer fields before the arming; pairs with the acquire in mn_goready_sel,
	 * mn_park_cancel and sel_timeout's CAS */
	atomic_store_explicit(&gp->waitsel, seq << 2 | SEL_ARMED, memory_order_release);
	return seq << 2 | SEL_ARMED;
}

static bool park_sel(bool (*unlockf)(struct g *, void *), void *arg, int64_t deadline,
		     void (*ontimeout)(struct g *, void *), const char *reason, bool cancellable)
{
	struct g *gp = mn_getg();
	struct mn_parktimer *pt = &gp->ptimer;
	park_arm(gp, unlockf, arg, deadline, ontimeout, cancellable);
	mn_gopark(arm_timer, pt, reason);
	/* acquire: pairs with the release of the CAS that ended the park (ontimeout's writes) */
	uint32_t sel = atomic_load_explicit(&gp->waitsel, memory_order_acquire);
	if (SEL_STATE(sel) == SEL_ARMED) {
		/* unlockf refused to park: nobody readied us, no timer. */
		/* relaxed: no CAS can match a word that is not armed; the next arming is a release */
		atomic_store_explicit(&gp->waitsel, 0, memory_order_relaxed);
		return true;
	}
	mn_timer_del(&pt->t);
	/* relaxed: no CAS can match a word that is not armed; the next arming is a release */
	atomic_store_explicit(&gp->waitsel, 0, memory_order_relaxed);
	return SEL_STATE(sel) == SEL_WOKEN;
}

bool mn_gopark_until(bool (*unlockf)(struct g *, void *), void *arg, int64_t deadline,
		     void (*ontimeout)(struct g *, void *), const char *reason)
{
	return park_sel(unlockf, arg, deadline, ontimeout, reason, false);
}

bool mn_gopark_cancel(bool (*unlockf)(struct g *, void *), void *arg, int64_t deadline,
		      void (*ontimeout)(struct g *, void *), const char *reason)
{
	return park_sel(unlockf, arg, deadline, ontimeout, reason, true);
}

bool mn_park_cancel(struct g *gp)
{
	/* seq_cst: the canceller's half of the request/published handshake with arm_timer's
	 * exchange */
	uint32_t v = atomic_load_explicit(&gp->waitsel, memory_order_seq_cst);
	if (SEL_STATE(v) != SEL_ARMED)
		return false;
	/* Written before waitsel was armed (release); published tells that
	 * this very park has reached the wait lists. */
	/* acquire: pairs with arm_timer's exchange of published */
	if (!gp->ptimer.cancellable ||
	    atomic_load_explicit(&gp->ptimer.published, memory_order_acquire) != v >> 2)
		return false;
	if (!sel_timeout(gp, v))
		return false;
	mn_goready(gp);
	return true;
}

/* Ready gp if it is in a timed park that has not timed out (or in a plain
 * park).  Returns false if the timer won. */
bool mn_goready_sel(struct g *gp)
{
	/* acquire: pairs with park_sel's release arming */
	uint32_t v = atomic_load_explicit(&gp->waitsel, memory_order_acquire);
	if (v == 0) {
		mn_goready(gp);
		return true;
	}
	/* acq_rel: races sel_timeout's CAS; release pairs with park_sel's acquire load */
	if (SEL_STATE(v) != SEL_ARMED ||
	    !atomic_compare_exchange_strong_explicit(&gp->waitsel, &v, (v & ~3u) | SEL_WOKEN,
						     memory_order_acq_rel, memory_order_relaxed))
		return false;
	mn_goready(gp);
	return true;
}

#if defined(MN_TEST) && MN_TEST
/* The steps of a timed park that run without a scheduler, for the unit
 * tests (testhooks.c, tests/unit/park_test.cc). */
bool (*const mn_test_sel_timeout)(struct g *, uint32_t) = sel_timeout;
void (*const mn_test_parktimer_fire)(struct mn_timer *) = parktimer_fire;
bool (*const mn_test_arm_timer)(struct g *, void *) = arm_timer;
uint32_t (*const mn_test_park_arm_step)(struct g *, bool (*)(struct g *, void *), void *, int64_t,
					 void (*)(struct g *, void *), bool) = park_arm;
#endif
