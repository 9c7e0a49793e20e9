/* sched/gfree.c: allocating Gs, keeping dead ones for reuse, and giving
 * back to the kernel those that sat unused for a while (the scavenger).
 *
 * Reuse.  A G, its stack and its TCB are one mapping (stack.h), so a dead
 * G is reused whole: its TLS is re-initialised (mn_tcb_recycle) but
 * libc's own TLS block, with malloc's tcache, survives, which keeps RSS
 * flat however many threads a program creates.  Each P caches up to 64
 * Gs of the default shape; beyond that, batches of 32 go to the global
 * cache under sched.gflock (Go's gfput/gfget), which also holds the odd
 * shapes.
 *
 * The scavenger.  sysmon calls mn_scavenge about once a second.  A G that
 * sat in the global cache for MN_DEBUG=scavenge seconds (default 300) is
 * released: taken off the cache, its DTV and dynamic TLS freed, its
 * mapping (guard, stack, struct g, static TLS, TCB) unmapped.  A later
 * create maps a new G.  What a blocked or cached G costs is mostly its
 * header pages (stack top, struct g and DTV; static TLS and TCB) and
 * their page tables (bench_million: 8 KiB of RSS and 4 KiB of page tables
 * a thread), so:
 *  - munmap, not MADV_DONTNEED.  Discarding the stack below the header
 *    returns almost nothing; discarding the header too destroys the G
 *    (its list link, DTV and TCB live there), which must then be rebuilt
 *    at reuse just as a new one is built, and the page tables stay (the
 *    guard's marker keeps one alive per G).  munmap returns everything,
 *    reuse after a release costs what a first create costs, and the free
 *    lists keep one rule: every G on them is whole and ready.
 *  - libc's block is not dropped.  It holds malloc's per-thread state,
 *    which only glibc's own thread exit frees (tcb.c): a released G's
 *    block is kept in a pool (age.pool) and adopted by the next G made
 *    (galloc), as recycling would have kept it.  A block with nothing in
 *    it (the thread never used malloc) is dropped.  So a released G
 *    costs nothing, or 144 bytes next to the tcache malloc keeps for it.
 *
 * Age without timestamps.  Every G of the global cache is either
 *   young  mn_sched.gfree: freed, or moved from a P, since the last
 *          rotation;
 *   aging  in a bucket of age.b: the young list as it was at a rotation,
 *          stamped with that time.  Nothing in a bucket has been used
 *          since its stamp (gfget takes from buckets, nothing adds).
 * Every scavenge/AGE_BUCKETS seconds mn_scavenge makes the young list a
 * new bucket (a pointer move), and releases the buckets stamped scavenge
 * seconds ago or more: a G is released after between scavenge and
 * scavenge * (1 + 1/AGE_BUCKETS) seconds unused, plus a sysmon round.
 * gfget takes young Gs first (warm), then from the newest bucket.
 * Rejected: a time stamp per G, and sysmon walking the global list for
 * old ones each second: a million cold Gs are a million cache and TLB
 * misses under gflock every second (and struct g has no field for it).
 *
 * Per-P caches: the rule.  sysmon never touches a P's cache (owner M
 * only, no lock).  Each is bounded (GFREE_LOCAL_MAX), and its owner, at
 * its first gfget or gfput after a rotation, moves the Gs it has not
 * touched since the rotation before to the young list, where they age
 * like the rest.  A P's cache is a stack (push and pop at the head), so
 * the Gs untouched since time T are exactly the bottom k, k being the
 * least depth it had since T (tcmalloc's low-water mark): one int per P
 * (pcold, by p->id), nothing per G.  A P that never creates or ends a
 * thread again keeps at most GFREE_LOCAL_MAX Gs.
 *
 * Pacing.  Releasing is kernel work (munmap frees pages and page tables:
 * microseconds a G, more under a hypervisor), and sysmon must stay
 * prompt (retake, preemption).  One call releases for at most
 * SCAV_BUDGET_NS, unless every P is idle: then sysmon has nothing else to
 * do, and the call goes on until done or until a P goes busy (looked at
 * every SCAV_CHUNK Gs).  Adjacent mappings go in one munmap (stack.c):
 * a burst of creates got consecutive addresses.
 */
