/* shims/sigmask.h: per-G signal masks and pending signals (shims/sigmask.c). */
#ifndef MN_SHIMS_SIGMASK_H
#define MN_SHIMS_SIGMASK_H
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include "shims/shim.h"

/* glibc's internal signals, the first two real-time ones (its __SIGRTMIN
 * and __SIGRTMIN + 1): SIGCANCEL carries pthread_cancel, SIGSETXID makes
 * set*id calls process-wide.  The application may not send or block them
 * (pthread_kill: EINVAL).  Signals run from 1 to _NSIG - 1 (64). */
#define MN_SIGCANCEL 32
#define MN_SIGSETXID 33

MN_SHIM uint64_t mn_sig_creator_mask(void);
struct g;
MN_SHIM void mn_sig_main_init(struct g *gp);
/* pthread_sigmask and sigpending of the calling G: 0 or -errno. */
MN_SHIM int mn_sigmask(int how, const sigset_t *set, sigset_t *old);
MN_SHIM int mn_sig_pending(sigset_t *set);
/* sigaltstack of the calling G (not main): 0 or -errno. */
MN_SHIM int mn_sig_altstack(const stack_t *ss, stack_t *old);
/* A signal in set pending for the G, taken off its pending set with its
 * siginfo (info may be NULL); 0 if none. */
MN_SHIM int mn_sig_take_pending(const sigset_t *set, siginfo_t *info);
/* A new program (exec, posix_spawn, popen) inherits its OS thread's
 * mask; an M's blocks every asynchronous signal.  mn_sig_exec_begin puts
 * the calling G's mask on its M (a vfork child has its own) and returns
 * what to put back if the exec fails (MN_SIG_NONE: nothing to do). */
#define MN_SIG_NONE (~0ULL)
MN_SHIM uint64_t mn_sig_exec_begin(void);
MN_SHIM void mn_sig_exec_end(uint64_t saved);
/* posix_spawn without POSIX_SPAWN_SETSIGMASK: the mask the child should
 * start with (the calling G's) in *mask; false when the kernel's is right. */
MN_SHIM bool mn_sig_spawn_mask(sigset_t *mask);
/* The program made a signalfd reading mask: the process's signals in it
 * wait in the kernel for it (sched/gsig.c). */
MN_SHIM void mn_sig_signalfd(const sigset_t *mask);
/* sigsuspend for the calling G (not main on M0): -EINTR. */
MN_SHIM int mn_sig_suspend(const sigset_t *mask);
/* Raise sig for the calling G, as raise does: 0 or -errno. */
MN_SHIM int mn_sig_raise_self(int sig);
#endif
