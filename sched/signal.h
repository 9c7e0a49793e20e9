/* sched/signal.h: per-M signal stacks and the runtime's SIGSEGV/SIGBUS
 * handler (signal.c).  Included as "signal.h" from sched/ only; everyone
 * else writes "sched/signal.h" (<signal.h> is the system's). */
#ifndef MN_SCHED_SIGNAL_H
#define MN_SCHED_SIGNAL_H
#include <signal.h>
#include "runtime.h"

/* Context: start-up, once, before any G runs. */
MN_HIDDEN void mn_signal_init(void);
/* Give mp its sigaltstack.  Context: mp's own thread, at its start. */
MN_HIDDEN void mn_signal_minit(struct m *mp);
/* sigaction for a signal the runtime keeps a handler for: the program's
 * disposition is recorded and reported, ours stays installed.  Returns
 * false for any other signal (the caller uses the kernel's). */
MN_HIDDEN bool mn_signal_app(int sig, const struct sigaction *act, struct sigaction *old);
/* The runtime keeps its handler for sig (SIGSEGV, SIGBUS, the preemption
 * signal once preemption is on): sigaction goes to mn_signal_app. */
MN_HIDDEN bool mn_signal_owned(int sig);
/* The program's disposition of an owned signal, copied without a lock
 * (for a signal handler); false for any other signal. */
MN_HIDDEN bool mn_signal_app_peek(int sig, struct sigaction *out);
/* Put handler in the kernel for the preemption signal sig (SA_RESTART,
 * on the sigaltstack); the program's disposition of it is kept and
 * reported as for SIGSEGV.  Context: before the first preemption. */
MN_HIDDEN void mn_signal_preempt(int sig, void (*handler)(int, siginfo_t *, void *));
/* Act on a signal the program (or the kernel) sent, with the program's
 * disposition of it: its handler, or the default action.  Context: the
 * runtime's handler for sig, in the context where the program's runs. */
MN_HIDDEN void mn_signal_app_run(int sig, siginfo_t *si, void *ucv);
#endif
