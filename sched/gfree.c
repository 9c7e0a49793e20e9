/* sched/gfree.c: allocating Gs and keeping dead ones for reuse.
 *
 * A G, its stack and its TCB are one mapping (stack.h), so a dead G is
 * reused whole: its TLS is re-initialised (mn_tcb_recycle) but libc's own
 * TLS block, with malloc's tcache, survives, which keeps RSS flat however
 * many threads a program creates.  Each P caches up to 64 Gs of the
 * default shape; beyond that, batches of 32 go to the global cache under
 * sched.gflock (Go's gfput/gfget), which also holds the odd shapes.
 *
 * The global cache is the young list (mn_sched.gfree: Gs freed, or moved
 * from a P, lately) and the aging buckets of the scavenger (scavenge.c),
 * which unmaps the Gs nobody used for MN_DEBUG=scavenge seconds.  gfget
 * takes young Gs first (warm), then aging ones, newest first.
 *
 * Per-P caches: the rule.  The scavenger (sysmon) never touches a P's
 * cache (owner M only, no lock).  Each is bounded (GFREE_LOCAL_MAX), and
 * its owner, at its first gfget or gfput after a rotation of the buckets
 * (mn_scav_gen), moves the Gs it has not touched since its first call
 * after the rotation before to the young list, where they age like the
 * rest (a whole period: the clock starts there).  A P's cache is
 * a stack (push and pop at the head), so the Gs untouched since time T
 * are exactly the bottom k, k being the least depth it had since T
 * (tcmalloc's low-water mark): one int per P (pcold, by p->id), nothing
 * per G.  A P that never creates or ends a thread again keeps at most
 * GFREE_LOCAL_MAX Gs.
 */
#include "gfree.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "join.h"
#include "scavenge.h"
#include "tcb.h"

#define GFREE_LOCAL_MAX 64
#define GFREE_BATCH 32
#define GFREE_MAXPROCS 1024 /* MN_PROCS' upper bound (env.c) */

/* Per P, by p->id: the mn_scav_gen its owner last acted on, and the least
 * depth its cache had since then.  Owner M only; a line each. */
static struct pcold {
	uint32_t gen;
	int lw;
} __attribute__((aligned(64))) pcold[GFREE_MAXPROCS];

bool mn_gfree_same_shape(const struct g *gp, const struct mn_stack_req *req)
{
	if (req->userstack)
		return gp->stack.user;
	return !gp->stack.user && gp->stack.reqsize == req->stacksize &&
	       gp->stack.guardsize == ((req->guardsize + mn_pagesize - 1) & ~(mn_pagesize - 1));
}

static bool default_shape(const struct mn_stack_req *req)
{
	return !req->userstack && req->stacksize == 0 && req->guardsize == mn_pagesize;
}

static struct {
	struct mn_lock lock;
	struct g *head;
} allg = { .lock = MN_LOCK_INIT(LOCKRANK_ALLG) };

void mn_allg_lock(void) { mn_lock(&allg.lock); }
void mn_allg_unlock(void) { mn_unlock(&allg.lock); }
struct g *mn_allg_first(void) { return allg.head; }

static void allg_add(struct g *gp)
{
	mn_lock(&allg.lock);
	gp->allprev = NULL;
	gp->allnext = allg.head;
	if (allg.head)
		allg.head->allprev = gp;
	allg.head = gp;
	mn_unlock(&allg.lock);
}

void mn_allg_remove(struct g *gp)
{
	mn_lock(&allg.lock);
	if (gp->allprev)
		gp->allprev->allnext = gp->allnext;
	else if (allg.head == gp)
		allg.head = gp->allnext;
	if (gp->allnext)
		gp->allnext->allprev = gp->allprev;
	gp->allnext = gp->allprev = NULL;
	mn_unlock(&allg.lock);
}

void mn_allg_fork_child(struct g *self, struct g *cache)
{
	atomic_store_explicit(&allg.lock.key, 0, memory_order_relaxed);
	allg.head = NULL;
	if (self && !(self->flags & (G_MAIN | G_G0)))
		allg_add(self);
	for (struct g *gp = cache; gp; gp = gp->schedlink)
		allg_add(gp);
}

