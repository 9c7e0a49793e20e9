/* sched/runq.c: per-P run queues and the global run queue.
 *
 * The local queue is Go's: a 256-slot ring, single producer (the owner P)
 * and multiple consumers (the owner and thieves), head advanced by CAS.
 * When it is full, runqput moves half of it plus the new G to the global
 * queue in one batch (runqputslow), so a burst of creates costs one lock
 * per 128 Gs.  runnext holds the G readied by the running G: it runs next
 * and inherits the time slice, which makes hand-offs (park+ready pairs)
 * cheap and keeps producer/consumer pairs on one P.
 */
#include "runq.h"
#include "throw.h"

/* Pauses a thief waits for a running victim to take its own runnext:
 * 1000 pauses, about 3 us on current x86 (a pause is 10-40 cycles). */
#define RUNNEXT_GRACE_PAUSES 1000

static bool runqputslow(struct p *pp, struct g *gp, uint32_t h, uint32_t t);

void mn_runqput(struct p *pp, struct g *gp, bool next)
{
	MN_ASSERT_OWNS_P(pp, "runqput");
	if (next) {
		/* Thieves only ever take runnext from non-NULL to NULL, so an
		 * empty runnext is ours to fill with a plain store (no locked
		 * instruction on the hand-off path); a full one we swap by CAS
		 * and kick the old G out to the regular queue. */
		struct g *old = atomic_load_explicit(&pp->runnext, memory_order_relaxed);
		/* relaxed: the owner is the only writer; the release store or
		 * CAS of runnext below publishes it */
		atomic_store_explicit(&pp->runnextgen,
				      atomic_load_explicit(&pp->runnextgen, memory_order_relaxed) + 1,
				      memory_order_relaxed);
		for (;;) {
			if (old == NULL) {
				/* release: gp's fields before a thief's acquire */
				atomic_store_explicit(&pp->runnext, gp, memory_order_release);
				return;
			}
			if (atomic_compare_exchange_weak_explicit(&pp->runnext, &old, gp, memory_order_acq_rel,
								  memory_order_relaxed))
				break;
		}
		gp = old;
	}
	for (;;) {
		/* acquire: pairs with the CAS release of consumers */
		uint32_t h = atomic_load_explicit(&pp->runqhead, memory_order_acquire);
		uint32_t t = atomic_load_explicit(&pp->runqtail, memory_order_relaxed);
		if (t - h < RUNQ_SIZE) {
			atomic_store_explicit(&pp->runq[t % RUNQ_SIZE], gp, memory_order_relaxed);
			/* release: makes the slot visible to consumers (pairs with their acquire of
			 * tail) */
			atomic_store_explicit(&pp->runqtail, t + 1, memory_order_release);
			return;
		}
		if (runqputslow(pp, gp, h, t))
			return;
	}
}

/* Move half the local queue and gp to the global queue.  Owner only. */
static bool runqputslow(struct p *pp, struct g *gp, uint32_t h, uint32_t t)
{
	enum { N = RUNQ_SIZE / 2 };
	struct g *batch[N + 1];
	uint32_t n = (t - h) / 2;
	if (n != N)
		mn_throw("runqputslow: queue is not full");
	for (uint32_t i = 0; i < n; i++)
		/* relaxed: ordered before the release CAS on head that gives the slots up */
		batch[i] = atomic_load_explicit(&pp->runq[(h + i) % RUNQ_SIZE], memory_order_relaxed);
	/* release: the slots were read before we give them up */
	if (!atomic_compare_exchange_strong_explicit(&pp->runqhead, &h, h + n, memory_order_release,
						     memory_order_relaxed))
		return false;
	batch[n] = gp;
	for (uint32_t i = 0; i < n; i++)
		batch[i]->schedlink = batch[i + 1];
	gp->schedlink = NULL;
	mn_lock(&mn_sched.lock);
	mn_globrunqputbatch(batch[0], batch[n], (int)n + 1);
	mn_unlock(&mn_sched.lock);
	return true;
}

