/* sched/timer.c: the timer heap.
 *
 * One binary min-heap of struct mn_timer ordered by `when`, under
 * timers.lock.  Ms run due timers in findrunnable; an M that goes idle
 * sleeps no longer than the earliest deadline.  Callbacks run with the
 * lock released and t->running set, so mn_timer_del can wait for a
 * callback in progress and the timer's memory (often on a G's stack) is
 * never touched after mn_timer_del returns.
 * A timer due before a blocked netpoll would end breaks it
 * (mn_netpoll_timer_added).
 * TODO(issue 12): per-P heaps.
 */
#include "timer.h"
#include <string.h>
#include <sys/mman.h>
#include "m.h"
#include "netpoll.h"
#include "throw.h"
#include "sys.h"

static struct {
	struct mn_lock lock;
	struct mn_timer **heap;
	int n, cap;
	_Atomic int64_t next; /* earliest when, 0 if empty; read racily */
} timers = { .lock = MN_LOCK_INIT(LOCKRANK_TIMERS) };

static void swap_at(int i, int j)
{
	struct mn_timer *t = timers.heap[i];
	timers.heap[i] = timers.heap[j];
	timers.heap[j] = t;
	timers.heap[i]->idx = i;
	timers.heap[j]->idx = j;
}

static void up(int i)
{
	while (i > 0) {
		int p = (i - 1) / 2;
		if (timers.heap[p]->when <= timers.heap[i]->when)
			break;
		swap_at(i, p);
		i = p;
	}
}

static void down(int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < timers.n && timers.heap[l]->when < timers.heap[m]->when)
			m = l;
		if (r < timers.n && timers.heap[r]->when < timers.heap[m]->when)
			m = r;
		if (m == i)
			return;
		swap_at(i, m);
		i = m;
	}
}

static void remove_at(int i)
{
	int last = --timers.n;
	if (i != last) {
		swap_at(i, last);
		timers.heap[last]->idx = -1;
		down(i);
		up(i);
	} else {
		timers.heap[last]->idx = -1;
	}
}

static void set_next(void)
{
	atomic_store_explicit(&timers.next, timers.n ? timers.heap[0]->when : 0, memory_order_relaxed);
}

/* The heap's array grows by doubling, in memory from the kernel: never
 * from malloc, which may be an allocator that locks through our futex and
 * so parks the G holding timers.lock (tcmalloc does). */
static void grow_locked(void)
{
	int cap = timers.cap ? timers.cap * 2 : 512; /* 512 pointers: one 4 KiB page */
	size_t bytes = (size_t)cap * sizeof *timers.heap;
	long r = mn_sys6(SYS_mmap, 0, (long)bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r < 0 && r > -4096)
		mn_throw("timer_add: out of memory");
	struct mn_timer **h = (struct mn_timer **)r;
	if (timers.heap) {
		memcpy(h, timers.heap, (size_t)timers.n * sizeof *h);
		mn_sys6(SYS_munmap, (long)timers.heap, (long)((size_t)timers.cap * sizeof *h), 0, 0, 0, 0);
	}
	timers.heap = h;
	timers.cap = cap;
}

/* Context: timers.lock held. */
static void add_locked(struct mn_timer *t)
{
	MN_ASSERT_LOCKED(LOCKRANK_TIMERS, "timer add");
	atomic_store_explicit(&t->running, 0, memory_order_relaxed);
	if (timers.n == timers.cap)
		grow_locked();
	t->idx = timers.n;
	timers.heap[timers.n++] = t;
	up(t->idx);
	set_next();
}

void mn_timer_add_if(struct mn_timer *t, _Atomic uint32_t *word, uint32_t expect)
{
	mn_lock(&timers.lock);
	bool add = t->idx < 0 && atomic_load_explicit(word, memory_order_acquire) == expect;
	if (add)
		add_locked(t);
	mn_unlock(&timers.lock);
	if (add) {
		mn_wakep();
		mn_netpoll_timer_added(t->when);
	}
}

bool mn_timer_del(struct mn_timer *t)
{
	mn_lock(&timers.lock);
	if (t->idx >= 0) {
		remove_at(t->idx);
		set_next();
		mn_unlock(&timers.lock);
		return true;
	}
	mn_unlock(&timers.lock);
	/* acquire: pairs with the release clearing running after the callback */
	while (atomic_load_explicit(&t->running, memory_order_acquire))
		arch_pause();
	return false;
}

int64_t mn_timers_next(void)
{
	return atomic_load_explicit(&timers.next, memory_order_relaxed);
}

int64_t mn_timers_run(int64_t now)
{
	int64_t next = mn_timers_next();
	if (next == 0 || next > now)
		return next;
	for (;;) {
		mn_lock(&timers.lock);
		if (timers.n == 0 || timers.heap[0]->when > now) {
			set_next();
			next = timers.n ? timers.heap[0]->when : 0;
			mn_unlock(&timers.lock);
			return next;
		}
		struct mn_timer *t = timers.heap[0];
		remove_at(0);
		atomic_store_explicit(&t->running, 1, memory_order_relaxed);
		set_next();
		mn_unlock(&timers.lock);
		t->f(t);
		/* release: the callback's writes happen before del returns */
		atomic_store_explicit(&t->running, 0, memory_order_release);
	}
}

/* The child of fork: every armed timer belongs to a thread that is gone
 * (the forking one was running, not parked or sleeping). */
void mn_timers_fork_child(void)
{
	atomic_store_explicit(&timers.lock.key, 0, memory_order_relaxed);
	timers.n = 0;
	atomic_store_explicit(&timers.next, 0, memory_order_relaxed);
}
