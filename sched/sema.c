/* sched/sema.c: park Gs (and foreign threads) by address.
 *
 * 256 buckets, each a lock and a FIFO doubly-linked list of waiters,
 * picked by a multiplicative (Fibonacci) hash of the address: it spreads
 * addresses that differ by powers of two as Go's prime-sized table (251)
 * does, without a division on every wait and wake.  A waiter is on the
 * waiting thread's stack.  Who removes a waiter from its bucket decides
 * its outcome, under the bucket lock:
 * mn_sema_wake marks it WOKEN, the time-out path marks it TIMEDOUT.  The
 * waitsel protocol (park.c) then decides who calls goready, so a wake-up
 * that races a time-out is never lost: the waiter reports WOKEN.
 * A G with a real-time policy (SCHED_FIFO, SCHED_RR) queues ahead of
 * every waiter of a lower priority, as the kernel queues futex waiters:
 * a mutex or a semaphore goes to its highest-priority waiter first.
 * The rest keep their order of arrival.
 */
#include "sema.h"
#include "gsig.h"
#include <errno.h>
#include <sched.h>
#include "park.h"
#include "proc.h"
#include "sys.h"
#include "tcb.h"

/* 256 buckets (2^NBUCKET_BITS) of one cache line each: 16 KiB, enough that
 * unrelated waits rarely share a bucket lock. */
#define NBUCKET_BITS 8
#define NBUCKET (1 << NBUCKET_BITS)
/* Waiters a broadcast takes off a bucket per lock hold: bounded, so a
 * thousand waiters never hold the bucket lock for long; on the stack. */
#define WAKE_BATCH 16

enum { W_QUEUED, W_WOKEN, W_TIMEDOUT, W_HANDOFF, W_CANCELLED };

struct waiter {
	const void *addr;
	struct g *g;                  /* NULL for a foreign thread */
	struct waiter *next, *prev;
	struct bucket *b;
	int state;                    /* bucket lock */
	bool cancellable;             /* a G at a cancellation point (MN_SEMA_CANCEL) */
	bool sigable;                 /* a G whose signals end the wait (MN_SEMA_SIGNALS) */
	uint32_t bitset;              /* futex bitset; ~0 for everything else */
	int prio;                     /* a real-time G's priority, else 0 */
	_Atomic uint32_t word;        /* foreign threads sleep here */
};

struct bucket {
	struct mn_slock lock;
	struct waiter *head, *tail;
	char pad[64 - sizeof(struct mn_slock) - 2 * sizeof(void *)];
} __attribute__((aligned(64)));

static struct bucket buckets[NBUCKET] = {
	[0 ... NBUCKET - 1] = { .lock = MN_SLOCK_INIT(LOCKRANK_SEMA) },
};

static struct bucket *bucket_of(const void *addr)
{
	/* Fibonacci hashing: the word's address (low 2 bits always 0)
	 * times 2^32 / golden ratio; the top 8 bits pick one of the 256
	 * buckets (NBUCKET), spreading neighbouring words apart. */
	return &buckets[(uint32_t)((uintptr_t)addr >> 2) * 0x9e3779b1u >> (32 - NBUCKET_BITS)];
}

static void unlink_w(struct bucket *b, struct waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		b->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		b->tail = w->prev;
	w->next = w->prev = NULL;
}

static bool unlock_bucket(struct g *gp, void *arg)
{
	struct bucket *b = arg;
	mn_sunlock(&b->lock);
	return true;
}

static void on_timeout(struct g *gp, void *arg)
{
	struct waiter *w = arg;
	struct bucket *b = w->b;
	mn_slock(&b->lock);
	if (w->state == W_QUEUED) {
		unlink_w(b, w);
		w->state = W_TIMEDOUT;
	}
	mn_sunlock(&b->lock);
}

/* For the timed G park: the unlockf receives the waiter. */
static bool unlock_bucket_w(struct g *gp, void *arg)
{
	struct waiter *w = arg;
	mn_sunlock(&w->b->lock);
	return true;
}

/* g->waitreason of a park, by MN_WHY_* (index 15 and the unnamed: "sema"). */
static const char *const why_names[16] = {
	[MN_WHY_SEMA] = "sema", [MN_WHY_MUTEX] = "mutex", [MN_WHY_COND] = "cond", [MN_WHY_RWLOCK] = "rwlock",
	[MN_WHY_SEM] = "sem", [MN_WHY_BARRIER] = "barrier", [MN_WHY_ONCE] = "once", [MN_WHY_FUTEX] = "futex",
	[MN_WHY_N... 15] = "sema",
};

int mn_sema_park(const void *addr, bool (*check)(const void *, void *), void *arg, int64_t deadline,
		 int flags)
{
	return mn_sema_park_bitset(addr, check, arg, deadline, flags, ~0u);
}

