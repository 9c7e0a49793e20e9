/* sched/testhooks.c: hooks for the gtest unit tests (tests/unit/), built
 * only into libmnsched_test.la (MN_TEST).  C++ cannot include runtime.h
 * (C11 atomics), so the tests see structs through these. */
#include "runtime.h"
#include <stdlib.h>
#include <string.h>
#include "join.h"
#include "syscall.h"
#include "timer.h"

#if defined(MN_TEST) && MN_TEST
size_t mn_test_sizeof_p(void) { return sizeof(struct p); }
size_t mn_test_sizeof_g(void) { return sizeof(struct g); }

void mn_test_sched_reset(int nprocs)
{
	memset(&mn_sched, 0, sizeof mn_sched);
	mn_sched.lock = (struct mn_lock)MN_LOCK_INIT(LOCKRANK_SCHED);
	mn_sched.gflock = (struct mn_lock)MN_LOCK_INIT(LOCKRANK_GFREE);
	mn_sched.nprocs = nprocs;
}

int mn_test_globrunq_size(void)
{
	return atomic_load(&mn_sched.runqsize);
}

struct g *mn_test_globrunq_pop(void)
{
	mn_lock(&mn_sched.lock);
	struct g *gp = mn_sched.runqhead;
	if (gp) {
		mn_sched.runqhead = gp->schedlink;
		if (!mn_sched.runqhead)
			mn_sched.runqtail = NULL;
		atomic_fetch_sub(&mn_sched.runqsize, 1);
	}
	mn_unlock(&mn_sched.lock);
	return gp;
}
#endif

#if defined(MN_TEST) && MN_TEST
bool mn_test_config_debug(void) { return config_debug; }

/* Take a lock of rank first, then one of rank second, then release both
 * (lockrank_test). */
void mn_test_lock_pair(unsigned first, unsigned second)
{
	struct mn_lock a = MN_LOCK_INIT(first), b = MN_LOCK_INIT(second);
	mn_lock(&a);
	mn_lock(&b);
	mn_unlock(&b);
	mn_unlock(&a);
}

/* Release a lock this thread never took. */
void mn_test_unlock_unheld(void)
{
	struct mn_lock a = MN_LOCK_INIT(LOCKRANK_SCHED);
	atomic_store(&a.key, 1);
	mn_unlock(&a);
}

/* Check that nothing is held after taking and releasing n ranked locks in
 * order; returns true when the record is back to empty. */
int mn_test_locks_held(void)
{
	struct mn_lock a = MN_LOCK_INIT(LOCKRANK_SEMA);
	mn_lock(&a);
	mn_lockrank_assert_held(LOCKRANK_SEMA, "test: sema rank not recorded");
	mn_unlock(&a);
	mn_lockrank_assert_none("test: a lock still recorded after unlock");
	return 0;
}
#endif

#if defined(MN_TEST) && MN_TEST
void mn_test_sched_lock(void) { mn_lock(&mn_sched.lock); }
void mn_test_sched_unlock(void) { mn_unlock(&mn_sched.lock); }
/* ---------------------------------------------------------------- fake Gs
 * park_test, join_test: a G that never runs (no stack, no TCB), zeroed,
 * live (G_MAGIC), in G_WAITING as finish_switch leaves a parked G. */
struct g *mn_test_g_new(uint64_t goid)
{
	size_t n = (sizeof(struct g) + 63) & ~(size_t)63;
	struct g *gp = aligned_alloc(64, n);
	memset(gp, 0, n);
	gp->magic = G_MAGIC;
	gp->goid = goid;
	gp->ptimer.t.idx = -1;
	atomic_store(&gp->status, G_WAITING);
	atomic_store(&gp->joinstate, JS_JOINABLE);
	return gp;
}

void mn_test_g_free(struct g *gp) { free(gp); }

/* What finish_switch does to a parking G (PEND_PARK). */
void mn_test_g_set_waiting(struct g *gp) { atomic_store(&gp->status, G_WAITING); }

const char *mn_test_g_status(struct g *gp)
{
	static const char *const names[] = { "idle", "runnable", "running", "syscall", "waiting", "dead" };
	uint32_t s = atomic_load(&gp->status);
	return s < sizeof names / sizeof names[0] ? names[s] : "bad";
}

/* ---------------------------------------------------------------- park.c */
extern bool (*const mn_test_sel_timeout)(struct g *, uint32_t);
extern void (*const mn_test_parktimer_fire)(struct mn_timer *);
extern bool (*const mn_test_arm_timer)(struct g *, void *);

extern uint32_t (*const mn_test_park_arm_step)(struct g *, bool (*)(struct g *, void *), void *, int64_t,
						void (*)(struct g *, void *), bool);

/* Arm a timed park on gp with park_sel's own step (without unlockf:
 * nothing to publish but the timer), and mark it parked as finish_switch
 * does.  Returns the armed waitsel word. */
uint32_t mn_test_park_arm(struct g *gp, int64_t deadline, void (*ontimeout)(struct g *, void *), void *arg,
			  bool cancellable)
{
	uint32_t armed = mn_test_park_arm_step(gp, NULL, arg, deadline, ontimeout, cancellable);
	atomic_store(&gp->status, G_WAITING);
	return armed;
}

