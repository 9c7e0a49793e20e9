/* sched/syscall.h: bracketing calls that may block in the kernel
 * (syscall.c).  Context: a G holding a P; between the two calls the G
 * runs without a P and must not touch the scheduler. */
#ifndef MN_SYSCALL_H
#define MN_SYSCALL_H
#include "runtime.h"

/* false when the caller holds no P (a signal handler inside another
 * call): then there is nothing to give away, and no exitsyscall. */
MN_HIDDEN bool mn_entersyscall(void);
MN_HIDDEN bool mn_entersyscallblock(void); /* for a call known to block */
MN_HIDDEN void mn_exitsyscall(void);
MN_HIDDEN bool mn_retake_syscall(struct p *pp); /* sysmon */
MN_HIDDEN void mn_preempt_point(void);

/* The retake race: a P left in P_SYSCALL goes to whoever wins the CAS
 * from P_SYSCALL, the M coming back (exitsyscall, -> P_RUNNING) or sysmon
 * (mn_retake_syscall, -> P_IDLE); the loser must not touch it.  Here so
 * that the unit tests race the very CASes syscall.c does. */
static inline bool mn_syscall_takeback(struct p *pp)
{
	uint32_t s = P_SYSCALL;
	/* acquire: pairs with the release of whoever held the P meanwhile */
	return atomic_compare_exchange_strong_explicit(&pp->status, &s, P_RUNNING, memory_order_acquire,
						       memory_order_relaxed);
}

static inline bool mn_syscall_retake(struct p *pp)
{
	uint32_t s = P_SYSCALL;
	/* acq_rel: acquire pairs with entersyscall's release store of P_SYSCALL; release: with
	 * the acquire of whoever gets the P next */
	return atomic_compare_exchange_strong_explicit(&pp->status, &s, P_IDLE, memory_order_acq_rel,
						       memory_order_relaxed);
}
#endif