int mn_sema_park_bitset(const void *addr, bool (*check)(const void *, void *), void *arg, int64_t deadline,
			int flags, uint32_t bitset)
{
	struct bucket *b = bucket_of(addr);
	struct waiter w = { .addr = addr, .b = b, .state = W_QUEUED, .bitset = bitset };
	w.g = mn_is_g() ? mn_getg() : NULL;
	w.cancellable = w.g && (flags & MN_SEMA_CANCEL);
	w.sigable = w.g && (flags & MN_SEMA_SIGNALS);
	if (w.cancellable || w.sigable) {
		/* Tell pthread_cancel where to look.  It sets the request, then
		 * reads this; we store this, then (after the bucket lock's
		 * locked instruction, a full barrier on x86) read the request:
		 * one of us sees the other. */
		atomic_store_explicit(&w.g->cancelsema, addr, memory_order_relaxed);
		/* compiler-only: keeps the store above the bucket lock's locked instruction */
		atomic_signal_fence(memory_order_seq_cst);
	}
	mn_slock(&b->lock);
	if (!check(addr, arg)) {
		mn_sunlock(&b->lock);
		return MN_SEMA_NOTPARKED;
	}
	if (w.cancellable && (mn_tcb_self_cancel_pending() || mn_gsig_deliverable(w.g))) {
		mn_sunlock(&b->lock);
		return -ECANCELED;
	}
	if (w.sigable && mn_gsig_deliverable(w.g)) {
		mn_sunlock(&b->lock);
		return -EINTR;
	}
	if (w.g) {
		int pol = w.g->schedpolicy & ~SCHED_RESET_ON_FORK;
		if (pol == SCHED_FIFO || pol == SCHED_RR)
			w.prio = w.g->schedprio;
	}
	if (w.prio > 0 && b->tail && b->tail->prio < w.prio) {
		/* after the last waiter of at least our priority */
		struct waiter *at = b->tail;
		while (at->prev && at->prev->prio < w.prio)
			at = at->prev;
		w.next = at;
		w.prev = at->prev;
		if (at->prev)
			at->prev->next = &w;
		else
			b->head = &w;
		at->prev = &w;
	} else if ((flags & MN_SEMA_LIFO) && b->head) {
		w.next = b->head;
		b->head->prev = &w;
		b->head = &w;
	} else {
		w.prev = b->tail;
		if (b->tail)
			b->tail->next = &w;
		else
			b->head = &w;
		b->tail = &w;
	}
	if (w.g) {
		const char *why = why_names[(flags >> MN_SEMA_WHY_SHIFT) & 15];
		if (deadline)
			mn_gopark_until(unlock_bucket_w, &w, deadline, on_timeout, why);
		else
			mn_gopark(unlock_bucket, b, why);
	} else {
		mn_sunlock(&b->lock);
		/* acquire: pairs with the waker's release store of word */
		while (atomic_load_explicit(&w.word, memory_order_acquire) == 0) {
			if (deadline) {
				struct timespec abs = { deadline / 1000000000, deadline % 1000000000 };
				if (mn_futex_wait_abs(&w.word, 0, &abs) == -ETIMEDOUT) {
					on_timeout(NULL, &w);
					if (w.state == W_TIMEDOUT)
						break;
					deadline = 0; /* woken meanwhile: the waker is on its way */
				}
			} else {
				mn_futex_wait(&w.word, 0, NULL);
			}
		}
	}
	/* state was written under the bucket lock before the waker readied us
	 * (mn_goready_sel's CAS, runqput's release) or set our word (release):
	 * visible here. */
	int st = atomic_load_explicit((_Atomic int *)&w.state, memory_order_acquire);
	return st == W_WOKEN       ? MN_SEMA_WOKEN
	       : st == W_HANDOFF   ? MN_SEMA_HANDOFF
	       : st == W_CANCELLED ? (w.cancellable ? -ECANCELED : -EINTR)
				   : -ETIMEDOUT;
}

static bool cancel_g(struct g *gp, bool sigs);

bool mn_sema_cancel(struct g *gp) { return cancel_g(gp, false); }
bool mn_sema_sigcancel(struct g *gp) { return cancel_g(gp, true); }

static bool cancel_g(struct g *gp, bool sigs)
{
	/* relaxed: a hint; the waiter is confirmed under the bucket lock */
	const void *addr = atomic_load_explicit(&gp->cancelsema, memory_order_relaxed);
	if (addr == NULL)
		return false;
	/* The hint may be stale (an earlier wait): only a cancellable waiter
	 * of gp's found on the list is its wait now. */
	struct bucket *b = bucket_of(addr);
	struct waiter *w;
	mn_slock(&b->lock);
	for (w = b->head; w; w = w->next)
		if (w->g == gp && (w->cancellable || (sigs && w->sigable)))
			break;
	if (w) {
		unlink_w(b, w);
		w->state = W_CANCELLED;
	}
	mn_sunlock(&b->lock);
	if (w == NULL)
		return false;
	/* A timed wait's timer may have fired meanwhile: then it readies gp
	 * (its on_timeout found the waiter gone), not us. */
	mn_goready_sel(gp);
	return true;
}

