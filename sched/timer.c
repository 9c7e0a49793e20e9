/* sched/timer.c: the timer heaps.
 *
 * One binary min-heap of struct mn_timer per P (indexed by the P's id, so
 * a fresh P that takes an orphan's place in allp takes its heap too), and
 * one for Ms without a P, each ordered by `when` under its own lock.  A
 * timer lives on the heap its owner chose before handing it out
 * (mn_timer_home: the P it parks on), so the adder (the park's unlockf, on
 * that M) and the deleter (the owner, perhaps on another M) agree on the
 * lock without reading anything racy.  An M runs its own P's due timers
 * in schedule; an M looking for work runs every heap's (an idle P's, a
 * busy one's stuck in a long G), and an idle M sleeps no longer than the
 * earliest deadline of all.  Callbacks run with the lock released and
 * t->running set, so mn_timer_del can wait for a callback in progress and
 * the timer's memory (often on a G's stack) is never touched after
 * mn_timer_del returns.  A timer due before a blocked netpoll would end
 * breaks it (mn_netpoll_timer_added).
 */
#include "timer.h"
#include <string.h>
#include <sys/mman.h>
#include "m.h"
#include "netpoll.h"
#include "throw.h"
#include "sys.h"

/* MN_PROCS is at most 1024 (env.c); the last heap is the P-less one. */
#define NHEAPS 1025
#define NOP_HEAP (NHEAPS - 1)

struct heap {
	struct mn_lock lock;
	struct mn_timer **heap;
	int n, cap;
	_Atomic int64_t next; /* earliest when, 0 if empty; read racily */
};

static struct heap heaps[NHEAPS];
static _Atomic bool heaps_ready;

static void heaps_init(void)
{
	if (atomic_load_explicit(&heaps_ready, memory_order_acquire))
		return;
	/* Idempotent: racing initialisers write the same rank, and never
	 * touch a lock word (zero, unlocked, from the start). */
	for (int i = 0; i < NHEAPS; i++)
		heaps[i].lock.rank = LOCKRANK_TIMERS;
	atomic_store_explicit(&heaps_ready, true, memory_order_release);
}

static void swap_at(struct heap *h, int i, int j)
{
	struct mn_timer *t = h->heap[i];
	h->heap[i] = h->heap[j];
	h->heap[j] = t;
	h->heap[i]->idx = i;
	h->heap[j]->idx = j;
}

static void up(struct heap *h, int i)
{
	while (i > 0) {
		int p = (i - 1) / 2;
		if (h->heap[p]->when <= h->heap[i]->when)
			break;
		swap_at(h, i, p);
		i = p;
	}
}

static void down(struct heap *h, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && h->heap[l]->when < h->heap[m]->when)
			m = l;
		if (r < h->n && h->heap[r]->when < h->heap[m]->when)
			m = r;
		if (m == i)
			return;
		swap_at(h, i, m);
		i = m;
	}
}

static void remove_at(struct heap *h, int i)
{
	int last = --h->n;
	if (i != last) {
		swap_at(h, i, last);
		h->heap[last]->idx = -1;
		down(h, i);
		up(h, i);
	} else {
		h->heap[last]->idx = -1;
	}
}

static void set_next(struct heap *h)
{
	atomic_store_explicit(&h->next, h->n ? h->heap[0]->when : 0, memory_order_relaxed);
}

/* The heap's array grows by doubling, in memory from the kernel: never
 * from malloc, which may be an allocator that locks through our futex and
 * so parks the G holding the heap's lock (tcmalloc does). */
static void grow_locked(struct heap *h)
{
	int cap = h->cap ? h->cap * 2 : 512; /* 512 pointers: one 4 KiB page */
	size_t bytes = (size_t)cap * sizeof *h->heap;
	long r = mn_sys6(SYS_mmap, 0, (long)bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r < 0 && r > -4096)
		mn_throw("timer_add: out of memory");
	struct mn_timer **nh = (struct mn_timer **)r;
	if (h->heap) {
		memcpy(nh, h->heap, (size_t)h->n * sizeof *nh);
		mn_sys6(SYS_munmap, (long)h->heap, (long)((size_t)h->cap * sizeof *nh), 0, 0, 0, 0);
	}
	h->heap = nh;
	h->cap = cap;
}

void mn_timer_home(struct mn_timer *t)
{
	struct g *gp = mn_getg();
	struct p *pp = gp && gp->m ? gp->m->p : NULL;
	t->heap = pp ? pp->id : NOP_HEAP;
}