struct g *mn_runqget(struct p *pp, bool *inherit_time)
{
	MN_ASSERT_OWNS_P(pp, "runqget");
	/* relaxed: the CAS below acquires */
	struct g *next = atomic_load_explicit(&pp->runnext, memory_order_relaxed);
	/* acq_rel: acquire pairs with runqput's release store of runnext
	 * (gp's fields); races the thieves' CAS */
	if (next != NULL &&
	    atomic_compare_exchange_strong_explicit(&pp->runnext, &next, NULL, memory_order_acq_rel,
						    memory_order_relaxed)) {
		if (inherit_time)
			*inherit_time = true;
		return next;
	}
	if (inherit_time)
		*inherit_time = false;
	for (;;) {
		/* acquire: pairs with the thieves' release CAS on head */
		uint32_t h = atomic_load_explicit(&pp->runqhead, memory_order_acquire);
		/* acquire: tail is the owner's own here; kept like the thieves' reads */
		uint32_t t = atomic_load_explicit(&pp->runqtail, memory_order_acquire);
		if (t == h)
			return NULL;
		/* relaxed: the owner wrote the slot; the CAS below says whether it is ours */
		struct g *gp = atomic_load_explicit(&pp->runq[h % RUNQ_SIZE], memory_order_relaxed);
		/* release: the slot read before; pairs with runqput's acquire load of head */
		if (atomic_compare_exchange_weak_explicit(&pp->runqhead, &h, h + 1, memory_order_release,
							  memory_order_relaxed))
			return gp;
	}
}

bool mn_runqempty(struct p *pp)
{
	for (;;) {
		/* acquire, all four: pair with the owner's release stores of tail
		 * and runnext and the consumers' release CAS on head; reading
		 * tail twice checks that h, t and next are one snapshot. */
		uint32_t h = atomic_load_explicit(&pp->runqhead, memory_order_acquire);
		uint32_t t = atomic_load_explicit(&pp->runqtail, memory_order_acquire);
		struct g *next = atomic_load_explicit(&pp->runnext, memory_order_acquire);
		if (t == atomic_load_explicit(&pp->runqtail, memory_order_acquire))
			return h == t && next == NULL;
	}
}

/* Grab half of victim's queue into batch; returns the count. */
static uint32_t runqgrab(struct p *victim, struct g **batch, bool steal_runnext)
{
	for (;;) {
		/* acquire: pairs with the other consumers' release CAS on head */
		uint32_t h = atomic_load_explicit(&victim->runqhead, memory_order_acquire);
		/* acquire: pairs with the owner's release store of tail (the slots below it are
		 * written) */
		uint32_t t = atomic_load_explicit(&victim->runqtail, memory_order_acquire);
		uint32_t n = t - h;
		n = n - n / 2;
		if (n == 0) {
			if (steal_runnext) {
				/* acquire: keeps the runnext load below after this one */
				uint32_t gen = atomic_load_explicit(&victim->runnextgen, memory_order_acquire);
				/* relaxed: the CAS below acquires */
				struct g *next = atomic_load_explicit(&victim->runnext, memory_order_relaxed);
				/* A running P is probably about to switch to its runnext
				 * (a G it just readied before parking itself): give it
				 * about 3 us before taking it, as Go does, so hand-offs
				 * stay on one P instead of bouncing between Ms. */
				/* relaxed here and in the wait: hints that only decide how long to
				 * wait */
				if (next != NULL &&
				    atomic_load_explicit(&victim->status, memory_order_relaxed) == P_RUNNING) {
					for (int i = 0; i < RUNNEXT_GRACE_PAUSES && atomic_load_explicit(&victim->runnext,
											  memory_order_relaxed) == next; i++)
						arch_pause();
					/* Only the G we waited for: one readied since
					 * (perhaps the same G, recycled) is the victim's
					 * new hand-off, not ours to take. */
					if (atomic_load_explicit(&victim->runnextgen, memory_order_acquire) != gen)
						return 0;
				}
				/* acq_rel: acquire pairs with the owner's release store of runnext
				 * (the G's fields) */
				if (next != NULL &&
				    atomic_compare_exchange_strong_explicit(&victim->runnext, &next, NULL,
									    memory_order_acq_rel,
									    memory_order_relaxed)) {
					batch[0] = next;
					return 1;
				}
			}
			return 0;
		}
		if (n > RUNQ_SIZE / 2)
			continue; /* read an inconsistent h and t */
		for (uint32_t i = 0; i < n; i++)
			/* relaxed: after the acquire of tail; the CAS on head says whether they are
			 * ours */
			batch[i] = atomic_load_explicit(&victim->runq[(h + i) % RUNQ_SIZE], memory_order_relaxed);
		/* release: the slots read before; pairs with the owner's acquire load of head in
		 * runqput */
		if (atomic_compare_exchange_weak_explicit(&victim->runqhead, &h, h + n, memory_order_release,
							  memory_order_relaxed))
			return n;
	}
}