static struct g *galloc(const struct mn_stack_req *req)
{
	struct mn_stack st;
	if (mn_stack_alloc(&st, req, mn_tcb_header_bytes()) < 0)
		return NULL;
	uintptr_t top = (uintptr_t)st.map + st.mapsize;
	uintptr_t tcb = mn_tcb_create(top);
	if (tcb == 0) {
		mn_stack_free(&st);
		return NULL;
	}
	uintptr_t tls_lo = tcb - (mn_tcbinfo.static_size - mn_tcbinfo.tcb_size);
	struct g *gp = (struct g *)((tls_lo - sizeof(struct g)) & ~(uintptr_t)63);
	memset(gp, 0, sizeof *gp);
	gp->ptimer.t.idx = -1;
	uintptr_t dtv = ((uintptr_t)gp - mn_tcb_dtv_bytes()) & ~(uintptr_t)63;
	mn_tcb_place_dtv(tcb, (void *)dtv);
	if (!st.user)
		st.hi = dtv & ~(uintptr_t)15;
	gp->stack = st;
	gp->tcb = tcb;
	mn_scav_adopt(gp);
	allg_add(gp);
	return gp;
}

int mn_gfree_take_shape(struct g **link, int *n, const struct mn_stack_req *req, int max, struct g **out)
{
	int k = 0;
	while (*link && k < max) {
		struct g *g1 = *link;
		if (mn_gfree_same_shape(g1, req)) {
			*link = g1->schedlink;
			(*n)--;
			g1->schedlink = *out;
			*out = g1;
			k++;
		} else {
			link = &g1->schedlink;
		}
	}
	return k;
}

/* Up to max Gs of req's shape from the global cache onto *out: young
 * ones first, then aging ones.  Context: gflock held. */
static int global_take(const struct mn_stack_req *req, int max, struct g **out)
{
	MN_ASSERT_LOCKED(LOCKRANK_GFREE, "global_take");
	int k = mn_gfree_take_shape(&mn_sched.gfree, &mn_sched.ngfree, req, max, out);
	if (k < max)
		k += mn_scav_take(req, max - k, out);
	return k;
}

static bool global_nonempty(void)
{
	/* Racy hints: gflock is taken only when worth it. */
	return *(struct g *volatile *)&mn_sched.gfree != NULL || mn_scav_nonempty();
}

/* The owner's side of the per-P rule (top of file): at its first call
 * after a rotation, the Gs pp's cache has not touched since its first
 * call after the rotation before go to the young list.  Context: pp's
 * owner M. */
static void age_p(struct p *pp)
{
	MN_ASSERT(pp->id >= 0 && pp->id < GFREE_MAXPROCS, "gfree: P id out of range");
	struct pcold *pc = &pcold[pp->id];
	uint32_t gen = atomic_load_explicit(&mn_scav_gen, memory_order_relaxed);
	if (pc->gen == gen)
		return;
	pc->gen = gen;
	int cold = pc->lw < pp->ngfree ? pc->lw : pp->ngfree;
	if (cold > 0) {
		struct g **link = &pp->gfree;
		for (int i = pp->ngfree - cold; i > 0; i--)
			link = &(*link)->schedlink;
		struct g *first = *link, *last = first;
		while (last->schedlink)
			last = last->schedlink;
		*link = NULL;
		pp->ngfree -= cold;
		mn_lock(&mn_sched.gflock);
		last->schedlink = mn_sched.gfree;
		mn_sched.gfree = first;
		mn_sched.ngfree += cold;
		mn_unlock(&mn_sched.gflock);
	}
	pc->lw = pp->ngfree;
}

/* pp's cache got shallower: keep its low-water mark.  Context: owner M. */
static void note_depth(struct p *pp)
{
	struct pcold *pc = &pcold[pp->id];
	if (pp->ngfree < pc->lw)
		pc->lw = pp->ngfree;
}

