/* sched/scavenge.c: giving back to the kernel the memory of cached Gs
 * that sat unused for a while (issue 11's scavenger).
 *
 * sysmon calls mn_scavenge about once a second.  A G that sat in the
 * global cache (gfree.c) for MN_DEBUG=scavenge seconds (default 300) is
 * released: taken off the cache, its dynamic TLS freed, its mapping
 * (guard, stack, struct g, static TLS, TCB) unmapped.  A later create
 * maps a new G.  What a blocked or cached G costs is mostly its header
 * pages (stack top, struct g and DTV; static TLS and TCB) and their page
 * tables (bench_million: 8 KiB of RSS and 4 KiB of page tables a
 * thread), so:
 *  - munmap, not MADV_DONTNEED.  Discarding the stack below the header
 *    returns almost nothing; discarding the header too destroys the G
 *    (its list link, DTV and TCB live there), which must then be rebuilt
 *    at reuse just as a new one is built, and the page tables stay (the
 *    guard's marker keeps one alive per G).  munmap returns everything,
 *    reuse after a release costs what a first create costs, and the free
 *    lists keep one rule: every G on them is whole and ready.
 *  - libc's block is not dropped.  It holds malloc's per-thread state,
 *    which only glibc's own thread exit frees (tcb.c): a released G's
 *    block is kept in a pool and adopted by the next G made (galloc,
 *    mn_scav_adopt), as recycling would have kept it.  A block with
 *    nothing in it (the thread never used malloc) is dropped.  So a
 *    released G costs nothing, or 144 bytes next to the tcache (and the
 *    chunks cached in it: up to tens of KiB) that malloc keeps for it
 *    until a new thread takes it over: glibc exports no way to flush
 *    another thread's tcache.
 *
 * Age without timestamps.  A G of the global cache is either young
 * (mn_sched.gfree: freed, or moved from a P, since the last rotation) or
 * aging, in a bucket: the young list as it was at a rotation, stamped with
 * that time.  Nothing in a bucket has been used since its stamp (gfget
 * takes from buckets, nothing adds to them).  Every scavenge/AGE_BUCKETS
 * seconds mn_scavenge makes the young list a new bucket (a pointer move)
 * and bumps mn_scav_gen (the P owners' cue, gfree.c), and it releases the
 * buckets stamped scavenge seconds ago or more: a G goes after between
 * scavenge and scavenge * (1 + 1/AGE_BUCKETS) seconds unused, plus a
 * sysmon round.
 * Rejected: a time stamp per G, and sysmon walking the global list for
 * old ones each second: a million cold Gs are a million cache and TLB
 * misses under gflock every second (and struct g has no field for it).
 *
 * Pacing.  Releasing is kernel work (munmap frees pages and page tables:
 * microseconds a G, tens of them under a paravirtualised MMU), and sysmon
 * must stay prompt (retake, preemption).  One call releases for at most
 * SCAV_BUDGET_NS, unless every P is idle: then sysmon has nothing else to
 * do, and the call goes on until done or until a P goes busy (looked at
 * every SCAV_CHUNK Gs).  Adjacent mappings go in one munmap (stack.c): a
 * burst of creates got consecutive addresses.
 */
#include "scavenge.h"
#include <stdlib.h>
#include <string.h>
#include "env.h"
#include "gfree.h"
#include "sys.h"
#include "tcb.h"

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
_Atomic uint32_t mn_scav_gen;

/* Counts for tests and traces (relaxed: statistics). */
static _Atomic uint64_t nreleased, nkept;

/* Add d to a hint of age.  Context: gflock held (the only writers). */
static void hint_add(_Atomic int *h, int d)
{
	atomic_store_explicit(h, atomic_load_explicit(h, memory_order_relaxed) + d, memory_order_relaxed);
}

/* A new G's TCB takes libc's block of a released G, if one waits. */
void mn_scav_adopt(struct g *gp)
{
	if (atomic_load_explicit(&age.npool, memory_order_relaxed) == 0)
		return;
	mn_lock(&mn_sched.gflock);
	struct libcsave *s = age.pool;
	if (s) {
		age.pool = s->next;
		hint_add(&age.npool, -1);
	}
	mn_unlock(&mn_sched.gflock);
	if (!s)
		return;
	mn_tcb_libc_adopt(gp->tcb, s->block);
	gp->recycled = true; /* libc's state is a dead thread's: mn_tcb_start resets it */
	free(s);
}

int mn_scav_take(const struct mn_stack_req *req, int max, struct g **out)
{
	MN_ASSERT_LOCKED(LOCKRANK_GFREE, "scav_take");
	int k = 0;
	for (int i = age.nb - 1; i >= 0 && k < max; i--) {
		struct bucket *bk = &age.b[(age.first + i) % AGE_BUCKETS];
		k += mn_gfree_take_shape(&bk->head, &bk->n, req, max - k, out);
	}
	if (k)
		hint_add(&age.nold, -k);
	return k;
}

bool mn_scav_nonempty(void)
{
	return atomic_load_explicit(&age.nold, memory_order_relaxed) != 0;
}

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
		mn_allg_remove(gp);
		mn_tcb_release(gp->tcb);
		st[i++] = gp->stack;
	}
	mn_stack_free_many(st, i);
	if (kept) {
		mn_lock(&mn_sched.gflock);
		last->next = age.pool;
		age.pool = kept;
		hint_add(&age.npool, nk);
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
		hint_add(&age.nold, -k);
	return k;
}

/* Every 1/AGE_BUCKETS of the period: the young list becomes a bucket
 * stamped now, and the P owners are told (mn_scav_gen).  Context: gflock. */
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
		hint_add(&age.nold, mn_sched.ngfree);
		mn_sched.gfree = NULL;
		mn_sched.ngfree = 0;
	}
	age.rotated = now;
	atomic_fetch_add_explicit(&mn_scav_gen, 1, memory_order_relaxed);
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

void mn_scav_fork_child(void)
{
	memset(age.b, 0, sizeof age.b);
	age.first = age.nb = 0;
	age.pool = NULL;
	atomic_store_explicit(&age.nold, 0, memory_order_relaxed);
	atomic_store_explicit(&age.npool, 0, memory_order_relaxed);
}

#if defined(MN_TEST) && MN_TEST
/* tests/unit/scavenge_test.cc (C++ cannot include runtime.h). */
void mn_scav_test_reset(void)
{
	mn_scav_fork_child();
	age.rotated = 0;
	atomic_store(&mn_scav_gen, 0);
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
#endif
