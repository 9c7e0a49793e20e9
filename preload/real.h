/* preload/real.h: the next definition of every name we interpose.
 *
 * real_<name> points at the definition the dynamic linker would have
 * bound without us (glibc's, or another preloaded library's).  All of
 * them are resolved at once by mn_real_resolve (preload/real.c), from our
 * constructor or from the first interposer that needs one before it ran.
 * Interposers reach them only through REAL(name).
 *
 * The lower layers never see these names: preload/ hands them down as
 * the hook structs whose types sched/ and shims/ own (sched/hooks.h,
 * shims/hooks.h), filled by mn_real_resolve.
 *
 * Re-entry: dlsym may call malloc, and an allocator (jemalloc, tcmalloc,
 * mimalloc) may lock a pthread mutex, run a pthread_once or sleep inside
 * malloc, so interposers run while the resolution is under way.  The
 * names such an allocator uses start out pointing at glibc's own
 * exported aliases (BOOT below), which need no dlsym; any other name
 * asked for on the resolving thread is looked up alone. */
#ifndef MN_PRELOAD_REAL_H
#define MN_PRELOAD_REAL_H
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/file.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

/* No public header declares these (bsd_signal: not under _GNU_SOURCE). */
__sighandler_t bsd_signal(int sig, __sighandler_t handler);
int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv, void (*init)(void),
		      void (*fini)(void), void (*rtld_fini)(void), void *stack_end);

/* X(name, version, bootstrap): version 0 asks dlsym for the default
 * version, a string asks dlvsym for that one (pthread_cond_*: glibc's
 * GLIBC_2.3.2 condvars, whose layout we share); bootstrap is the value
 * before resolution (BOOT: glibc's alias boot_<name>, preload/real.c; SYS:
 * the runtime's system-call version mn_sys_<name>) or 0. */
