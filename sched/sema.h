/* sched/sema.h: parking by address (Go's sema.go).  Any 32-bit word in
 * the application's memory can be waited on; state stays in that word,
 * waiters live on the waiting thread's stack, so nothing leaks. */
#ifndef MN_SEMA_H
#define MN_SEMA_H
#include "runtime.h"
/* Park while check(addr, arg) holds (evaluated under the bucket lock, so a
 * waker that changes the word and then calls mn_sema_wake cannot be missed).
 * deadline: CLOCK_MONOTONIC ns, 0 for none.  Works on Gs (parks the G) and
 * on foreign threads (sleeps on a futex).
 * flags: MN_SEMA_LIFO queues the waiter first instead of last;
 * MN_SEMA_CANCEL makes a G's wait a cancellation point's: pthread_cancel
 * (mn_sema_cancel) takes it off the list, and so does a request already
 * pending when it queues.
 * Returns an mn_sema_result (>= 0), or -ETIMEDOUT or -ECANCELED. */
enum mn_sema_result {
	MN_SEMA_NOTPARKED = 0, /* check failed: did not park */
	MN_SEMA_WOKEN = 1,     /* woken by mn_sema_wake */
	MN_SEMA_HANDOFF = 2,   /* handed ownership by mn_sema_handoff */
};
#define MN_SEMA_LIFO 1
#define MN_SEMA_CANCEL 2
/* A signal for the G (gsig.c) ends the wait with -EINTR, for the caller
 * to run its handler and wait again (a lock or barrier, which natively
 * runs the handler in its wait and goes on waiting). */
#define MN_SEMA_SIGNALS 4
/* What the wait is for, in flags (bits 8..11), for dumps (g->waitreason):
 * MN_SEMA_WHY(MN_WHY_MUTEX).  A constant: no cost on the fast path. */
enum { MN_WHY_SEMA, MN_WHY_MUTEX, MN_WHY_COND, MN_WHY_RWLOCK, MN_WHY_SEM, MN_WHY_BARRIER, MN_WHY_ONCE,
       MN_WHY_FUTEX, MN_WHY_N };
#define MN_SEMA_WHY_SHIFT 8
#define MN_SEMA_WHY(w) ((w) << MN_SEMA_WHY_SHIFT)
MN_HIDDEN int mn_sema_park(const void *addr, bool (*check)(const void *addr, void *arg), void *arg,
			   int64_t deadline, int flags);
/* Futex bitset forms: a waiter is woken only by a wake whose bitset
 * shares a bit with its own (the others use ~0).  They return what
 * mn_sema_park and mn_sema_wake return. */
MN_HIDDEN int mn_sema_park_bitset(const void *addr, bool (*check)(const void *addr, void *arg), void *arg,
				  int64_t deadline, int flags, uint32_t bitset);
MN_HIDDEN int mn_sema_wake_bitset(const void *addr, int n, uint32_t bitset);
/* The child of fork: forget every waiter, reset every bucket lock. */
MN_HIDDEN void mn_sema_fork_child(void);
/* Wake up to n waiters on addr, oldest first.  Returns the number woken. */
MN_HIDDEN int mn_sema_wake(const void *addr, int n);
/* mn_sema_wake, calling locked(k, first, arg) under the bucket lock after
 * taking each batch of k waiters off the list (first: the first batch,
 * also when k is 0), before any of them is readied. */
MN_HIDDEN int mn_sema_wake_cb(const void *addr, int n, void (*locked)(int k, bool first, void *arg),
			      void *arg);
/* Direct hand-off (starvation mode): if a waiter is parked on addr, wake
 * the oldest with result MN_SEMA_HANDOFF and return true; else call release(addr) under
 * the bucket lock (so no waiter can slip in between) and return false. */
MN_HIDDEN bool mn_sema_handoff(const void *addr, void (*release)(const void *addr));
/* A signal's part (gsig.c): end gp's wait if it is cancellable or
 * MN_SEMA_SIGNALS; true if it was. */
MN_HIDDEN bool mn_sema_sigcancel(struct g *gp);
/* pthread_cancel's part: if gp is in a cancellable wait (MN_SEMA_CANCEL),
 * take it off the list and ready it (its park returns -ECANCELED).  Context:
 * any thread, after setting gp's cancellation request (a locked
 * instruction).  Returns true if it readied gp. */
MN_HIDDEN bool mn_sema_cancel(struct g *gp);
#endif