int mn_sema_wake(const void *addr, int n)
{
	return mn_sema_wake_bitset(addr, n, ~0u);
}

static int wake_common(const void *addr, int n, uint32_t bitset,
		       void (*locked)(int k, bool first, void *arg), void *arg) __attribute__((noinline));
/* One waiter (mutexes, semaphores, condvar signals): wake_common without
 * its batches (and its frame). */
static int wake_one(const void *addr, uint32_t bitset, void (*locked)(int k, bool first, void *arg),
		    void *arg)
{
	struct bucket *b = bucket_of(addr);
	mn_slock(&b->lock);
	struct waiter *w = b->head;
	while (w && !(w->addr == addr && (w->bitset & bitset)))
		w = w->next;
	if (w) {
		unlink_w(b, w);
		w->state = W_WOKEN;
	}
	if (locked)
		locked(w != NULL, true, arg);
	/* Read before unlocking: a foreign waiter may return as soon as its
	 * word is set, a G one when readied. */
	struct g *gp = w ? w->g : NULL;
	mn_sunlock(&b->lock);
	if (w == NULL)
		return 0;
	if (gp) {
		mn_goready_sel(gp);
	} else {
		/* release: pairs with the foreign waiter's acquire load of word */
		atomic_store_explicit(&w->word, 1, memory_order_release);
		mn_futex_wake(&w->word, 1);
	}
	return 1;
}

int mn_sema_wake_bitset(const void *addr, int n, uint32_t bitset)
{
	if (n == 1)
		return wake_one(addr, bitset, NULL, NULL);
	return wake_common(addr, n, bitset, NULL, NULL);
}

int mn_sema_wake_cb(const void *addr, int n, void (*locked)(int k, bool first, void *arg), void *arg)
{
	if (n == 1)
		return wake_one(addr, ~0u, locked, arg);
	return wake_common(addr, n, ~0u, locked, arg);
}

static int wake_common(const void *addr, int n, uint32_t bitset,
		       void (*locked)(int k, bool first, void *arg), void *arg)
{
	struct bucket *b = bucket_of(addr);
	bool first = true;
	struct waiter *woken[WAKE_BATCH];
	int total = 0;
	while (n > 0) {
		int k = 0;
		mn_slock(&b->lock);
		struct waiter *w = b->head;
		while (w && k < WAKE_BATCH && n > 0) {
			struct waiter *nx = w->next;
			if (w->addr == addr && (w->bitset & bitset)) {
				unlink_w(b, w);
				w->state = W_WOKEN;
				woken[k++] = w;
				n--;
			}
			w = nx;
		}
		bool more = w != NULL;
		if (locked)
			locked(k, first, arg);
		first = false;
		/* Read what we need before unlocking: a foreign waiter may return
		 * as soon as its word is set, a G one when readied. */
		struct g *gs[WAKE_BATCH];
		for (int i = 0; i < k; i++)
			gs[i] = woken[i]->g;
		mn_sunlock(&b->lock);
		for (int i = 0; i < k; i++) {
			if (gs[i]) {
				mn_goready_sel(gs[i]);
			} else {
				/* The waiter re-takes the bucket lock before returning,
				 * so its stack is still live here. */
				atomic_store_explicit(&woken[i]->word, 1, memory_order_release);
				mn_futex_wake(&woken[i]->word, 1);
			}
		}
		total += k;
		if (k < WAKE_BATCH || !more)
			break;
	}
	return total;
}

bool mn_sema_handoff(const void *addr, void (*release)(const void *))
{
	struct bucket *b = bucket_of(addr);
	mn_slock(&b->lock);
	struct waiter *w = b->head;
	while (w && w->addr != addr)
		w = w->next;
	if (!w) {
		release(addr);
		mn_sunlock(&b->lock);
		return false;
	}
	unlink_w(b, w);
	w->state = W_HANDOFF;
	struct g *gp = w->g;
	mn_sunlock(&b->lock);
	if (gp) {
		mn_goready_sel(gp);
	} else {
		/* release: pairs with the foreign waiter's acquire load of word */
		atomic_store_explicit(&w->word, 1, memory_order_release);
		mn_futex_wake(&w->word, 1);
	}
	return true;
}

/* The child of fork: every waiter belonged to a thread that is gone (the
 * forking one was running, not waiting), and a lock may have been held by
 * one of them.  Forget them all. */
void mn_sema_fork_child(void)
{
	for (int i = 0; i < NBUCKET; i++) {
		/* relaxed: the child of fork has one thread */
		atomic_store_explicit(&buckets[i].lock.key, 0, memory_order_relaxed);
		buckets[i].head = buckets[i].tail = NULL;
	}
}