#define MN_REAL_NAMES(X)                                                       \
	/* start-up and thread lifecycle (init.c, thread.c, c11.c) */          \
	X(__libc_start_main, 0, 0)                                             \
	X(pthread_create, 0, 0) X(pthread_join, 0, 0)                          \
	X(pthread_tryjoin_np, 0, 0) X(pthread_timedjoin_np, 0, 0)              \
	X(pthread_clockjoin_np, 0, 0) X(pthread_detach, 0, 0)                  \
	X(pthread_exit, 0, 0) X(sched_yield, 0, BOOT)                          \
	X(pthread_getattr_np, 0, 0) X(pthread_setname_np, 0, 0)                \
	X(pthread_getname_np, 0, 0) X(prctl, 0, 0)                             \
	X(pthread_setschedparam, 0, 0) X(pthread_getschedparam, 0, 0)          \
	X(pthread_setschedprio, 0, 0) X(pthread_once, 0, BOOT)                 \
	X(pthread_kill, 0, 0) X(pthread_cancel, 0, 0) X(raise, 0, 0)           \
	X(pthread_sigqueue, 0, 0)                                              \
	X(pthread_getaffinity_np, 0, 0) X(pthread_setaffinity_np, 0, 0)        \
	X(pthread_getcpuclockid, 0, 0) X(gettid, 0, 0) X(syscall, 0, 0)        \
	X(sched_setaffinity, 0, 0) X(sched_getaffinity, 0, 0)                 \
	X(sched_setscheduler, 0, 0) X(sched_setparam, 0, 0)                    \
	X(sched_getscheduler, 0, 0) X(sched_getparam, 0, 0)                    \
	X(setpriority, 0, 0) X(getpriority, 0, 0) X(nice, 0, 0) X(kill, 0, 0)   \
	X(thrd_create, 0, 0) X(thrd_join, 0, 0) X(thrd_detach, 0, 0)           \
	X(thrd_sleep, 0, 0)                                                    \
	/* CPU-time clocks (clock.c); clock_gettime starts as the raw system   \
	 * call (SYS: sched/hooks.h), never NULL on its fast path */          \
	X(clock_gettime, 0, SYS) X(clock_getres, 0, 0) X(getrusage, 0, 0)      \
	/* sleeping, signal masks, dispositions (sleep.c, signal.c) */         \
	X(nanosleep, 0, BOOT) X(clock_nanosleep, 0, 0) X(usleep, 0, 0)         \
	X(sleep, 0, 0) X(pthread_sigmask, 0, 0) X(sigprocmask, 0, 0)           \
	X(sigpending, 0, 0) X(sigaction, 0, BOOT) X(signal, 0, 0)              \
	X(sigaltstack, 0, 0) X(signalfd, 0, 0)                                 \
	X(bsd_signal, 0, 0) X(sysv_signal, 0, 0) X(tgkill, 0, 0)               \
	/* synchronisation */                                                  \
	X(pthread_mutex_init, 0, BOOT) X(pthread_mutex_lock, 0, BOOT)          \
	X(pthread_mutex_trylock, 0, BOOT) X(pthread_mutex_unlock, 0, BOOT)     \
	X(pthread_mutex_timedlock, 0, 0) X(pthread_mutex_clocklock, 0, 0)      \
	X(pthread_cond_wait, "GLIBC_2.3.2", 0)                                 \
	X(pthread_cond_signal, "GLIBC_2.3.2", 0)                               \
	X(pthread_cond_broadcast, "GLIBC_2.3.2", 0)                            \
	X(pthread_cond_destroy, "GLIBC_2.3.2", 0)                              \
	X(pthread_cond_timedwait, 0, 0) X(pthread_cond_clockwait, 0, 0)        \
	X(pthread_rwlock_rdlock, 0, BOOT) X(pthread_rwlock_tryrdlock, 0, BOOT) \
	X(pthread_rwlock_timedrdlock, 0, 0) X(pthread_rwlock_clockrdlock, 0, 0) \
	X(pthread_rwlock_wrlock, 0, BOOT) X(pthread_rwlock_trywrlock, 0, BOOT) \
	X(pthread_rwlock_timedwrlock, 0, 0) X(pthread_rwlock_clockwrlock, 0, 0) \
	X(pthread_rwlock_unlock, 0, BOOT)                                      \
	X(pthread_barrier_init, 0, 0) X(pthread_barrier_wait, 0, 0)            \
	X(pthread_barrier_destroy, 0, 0) X(pthread_spin_lock, 0, 0)            \
	X(sem_wait, 0, 0) X(sem_trywait, 0, 0) X(sem_timedwait, 0, 0)          \
	X(sem_clockwait, 0, 0) X(sem_post, 0, 0)                               \
	/* blocking system calls (io.c) */                                     \
	X(read, 0, BOOT) X(write, 0, BOOT) X(readv, 0, 0) X(writev, 0, 0)      \
	X(pread, 0, 0) X(pread64, 0, 0) X(pwrite, 0, 0) X(pwrite64, 0, 0)      \
	X(recv, 0, 0) X(recvfrom, 0, 0) X(recvmsg, 0, 0) X(send, 0, 0)         \
	X(sendto, 0, 0) X(sendmsg, 0, 0) X(accept, 0, 0) X(accept4, 0, 0)      \
	X(connect, 0, 0) X(recvmmsg, 0, 0) X(sendmmsg, 0, 0)                   \
	X(getaddrinfo, 0, 0) X(getnameinfo, 0, 0)                              \
	X(poll, 0, 0) X(ppoll, 0, 0) X(select, 0, 0) X(pselect, 0, 0)          \
	X(epoll_wait, 0, 0) X(epoll_pwait, 0, 0) X(epoll_pwait2, 0, 0)         \
	X(wait, 0, 0) X(waitpid, 0, 0) X(waitid, 0, 0) X(wait4, 0, 0)          \
	X(system, 0, 0) X(pclose, 0, 0) X(pause, 0, 0) X(sigsuspend, 0, 0)     \
	X(sigwait, 0, 0) X(sigwaitinfo, 0, 0) X(sigtimedwait, 0, 0)            \
	X(msgrcv, 0, 0) X(msgsnd, 0, 0) X(semop, 0, 0) X(semtimedop, 0, 0)     \
	X(flock, 0, 0) X(lockf, 0, 0) X(fsync, 0, 0) X(fdatasync, 0, 0)        \
	X(fcntl, 0, 0) X(fcntl64, 0, 0)                                        \
	X(open, 0, BOOT) X(open64, 0, 0) X(openat, 0, 0) X(openat64, 0, 0)      \
	X(close, 0, BOOT) X(dup2, 0, 0) X(dup3, 0, 0) X(fclose, 0, 0)          \
	X(close_range, 0, 0) X(closefrom, 0, 0) X(setsockopt, 0, 0)            \
	X(pipe, 0, 0) X(pipe2, 0, 0) X(socketpair, 0, 0) X(splice, 0, 0)       \
	X(tee, 0, 0) X(sendfile, 0, 0) X(sendfile64, 0, 0)                     \
	/* new programs (exec.c) */                                            \
	X(execve, 0, 0) X(execv, 0, 0) X(execvp, 0, 0) X(execvpe, 0, 0)        \
	X(fexecve, 0, 0) X(execveat, 0, 0) X(posix_spawn, 0, 0)                \
	X(posix_spawnp, 0, 0) X(popen, 0, 0)

#define MN_REAL_DECLARE(name, version, boot) \
	extern __typeof__(&name) real_##name __attribute__((visibility("hidden")));
MN_REAL_NAMES(MN_REAL_DECLARE)
#undef MN_REAL_DECLARE

/* Resolve every real_<name> and fill the lower layers' hooks; idempotent,
 * any thread, any time (see "Re-entry" above).  True once everything is
 * resolved; false in a call nested inside the resolution on this thread. */
bool mn_real_resolve(void) __attribute__((visibility("hidden")));
/* real_<name> when it is still unresolved: *slot after mn_real_resolve,
 * or looked up alone when that is under way on this thread. */
void *mn_real_slow(void **slot) __attribute__((visibility("hidden")));

/* The next definition of name.  One relaxed load and a branch. */
#define REAL(name)                                                             \
	({                                                                     \
		__typeof__(&name) r_ = __atomic_load_n(&real_##name, __ATOMIC_RELAXED); \
		__builtin_expect(r_ != 0, 1) ? r_                              \
					     : (__typeof__(&name))mn_real_slow((void **)&real_##name); \
	})
#endif