#include "gfree.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "env.h"
#include "join.h"
#include "sys.h"
#include "tcb.h"

#define GFREE_LOCAL_MAX 64
#define GFREE_BATCH 32
/* Buckets per scavenge period: a G waits at most 1/8 of the period more
 * than asked, and the ring is 8 pointers. */
#define AGE_BUCKETS 8
/* Gs taken off the cache per gflock hold while releasing: the lock is
 * held for 64 list steps, and the time budget is checked as often. */
#define SCAV_CHUNK 64
/* 10 ms: sysmon's longest pause between rounds (sysmon.c), so releasing
 * delays a retake or a preemption no more than a quiet sysmon does; at
 * one call a second, 1% of a CPU, the pace of Go's background
 * scavenger. */
#define SCAV_BUDGET_NS 10000000
#define GFREE_MAXPROCS 1024 /* MN_PROCS' upper bound (env.c) */

/* libc's static TLS block of a released G, waiting for a new G. */
struct libcsave {
	struct libcsave *next;
	unsigned char block[];
};

struct bucket {
	struct g *head;  /* linked by schedlink */
	int n;
	int64_t since;   /* no G in it used since (the rotation's now) */
};

/* The aging part of the global cache and the pool of libc blocks.
 * Synchronization: sched.gflock, but for the hints read without it. */
static struct {
	struct bucket b[AGE_BUCKETS]; /* b[(first + i) % AGE_BUCKETS], i < nb: oldest first */
	int first, nb;
	int64_t rotated;              /* the last rotation's now; 0 before the first */
	struct libcsave *pool;
	/* Written under gflock; read racily as hints (relaxed): a stale 0
	 * only sends gfget to galloc, a stale nonzero to an empty look. */
	_Atomic int nold;             /* Gs in b[] */
	_Atomic int npool;
} age;

/* Bumped at each rotation.  relaxed: the P owners read it as a hint; a
 * late look delays a flush to the next gfget or gfput. */
static _Atomic uint32_t scav_gen;

/* Per P, by p->id: the scav_gen its owner last acted on, and the least
 * depth its cache had since then.  Owner M only; a line each. */
static struct pcold {
	uint32_t gen;
	int lw;
} __attribute__((aligned(64))) pcold[GFREE_MAXPROCS];

/* Counts for tests and traces (relaxed: statistics). */
static _Atomic uint64_t nreleased, nkept;

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

/* A new G's TCB takes libc's block of a released G, if one waits. */
static void adopt_libc(struct g *gp)
{
	if (atomic_load_explicit(&age.npool, memory_order_relaxed) == 0)
		return;
	mn_lock(&mn_sched.gflock);
	struct libcsave *s = age.pool;
	if (s) {
		age.pool = s->next;
		atomic_store_explicit(&age.npool, age.npool - 1, memory_order_relaxed);
	}
	mn_unlock(&mn_sched.gflock);
	if (!s)
		return;
	mn_tcb_libc_adopt(gp->tcb, s->block);
	gp->recycled = true; /* libc's state is a dead thread's: mn_tcb_start resets it */
	free(s);
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
	adopt_libc(gp);
	return gp;
}

/* Unlink up to max Gs of req's shape from the list at *link (count *n)
 * and push them on *out.  Returns how many.  Context: gflock held. */
