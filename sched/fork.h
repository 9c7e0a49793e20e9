/* sched/fork.h: the runtime in the child of fork (fork.c). */
#ifndef MN_FORK_H
#define MN_FORK_H
#include "runtime.h"

/* Rebuild the runtime in the child (an atfork child handler, the first
 * one).  Context: the forking thread, in the child. */
MN_HIDDEN void mn_fork_child(void);
#endif
