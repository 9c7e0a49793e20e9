/* sched/preempt.h: asynchronous preemption (preempt.c). */
#ifndef MN_PREEMPT_H
#define MN_PREEMPT_H
#include "runtime.h"

/* Load libunwind and the code map and install the handler for the
 * preemption signal (unless MN_DEBUG=asyncpreemptoff=1, or libunwind
 * cannot be loaded: then one line says so).  Context: the first thread
 * creation, before sysmon starts. */
MN_HIDDEN void mn_preempt_init(void);
MN_HIDDEN void mn_preempt_fork_child(void);
/* Per M: the timer of its preemption retries.  Context: mp's thread. */
MN_HIDDEN void mn_preempt_minit(struct m *mp);
/* The preemption signal, 0 when preemption is off. */
MN_HIDDEN int mn_preempt_signal(void);
/* Our handler of it is installed (rings and dump requests work). */
MN_HIDDEN bool mn_preempt_handler_on(void);
/* sysmon: each second, rebuild the code map when modules came or went;
 * and ask mp to preempt the G running for schedtick tick (true if the
 * signal went). */
MN_HIDDEN void mn_preempt_sysmon_tick(void);
MN_HIDDEN bool mn_preempt_send(struct m *mp, uint32_t tick);
/* Ask the M running gp, if any, to interrupt it now (an asynchronous
 * cancellation).  Context: any. */
MN_HIDDEN void mn_preempt_kick(struct g *gp);
/* Ring the M running gp, if any: a signal is pending for gp (gsig.c).
 * Context: any. */
MN_HIDDEN void mn_preempt_ring(struct g *gp);
/* Called by the trampoline (arch/x86_64/preempt.S). */
MN_HIDDEN void mn_preempt_entry(void);
/* Statistics: Gs switched out by a signal, and signals sent. */
extern _Atomic uint64_t mn_preempt_count MN_HIDDEN;
extern _Atomic uint64_t mn_preempt_sent MN_HIDDEN;

/* A section the signal must not switch out of, for runtime code that runs
 * program callbacks under an invariant the stack walk cannot see.  Per G;
 * nests. */
static inline void mn_nopreempt_begin(struct g *gp)
{
	gp->nopreempt++;
	__asm__ volatile("" ::: "memory"); /* the handler runs on this thread */
}
static inline void mn_nopreempt_end(struct g *gp)
{
	__asm__ volatile("" ::: "memory");
	gp->nopreempt--;
}
#endif
