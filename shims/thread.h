/* shims/thread.h: POSIX thread semantics on top of sched/.  Each int
 * function returns 0 or -errno unless it says otherwise; preload/ converts
 * (pthread functions return the error number, raise sets errno). */
#ifndef MN_SHIMS_THREAD_H
#define MN_SHIMS_THREAD_H
#include <stdbool.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include "shims/shim.h"

MN_SHIM int mn_thread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
/* thrd_create: fn returns an int. */
MN_SHIM int mn_thread_create_int(pthread_t *t, int (*fn)(void *), void *arg);
/* The main thread's name from the kernel (start-up). */
MN_SHIM void mn_thread_main_name_init(void);
MN_SHIM int mn_thread_join(pthread_t t, void **res);
MN_SHIM int mn_thread_tryjoin(pthread_t t, void **res);
/* clock: CLOCK_REALTIME or CLOCK_MONOTONIC; abstime NULL waits forever. */
MN_SHIM int mn_thread_clockjoin(pthread_t t, void **res, clockid_t clock, const struct timespec *abstime);
MN_SHIM int mn_thread_detach(pthread_t t);
MN_SHIM void mn_thread_yield(void);
MN_SHIM int mn_thread_getattr(pthread_t t, pthread_attr_t *attr);
MN_SHIM int mn_thread_setname(pthread_t t, const char *name);
MN_SHIM int mn_thread_getname(pthread_t t, char *buf, size_t len);
MN_SHIM int mn_thread_setschedparam(pthread_t t, int policy, const struct sched_param *sp);
MN_SHIM int mn_thread_getschedparam(pthread_t t, int *policy, struct sched_param *sp);
/* Is t one of our Gs?  (Else the caller falls back to glibc.) */
MN_SHIM bool mn_thread_is_g(pthread_t t);
#include <sys/types.h>
MN_SHIM pid_t mn_thread_gettid(void);
MN_SHIM pid_t mn_thread_set_tid_address(int *addr);
MN_SHIM int *mn_thread_tid_address(void);
/* pid -1: tkill; info NULL: tgkill, else rt_tgsigqueueinfo's.  1 when
 * handled (*ret: 0 or -errno), 0: the kernel's. */
MN_SHIM int mn_thread_tgkill(long pid, long tid, int sig, const siginfo_t *info, long *ret);
/* pthread_kill (info NULL) and pthread_sigqueue: 0 or -errno. */
MN_SHIM int mn_thread_kill(pthread_t t, int sig, const siginfo_t *info);
MN_SHIM int mn_thread_cancel(pthread_t t);
#include <sched.h>
MN_SHIM int mn_thread_getaffinity(pthread_t t, size_t size, cpu_set_t *set);
MN_SHIM int mn_thread_setaffinity(pthread_t t, size_t size, const cpu_set_t *set);
struct g;
/* The same by G, and the G a kernel thread id names (0: the caller; the
 * process's id: main; NULL: not a G).  nice: setpriority/getpriority of
 * one thread.  0 or -errno. */
MN_SHIM int mn_thread_setaffinity_g(struct g *gp, size_t size, const cpu_set_t *set);
MN_SHIM struct g *mn_thread_by_id(long id);
MN_SHIM int mn_thread_setnice(struct g *gp, int nice);
/* sched_setscheduler by id: gp's policy and priority.  0 or -errno. */
MN_SHIM int mn_thread_setsched_g(struct g *gp, int policy, int prio);
/* System call nr (SYS_unshare, SYS_setns, SYS_capset, SYS_capget,
 * SYS_seccomp, SYS_prctl) from the calling thread: 1 when it was made here
 * with the calling G locked to an OS thread that exits with it (the raw
 * result in *ret), 0 for the caller to make it (the kernel's meaning is
 * right as it is).  capget/capset headers naming the caller by its id get
 * 0 (themselves). */
MN_SHIM int mn_thread_kstate(long nr, long a1, long a2, long a3, long a4, long a5, long *ret);
MN_SHIM int mn_thread_getnice(struct g *gp);
MN_SHIM int mn_once(pthread_once_t *once, void (*init)(void));

#endif
