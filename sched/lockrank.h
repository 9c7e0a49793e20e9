/* sched/lockrank.h: the lock order, checked on every acquire in debug
 * builds (configure --enable-debug).
 *
 * Every runtime lock (struct mn_lock, struct mn_slock) carries a rank,
 * given where the lock is defined (MN_LOCK_INIT(rank)).  A thread holding
 * locks may only take a lock of a strictly higher rank than every lock it
 * holds, so no two threads can ever wait for each other.  An unranked lock
 * (rank 0, a lock nobody initialised) is a bug, reported at its first use.
 *
 *   rank               lock                    protects
 *   LOCKRANK_SIGAPP    app_lock (signal.c)     the program's SIGSEGV/SIGBUS dispositions
 *   LOCKRANK_TLSCHECK  tls_check_lock (tcb.c)  re-reading the TLS modules after a dlopen
 *   LOCKRANK_ALLG      allg.lock (gfree.c)     the list of every G's memory (allgs)
 *   LOCKRANK_SEMA      a sema bucket (sema.c)  the waiters parked on that bucket's addresses
 *   LOCKRANK_NETPOLL   a pd lock (netpoll_epoll.c)  one descriptor's waiters and event counts
 *   LOCKRANK_TIMERS    timers.lock (timer.c)   the timer heap
 *   LOCKRANK_SCHED     sched.lock              global run queue, idle P and M lists, M list
 *   LOCKRANK_GFREE     sched.gflock            the global free-G list
 *
 * Why this order: a parking G holds its sema bucket until g0 (or the next
 * G) runs its unlockf, and a timed park's unlockf then adds its timer
 * (timers.lock) after releasing the bucket; the wakers take the waiter off
 * under the bucket lock and ready it (runqput may move half a queue to
 * the global one, wakep may start an M: sched.lock) after releasing it.
 * The scheduler never calls back into sema; so sema below timers below
 * sched is the order any future nesting must keep.
 * Timer callbacks run with timers.lock released, so they may take any
 * lock; under timers.lock nothing else is taken.  allg.lock is held while
 * a G found on the list is signalled (gsig.c: its memory must stay), so
 * it ranks below every lock a signal's sender takes.  gfget and gfput move
 * batches between a P and the global free list under gflock and take
 * nothing else.  The two leaves at the top guard code that calls glibc
 * (sigaction, dl_iterate_phdr) and takes no runtime lock inside.
 *
 * Held locks are counted per M (m->locks, with the ranks beside them:
 * a G hands the lock it parks under to g0 or to the next G on the same
 * M, which releases it in unlockf), or per OS thread on threads that are
 * not Ms (foreign threads, start-up).
 */
#ifndef MN_LOCKRANK_H
#define MN_LOCKRANK_H
#include <stdbool.h>

enum mn_lockrank {
	LOCKRANK_NONE = 0, /* never initialised: a bug */
	LOCKRANK_SIGAPP,
	LOCKRANK_TLSCHECK,
	LOCKRANK_ALLG,
	LOCKRANK_SEMA,
	LOCKRANK_NETPOLL,
	LOCKRANK_TIMERS,
	LOCKRANK_SCHED,
	LOCKRANK_GFREE,
};

/* Locks one thread may hold at once: the deepest nesting is 3. */
#define MN_LOCKS_MAX 8

/* What an M (or a foreign thread) holds: a count and the ranks, in the
 * order they were taken.  Owner: that M. */
struct mn_lockheld {
	int n;
	unsigned char rank[MN_LOCKS_MAX];
};

/* Debug builds only (the callers test config_debug). */
void mn_lockrank_acquire(unsigned rank);
void mn_lockrank_release(unsigned rank);
/* Throws msg unless the calling M (thread) holds no runtime lock. */
void mn_lockrank_assert_none(const char *msg);
/* Throws msg unless the calling M holds a lock of this rank. */
void mn_lockrank_assert_held(unsigned rank, const char *msg);
#endif
