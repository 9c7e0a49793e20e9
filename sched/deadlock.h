/* sched/deadlock.h: the deadlock report (deadlock.c). */
#ifndef MN_DEADLOCK_H
#define MN_DEADLOCK_H
#include "runtime.h"

/* Look whether every thread is asleep with nothing to wake it; report
 * once (MN_DEBUG=deadlock).  orphans: sysmon holds Ps taken from silently
 * blocked Ms.  Returns when sysmon should look again even if nothing
 * happens (CLOCK_MONOTONIC ns), 0 for no such need.  Context: sysmon. */
MN_HIDDEN int64_t mn_deadlock_look(int64_t now, bool orphans);
/* The child of fork starts with a clean slate.  Context: fork's child. */
MN_HIDDEN void mn_deadlock_fork_child(void);
#endif
