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
#endif