static struct heap *home(struct mn_timer *t)
{
	heaps_init();
	return &heaps[t->heap >= 0 && t->heap < NHEAPS ? t->heap : NOP_HEAP];
}

void mn_timer_add_if(struct mn_timer *t, _Atomic uint32_t *word, uint32_t expect)
{
	struct heap *h = home(t);
	mn_lock(&h->lock);
	bool add = t->idx < 0 && atomic_load_explicit(word, memory_order_acquire) == expect;
	if (add) {
		MN_ASSERT_LOCKED(LOCKRANK_TIMERS, "timer add");
		atomic_store_explicit(&t->running, 0, memory_order_relaxed);
		if (h->n == h->cap)
			grow_locked(h);
		t->idx = h->n;
		h->heap[h->n++] = t;
		up(h, t->idx);
		set_next(h);
	}
	mn_unlock(&h->lock);
	if (add) {
		mn_wakep();
		mn_netpoll_timer_added(t->when);
	}
}

bool mn_timer_del(struct mn_timer *t)
{
	struct heap *h = home(t);
	mn_lock(&h->lock);
	if (t->idx >= 0) {
		remove_at(h, t->idx);
		set_next(h);
		mn_unlock(&h->lock);
		return true;
	}
	mn_unlock(&h->lock);
	/* acquire: pairs with the release clearing running after the callback */
	while (atomic_load_explicit(&t->running, memory_order_acquire))
		arch_pause();
	return false;
}

static int64_t heap_next(int i)
{
	/* relaxed: a hint */
	return atomic_load_explicit(&heaps[i].next, memory_order_relaxed);
}

static int64_t earlier(int64_t a, int64_t b)
{
	return a == 0 ? b : b == 0 ? a : a < b ? a : b;
}

/* The calling M's heaps: its P's (or -1) and the P-less one. */
static int own_heap(void)
{
	struct g *gp = mn_getg();
	struct p *pp = gp && gp->m ? gp->m->p : NULL;
	return pp ? pp->id : -1;
}

int64_t mn_timers_next(void)
{
	int i = own_heap();
	return earlier(i >= 0 ? heap_next(i) : 0, heap_next(NOP_HEAP));
}

int64_t mn_timers_next_p(int id)
{
	return earlier(id >= 0 && id < NOP_HEAP ? heap_next(id) : 0, heap_next(NOP_HEAP));
}

int64_t mn_timers_next_all(void)
{
	int64_t next = heap_next(NOP_HEAP);
	for (int i = 0; i < mn_sched.nprocs; i++)
		next = earlier(next, heap_next(i));
	return next;
}

static int64_t run_heap(struct heap *h, int64_t now)
{
	int64_t next = atomic_load_explicit(&h->next, memory_order_relaxed);
	if (next == 0 || next > now)
		return next;
	for (;;) {
		mn_lock(&h->lock);
		if (h->n == 0 || h->heap[0]->when > now) {
			set_next(h);
			next = h->n ? h->heap[0]->when : 0;
			mn_unlock(&h->lock);
			return next;
		}
		struct mn_timer *t = h->heap[0];
		remove_at(h, 0);
		atomic_store_explicit(&t->running, 1, memory_order_relaxed);
		set_next(h);
		mn_unlock(&h->lock);
		t->f(t);
		/* release: the callback's writes happen before del returns */
		atomic_store_explicit(&t->running, 0, memory_order_release);
	}
}

int64_t mn_timers_run(int64_t now)
{
	heaps_init();
	int i = own_heap();
	return earlier(i >= 0 ? run_heap(&heaps[i], now) : 0, run_heap(&heaps[NOP_HEAP], now));
}

int64_t mn_timers_run_all(int64_t now)
{
	heaps_init();
	int64_t next = run_heap(&heaps[NOP_HEAP], now);
	for (int i = 0; i < mn_sched.nprocs; i++)
		next = earlier(next, run_heap(&heaps[i], now));
	return next;
}

/* The child of fork: every armed timer belongs to a thread that is gone
 * (the forking one was running, not parked or sleeping). */
void mn_timers_fork_child(void)
{
	for (int i = 0; i < NHEAPS; i++) {
		atomic_store_explicit(&heaps[i].lock.key, 0, memory_order_relaxed);
		heaps[i].n = 0;
		atomic_store_explicit(&heaps[i].next, 0, memory_order_relaxed);
	}
}