static int take_shape(struct g **link, int *n, const struct mn_stack_req *req, int max, struct g **out)
{
	int k = 0;
	while (*link && k < max) {
		struct g *g1 = *link;
		if (same_shape(g1, req)) {
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
 * ones first, then from the newest bucket.  Context: gflock held. */
static int global_take(const struct mn_stack_req *req, int max, struct g **out)
{
	MN_ASSERT_LOCKED(LOCKRANK_GFREE, "global_take");
	int k = take_shape(&mn_sched.gfree, &mn_sched.ngfree, req, max, out);
	int old = 0;
	for (int i = age.nb - 1; i >= 0 && k < max; i--) {
		struct bucket *bk = &age.b[(age.first + i) % AGE_BUCKETS];
		int got = take_shape(&bk->head, &bk->n, req, max - k, out);
		old += got;
		k += got;
	}
	if (old)
		atomic_store_explicit(&age.nold, age.nold - old, memory_order_relaxed);
	return k;
}

static bool global_nonempty(void)
{
	/* Racy hints (see age): gflock is taken only when worth it. */
	return *(struct g *volatile *)&mn_sched.gfree != NULL ||
	       atomic_load_explicit(&age.nold, memory_order_relaxed) != 0;
}

/* The owner's side of the per-P rule (top of file): at its first call
 * after a rotation, the Gs pp's cache has not touched since the rotation
 * before go to the young list.  Context: pp's owner M. */
static void age_p(struct p *pp)
{
	MN_ASSERT(pp->id >= 0 && pp->id < GFREE_MAXPROCS, "gfree: P id out of range");
	struct pcold *pc = &pcold[pp->id];
	uint32_t gen = atomic_load_explicit(&scav_gen, memory_order_relaxed);
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

/* ---------------------------------------------------------------- the scavenger */

/* Give the n Gs of list (off every list, owned by the caller) back to the
 * kernel, keeping their libc blocks that hold state.  Context: no lock
 * held (free, munmap). */
static void release(struct g *list, int n)
{
	MN_ASSERT(n <= SCAV_CHUNK, "scavenge: chunk too big");
	struct mn_stack st[SCAV_CHUNK];
	size_t lsz = mn_tcb_libc_bytes();
	unsigned char buf[lsz];
	struct libcsave *kept = NULL, *last = NULL;
	int i = 0, nk = 0;
	for (struct g *gp = list, *next; gp; gp = next) {
		next = gp->schedlink;
		MN_ASSERT(atomic_load_explicit(&gp->status, memory_order_relaxed) == G_IDLE,
			  "scavenge: cached G not idle");
		if (mn_tcb_libc_save(gp->tcb, buf)) {
			struct libcsave *s = malloc(sizeof *s + lsz);
			if (s == NULL) {
				/* Keep the whole G rather than leak its state. */
				mn_gfput_p(NULL, gp);
				continue;
			}
			memcpy(s->block, buf, lsz);
			s->next = kept;
			kept = s;
			if (!last)
				last = s;
			nk++;
		}
		free(gp->affinity);
		mn_tcb_release(gp->tcb);
		st[i++] = gp->stack;
	}
	mn_stack_free_many(st, i);
	if (kept) {
		mn_lock(&mn_sched.gflock);
		last->next = age.pool;
		age.pool = kept;
		atomic_store_explicit(&age.npool, age.npool + nk, memory_order_relaxed);
		mn_unlock(&mn_sched.gflock);
	}
	atomic_fetch_add_explicit(&nreleased, (uint64_t)i, memory_order_relaxed);
	atomic_fetch_add_explicit(&nkept, (uint64_t)nk, memory_order_relaxed);
}

/* Up to SCAV_CHUNK Gs off the buckets stamped before cutoff, oldest
 * first, onto *out; drops the buckets it empties.  Context: gflock. */
static int take_expired(int64_t cutoff, struct g **out)
{
	MN_ASSERT_LOCKED(LOCKRANK_GFREE, "take_expired");
	int k = 0;
	while (age.nb > 0 && k < SCAV_CHUNK) {
		struct bucket *bk = &age.b[age.first];
		if (bk->head && bk->since > cutoff)
			break;
		while (bk->head && k < SCAV_CHUNK) {
			struct g *g1 = bk->head;
			bk->head = g1->schedlink;
			bk->n--;
			g1->schedlink = *out;
			*out = g1;
			k++;
		}
		if (bk->head == NULL) {
			age.first = (age.first + 1) % AGE_BUCKETS;
			age.nb--;
		}
	}
	if (k)
		atomic_store_explicit(&age.nold, age.nold - k, memory_order_relaxed);
	return k;
}

/* Every 1/AGE_BUCKETS of the period: the young list becomes a bucket
 * stamped now, and the P owners are told (scav_gen).  Context: gflock. */
static void rotate(int64_t now, int64_t interval)
{
	MN_ASSERT_LOCKED(LOCKRANK_GFREE, "rotate");
	/* Drop the buckets gfget emptied, keeping the order. */
	int nb = 0;
	for (int i = 0; i < age.nb; i++) {
		struct bucket *bk = &age.b[(age.first + i) % AGE_BUCKETS];
		if (bk->head)
			age.b[(age.first + nb++) % AGE_BUCKETS] = *bk;
	}
	age.nb = nb;
	if (age.rotated != 0 && now - age.rotated < interval)
		return;
	if (mn_sched.gfree) {
		if (age.nb == AGE_BUCKETS)
			return; /* the oldest is not released yet: next call */
		struct bucket *bk = &age.b[(age.first + age.nb) % AGE_BUCKETS];
		bk->head = mn_sched.gfree;
		bk->n = mn_sched.ngfree;
		bk->since = now;
		age.nb++;
		atomic_store_explicit(&age.nold, age.nold + mn_sched.ngfree, memory_order_relaxed);
		mn_sched.gfree = NULL;
		mn_sched.ngfree = 0;
	}
	age.rotated = now;
	atomic_fetch_add_explicit(&scav_gen, 1, memory_order_relaxed);
}

/* sysmon has nothing else to do: no P runs code or sits in a syscall. */
static bool all_idle(void)
{
	return atomic_load_explicit(&mn_sched.npidle, memory_order_relaxed) == mn_sched.nprocs;
}

void mn_scavenge(int64_t now)
{
	if (mn_env.scavenge_s <= 0)
		return;
	int64_t period = (int64_t)mn_env.scavenge_s * 1000000000;
	int64_t start = mn_nanotime();
	for (;;) {
		struct g *list = NULL;
		mn_lock(&mn_sched.gflock);
		int n = take_expired(now - period, &list);
		mn_unlock(&mn_sched.gflock);
		if (n == 0)
			break;
		release(list, n);
		if (mn_nanotime() - start >= SCAV_BUDGET_NS && !all_idle())
			break;
	}
	/* After releasing: the ring has room again. */
	mn_lock(&mn_sched.gflock);
	rotate(now, period / AGE_BUCKETS);
	mn_unlock(&mn_sched.gflock);
}

int64_t mn_scavenge_next(void)
{
	if (mn_env.scavenge_s <= 0)
		return 0;
	int64_t period = (int64_t)mn_env.scavenge_s * 1000000000;
	int64_t next = 0;
	mn_lock(&mn_sched.gflock);
	for (int i = 0; i < age.nb; i++) {
		struct bucket *bk = &age.b[(age.first + i) % AGE_BUCKETS];
		if (bk->head) {
			next = bk->since + period;
			break;
		}
	}
	if (mn_sched.gfree) {
		int64_t r = age.rotated + period / AGE_BUCKETS;
		if (next == 0 || r < next)
			next = r;
	}
	mn_unlock(&mn_sched.gflock);
	return next;
}

void mn_gfree_fork_child(void)
{
	mn_sched.gfree = NULL;
	mn_sched.ngfree = 0;
	memset(age.b, 0, sizeof age.b);
	age.first = age.nb = 0;
	age.pool = NULL;
	atomic_store_explicit(&age.nold, 0, memory_order_relaxed);
	atomic_store_explicit(&age.npool, 0, memory_order_relaxed);
}

#if defined(MN_TEST) && MN_TEST
/* tests/unit/scavenge_test.cc (C++ cannot include runtime.h). */
void mn_test_gfree_reset(void)
{
	mn_gfree_fork_child();
	age.rotated = 0;
	memset(pcold, 0, sizeof pcold);
	atomic_store(&scav_gen, 0);
	atomic_store(&nreleased, 0);
	atomic_store(&nkept, 0);
}

void mn_test_gfree_counts(int *young, int *old, int *pool)
{
	mn_lock(&mn_sched.gflock);
	*young = mn_sched.ngfree;
	*old = atomic_load(&age.nold);
	*pool = atomic_load(&age.npool);
	mn_unlock(&mn_sched.gflock);
}

uint64_t mn_test_gfree_released(void) { return atomic_load(&nreleased); }

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
