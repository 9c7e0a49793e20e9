/* sched/sysmon.h: the system monitor thread (sysmon.c). */
#ifndef MN_SYSMON_H
#define MN_SYSMON_H
#include "runtime.h"

MN_HIDDEN void mn_sysmon_init(void);
MN_HIDDEN void mn_sysmon_fork_child(void);
MN_HIDDEN void mn_sysmon_start_slow(void);
extern _Atomic int mn_sysmon_started MN_HIDDEN;
/* Start sysmon if it is not running yet (the first thread created). */
static inline void mn_sysmon_start(void)
{
	/* relaxed: a stale 0 only sends us to the slow path, whose CAS decides */
	if (__builtin_expect(!atomic_load_explicit(&mn_sysmon_started, memory_order_relaxed), 0))
		mn_sysmon_start_slow();
}
/* A P went busy: wake sysmon if it sleeps because every P was idle. */
MN_HIDDEN void mn_sysmon_wake_slow(void);
extern _Atomic int mn_sysmon_sleeping MN_HIDDEN;
static inline void mn_sysmon_wake(void)
{
	if (__builtin_expect(atomic_load_explicit(&mn_sysmon_sleeping, memory_order_relaxed), 0))
		mn_sysmon_wake_slow();
}
#endif
