/* sched/gfree.c: allocating Gs and keeping dead ones for reuse.
 *
 * A G, its stack and its TCB are one mapping (stack.h), so a dead G is
 * reused whole: its TLS is re-initialised (mn_tcb_recycle) but libc's own
 * TLS block, with malloc's tcache, survives, which keeps RSS flat however
 * many threads a program creates.  Each P caches up to 64 Gs of the
 * default shape; beyond that, batches of 32 go to the global list under
 * sched.gflock (Go's gfput/gfget), which also holds the odd shapes.
 * TODO(scavenger): return cold stacks' pages (MADV_DONTNEED) from sysmon.
 */
#include "gfree.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "join.h"
#include "tcb.h"

#define GFREE_LOCAL_MAX 64
#define GFREE_BATCH 32

static bool same_shape(const struct g *gp, const struct mn_stack_req *req)
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
	return gp;
}

/* A G of the requested shape, reset, with its TLS initialised. */
struct g *mn_gfget(struct p *pp, const struct mn_stack_req *req)
{
	struct g *gp = NULL;
	bool dflt = default_shape(req);
	if (pp && dflt) {
		if (pp->gfree == NULL && mn_sched.gfree) {
			mn_lock(&mn_sched.gflock);
			struct g **link = &mn_sched.gfree;
			while (*link && pp->ngfree < GFREE_BATCH) {
				struct g *g1 = *link;
				if (same_shape(g1, req)) {
					*link = g1->schedlink;
					mn_sched.ngfree--;
					g1->schedlink = pp->gfree;
					pp->gfree = g1;
					pp->ngfree++;
				} else {
					link = &g1->schedlink;
				}
			}
			mn_unlock(&mn_sched.gflock);
		}
		gp = pp->gfree;
		if (gp) {
			pp->gfree = gp->schedlink;
			pp->ngfree--;
		}
	} else if (mn_sched.gfree) {
		mn_lock(&mn_sched.gflock);
		for (struct g **link = &mn_sched.gfree; *link; link = &(*link)->schedlink) {
			if (same_shape(*link, req)) {
				gp = *link;
				*link = gp->schedlink;
				mn_sched.ngfree--;
				break;
			}
		}
		mn_unlock(&mn_sched.gflock);
	}
	if (gp) {
		struct mn_stack st = gp->stack;
		uintptr_t tcb = gp->tcb;
		uint32_t parkseq = gp->parkseq;
		free(gp->affinity);
		mn_tcb_recycle(tcb);
		memset(gp, 0, sizeof *gp);
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