/* A G of the requested shape, reset, with its TLS initialised. */
struct g *mn_gfget(struct p *pp, const struct mn_stack_req *req)
{
	struct g *gp = NULL;
	if (pp && default_shape(req)) {
		MN_ASSERT_OWNS_P(pp, "gfget");
		age_p(pp);
		if (pp->gfree == NULL && global_nonempty()) {
			mn_lock(&mn_sched.gflock);
			pp->ngfree += global_take(req, GFREE_BATCH, &pp->gfree);
			mn_unlock(&mn_sched.gflock);
		}
		gp = pp->gfree;
		if (gp) {
			pp->gfree = gp->schedlink;
			pp->ngfree--;
			note_depth(pp);
		}
	} else if (global_nonempty()) {
		mn_lock(&mn_sched.gflock);
		global_take(req, 1, &gp);
		mn_unlock(&mn_sched.gflock);
	}
	if (gp) {
		struct mn_stack st = gp->stack;
		uintptr_t tcb = gp->tcb;
		uint32_t parkseq = gp->parkseq;
		free(gp->affinity);
		mn_tcb_recycle(tcb);
		memset(gp, 0, offsetof(struct g, allnext)); /* on allgs still */
		gp->stack = st;
		gp->tcb = tcb;
		gp->parkseq = parkseq;
		gp->ptimer.t.idx = -1;
		gp->recycled = true;
	} else {
		gp = galloc(req);
		if (!gp)
			return NULL;
	}
	if (req->userstack) {
		gp->stack.lo = (uintptr_t)req->userstack;
		gp->stack.hi = (uintptr_t)req->userstack + req->usersize;
	}
	gp->magic = G_MAGIC;
	/* Fresh (zeroed) or from a free list: idle either way. */
	MN_ASSERT(atomic_load_explicit(&gp->status, memory_order_relaxed) == G_IDLE, "gfget: free G not idle");
	atomic_store_explicit(&gp->status, G_IDLE, memory_order_relaxed);
	atomic_store_explicit(&gp->joinstate, JS_JOINABLE, memory_order_relaxed);
	return gp;
}

void mn_gfput_p(struct p *pp, struct g *gp)
{
	/* A dead G, or one made and never started (a failed create). */
	MN_ASSERT(atomic_load_explicit(&gp->status, memory_order_relaxed) == G_DEAD ||
		  atomic_load_explicit(&gp->status, memory_order_relaxed) == G_IDLE, "gfput: G is not dead");
	atomic_store_explicit(&gp->status, G_IDLE, memory_order_relaxed);
	bool dflt = !gp->stack.user && gp->stack.reqsize == 0 && gp->stack.guardsize == mn_pagesize;
	if (pp && dflt) {
		MN_ASSERT_OWNS_P(pp, "gfput");
		age_p(pp);
		gp->schedlink = pp->gfree;
		pp->gfree = gp;
		if (++pp->ngfree < GFREE_LOCAL_MAX)
			return;
		/* Move a batch to the global list. */
		mn_lock(&mn_sched.gflock);
		while (pp->ngfree > GFREE_LOCAL_MAX - GFREE_BATCH) {
			struct g *g1 = pp->gfree;
			pp->gfree = g1->schedlink;
			pp->ngfree--;
			g1->schedlink = mn_sched.gfree;
			mn_sched.gfree = g1;
			mn_sched.ngfree++;
		}
		mn_unlock(&mn_sched.gflock);
		note_depth(pp);
		return;
	}
	mn_lock(&mn_sched.gflock);
	gp->schedlink = mn_sched.gfree;
	mn_sched.gfree = gp;
	mn_sched.ngfree++;
	mn_unlock(&mn_sched.gflock);
}

/* Context: g0 with a P, a G with a P, or a foreign thread (no P). */
void mn_gfput(struct g *gp)
{
	struct g *cur = mn_getg();
	mn_gfput_p(cur && cur->m ? cur->m->p : NULL, gp);
}

void mn_gfree_fork_child(void)
{
	mn_sched.gfree = NULL;
	mn_sched.ngfree = 0;
	mn_scav_fork_child();
}

#if defined(MN_TEST) && MN_TEST
/* tests/unit/scavenge_test.cc (C++ cannot include runtime.h). */
void mn_test_gfree_reset(void)
{
	mn_gfree_fork_child();
	mn_allg_fork_child(NULL, NULL); /* the Gs the caches held are forgotten */
	memset(pcold, 0, sizeof pcold);
	mn_scav_test_reset();
}

void mn_test_g_mapping(struct g *gp, void **map, size_t *mapsize, uintptr_t *lo, uintptr_t *hi, uintptr_t *tcb)
{
	*map = gp->stack.map;
	*mapsize = gp->stack.mapsize;
	*lo = gp->stack.lo;
	*hi = gp->stack.hi;
	*tcb = gp->tcb;
}

bool mn_test_g_recycled(struct g *gp) { return gp->recycled; }

struct p *mn_test_p_new(int id)
{
	struct p *pp = aligned_alloc(64, (sizeof(struct p) + 63) & ~(size_t)63);
	memset(pp, 0, sizeof *pp);
	pp->id = id;
	return pp;
}

int mn_test_p_ngfree(struct p *pp) { return pp->ngfree; }
#endif