/* Steal half of victim's Gs into pp's queue; return one of them to run. */
struct g *mn_runqsteal(struct p *pp, struct p *victim, bool steal_runnext)
{
	struct g *batch[RUNQ_SIZE / 2];
	uint32_t n = runqgrab(victim, batch, steal_runnext);
	if (n == 0)
		return NULL;
	struct g *gp = batch[--n];
	if (n == 0)
		return gp;
	/* relaxed: our own tail; the head acquire pairs with the consumers'
	 * release CAS (the slots they read are free) */
	uint32_t t = atomic_load_explicit(&pp->runqtail, memory_order_relaxed);
	uint32_t h = atomic_load_explicit(&pp->runqhead, memory_order_acquire);
	if (t - h + n > RUNQ_SIZE)
		mn_throw("runqsteal: runq overflow");
	for (uint32_t i = 0; i < n; i++)
		/* relaxed: published by the release store of tail below */
		atomic_store_explicit(&pp->runq[(t + i) % RUNQ_SIZE], batch[i], memory_order_relaxed);
	/* release: pairs with the acquire loads of tail in runqget and runqgrab */
	atomic_store_explicit(&pp->runqtail, t + n, memory_order_release);
	return gp;
}

/* Take every G of victim's queue and runnext (as a thief), linked by
 * schedlink; returns the count. */
int mn_runqdrain(struct p *victim, struct g **head, struct g **tail)
{
	struct g *batch[RUNQ_SIZE / 2];
	int total = 0;
	*head = *tail = NULL;
	for (;;) {
		uint32_t n = runqgrab(victim, batch, true);
		if (n == 0)
			return total;
		for (uint32_t i = 0; i < n; i++) {
			batch[i]->schedlink = NULL;
			if (*tail)
				(*tail)->schedlink = batch[i];
			else
				*head = batch[i];
			*tail = batch[i];
		}
		total += (int)n;
	}
}

/* Context: sched.lock held. */
void mn_globrunqput(struct g *gp)
{
	mn_globrunqputbatch(gp, gp, 1);
}

/* Context: sched.lock held. */
void mn_globrunqputbatch(struct g *head, struct g *tail, int n)
{
	MN_ASSERT_LOCKED(LOCKRANK_SCHED, "globrunqputbatch");
	tail->schedlink = NULL;
	if (mn_sched.runqtail)
		mn_sched.runqtail->schedlink = head;
	else
		mn_sched.runqhead = head;
	mn_sched.runqtail = tail;
	/* relaxed: written under sched.lock; lock-free readers take it as a hint */
	atomic_fetch_add_explicit(&mn_sched.runqsize, n, memory_order_relaxed);
}

/* Take a fair share of the global queue: one G to run, more into pp's
 * local queue.  max 0 means no limit.  Context: sched.lock held. */
struct g *mn_globrunqget(struct p *pp, int max)
{
	MN_ASSERT_LOCKED(LOCKRANK_SCHED, "globrunqget");
	int size = atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed);
	if (size == 0)
		return NULL;
	int n = size / mn_sched.nprocs + 1;
	if (n > size)
		n = size;
	if (max > 0 && n > max)
		n = max;
	if (n > RUNQ_SIZE / 2)
		n = RUNQ_SIZE / 2;
	/* Never overflow the local queue: runqputslow would take sched.lock. */
	uint32_t used = atomic_load_explicit(&pp->runqtail, memory_order_relaxed) -
			atomic_load_explicit(&pp->runqhead, memory_order_acquire);
	if ((uint32_t)n > RUNQ_SIZE - used)
		n = (int)(RUNQ_SIZE - used);
	if (n < 1)
		n = 1;
	/* relaxed: written under sched.lock; lock-free readers take it as a hint */
	atomic_fetch_sub_explicit(&mn_sched.runqsize, n, memory_order_relaxed);
	struct g *gp = mn_sched.runqhead;
	mn_sched.runqhead = gp->schedlink;
	n--;
	for (; n > 0; n--) {
		struct g *g1 = mn_sched.runqhead;
		mn_sched.runqhead = g1->schedlink;
		mn_runqput(pp, g1, false);
	}
	if (mn_sched.runqhead == NULL)
		mn_sched.runqtail = NULL;
	return gp;
}