/* The park's unlockf, after the switch: arm_timer itself for a plain
 * timed park (it adds the timer if the park is still armed).  A
 * cancellable park publishes its seq as arm_timer does; the fake G has no
 * TCB, so the pending-request check is left out.  Returns whether the
 * timer is queued. */
bool mn_test_park_publish(struct g *gp)
{
	struct mn_parktimer *pt = &gp->ptimer;
	if (pt->cancellable) {
		atomic_exchange(&pt->published, pt->seq);
		mn_timer_add_if(&pt->t, &gp->waitsel, pt->seq << 2 | 1u);
	} else if (!mn_test_arm_timer(gp, pt)) {
		return false;
	}
	return pt->t.idx >= 0;
}

/* After the park, as park_sel: delete the timer, clear waitsel.  Returns
 * what the park returns (true: woken by goready; false: timed out). */
bool mn_test_park_finish(struct g *gp)
{
	uint32_t sel = atomic_load_explicit(&gp->waitsel, memory_order_acquire);
	mn_timer_del(&gp->ptimer.t);
	atomic_store_explicit(&gp->waitsel, 0, memory_order_relaxed);
	return (sel & 3u) == 2u;
}

/* A late time-out CAS for the park that was armed as `armed`. */
bool mn_test_park_sel_timeout(struct g *gp, uint32_t armed) { return mn_test_sel_timeout(gp, armed); }

/* A late arm_timer of the park that was armed as `armed`: adds gp's timer
 * only if that park is still the armed one.  Returns whether it did. */
bool mn_test_park_add_timer_if(struct g *gp, uint32_t armed)
{
	mn_timer_add_if(&gp->ptimer.t, &gp->waitsel, armed);
	return gp->ptimer.t.idx >= 0;
}

void mn_test_park_set_published(struct g *gp, uint32_t seq) { atomic_store(&gp->ptimer.published, seq); }
uint32_t mn_test_g_waitsel(struct g *gp) { return atomic_load(&gp->waitsel); }
bool mn_test_park_timer_queued(struct g *gp) { return gp->ptimer.t.idx >= 0; }

/* ---------------------------------------------------------------- syscall.c */
/* What mn_entersyscall leaves: the P in P_SYSCALL (release). */
void mn_test_p_enter_syscall(struct p *pp) { atomic_store_explicit(&pp->status, P_SYSCALL, memory_order_release); }
bool mn_test_p_takeback(struct p *pp) { return mn_syscall_takeback(pp); }
bool mn_test_p_retake(struct p *pp) { return mn_syscall_retake(pp); }
const char *mn_test_p_status(struct p *pp)
{
	static const char *const names[] = { "idle", "running", "syscall" };
	uint32_t s = atomic_load(&pp->status);
	return s < sizeof names / sizeof names[0] ? names[s] : "bad";
}

/* ---------------------------------------------------------------- join.c */
const char *mn_test_join_state(struct g *gp)
{
	static const char *const names[] = { "joinable", "detached", "joinwait", "exited", "free" };
	int s = JS_STATE(atomic_load(&gp->joinstate));
	return s >= 0 && (size_t)s < sizeof names / sizeof names[0] ? names[s] : "bad";
}

/* The join word's waiter: the joiner's goid (0 for a foreign joiner) when
 * in JS_JOINWAIT, else -1. */
int64_t mn_test_join_waiter(struct g *gp)
{
	uint64_t w = atomic_load(&gp->joinstate);
	return JS_STATE(w) == JS_JOINWAIT ? (int64_t)(w >> 8) : -1;
}

/* Back to a live joinable G with its result (between rounds). */
void mn_test_join_reset(struct g *gp, void *result)
{
	atomic_store(&gp->joinstate, JS_JOINABLE);
	atomic_store(&gp->exitword, 0);
	gp->joiner = NULL;
	gp->reaped = NULL;
	gp->result = result;
	atomic_store(&gp->joining, NULL);
	atomic_store(&gp->status, G_DEAD);
}

/* G j's join of gp once parked (mn_gjoin, then join_unlock's CAS):
 * gp->joiner, j->joining (a cancellable join), JOINWAIT by j. */
void mn_test_join_park(struct g *gp, struct g *j)
{
	gp->joiner = j;
	atomic_store(&j->joining, gp);
	atomic_store(&gp->joinstate, JS_WAITBY(j));
	atomic_store(&j->status, G_WAITING);
}

/* Take every G off the global free list: how many, or -1 if one of them
 * is not gp. */
int mn_test_gfree_drain(struct g *gp)
{
	int n = 0;
	bool other = false;
	mn_lock(&mn_sched.gflock);
	while (mn_sched.gfree) {
		other |= mn_sched.gfree != gp;
		mn_sched.gfree = mn_sched.gfree->schedlink;
		mn_sched.ngfree--;
		n++;
	}
	mn_unlock(&mn_sched.gflock);
	return other ? -1 : n;
}
#endif
