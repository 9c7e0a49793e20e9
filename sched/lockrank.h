/* sched/lockrank.h: the lock order.  A thread holding a lock of rank r may
 * only take locks of higher rank.  Every runtime lock is listed here.
 *
 *   rank  lock                     protects
 *   10    sema bucket (sema.c)     the waiters parked on addresses of that bucket
 *   20    g->lock... (none)        -
 *   30    sched.lock               global run queue, idle P and M lists, M list
 *   40    sched.gflock             global free-G list
 *   50    timers.lock              the timer heap
 *   60    stack pool lock          the global stack pool (stack.c)
 *
 * Rationale: a wake-up (sema) readies a G, which may take sched.lock to
 * wake an idle M; the scheduler never calls into sema.  Timer callbacks
 * run with timers.lock released, so they may take any lock.
 */
#ifndef MN_LOCKRANK_H
#define MN_LOCKRANK_H
#define LOCKRANK_SEMA   10
#define LOCKRANK_SCHED  30
#define LOCKRANK_GFREE  40
#define LOCKRANK_TIMERS 50
#define LOCKRANK_STACK  60
#endif
