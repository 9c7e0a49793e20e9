/* shims/poison.h: the names preload/ interposes, poisoned for shims/.
 * A call from here to one of them would bind to our own interposer (an
 * upward call, tests/compat/layering.sh); the next definition comes down
 * as a hook (shims/hooks.h, sched/hooks.h) or is a raw system call.
 * Include it last, after every system header (they declare these names).
 * Not poisoned, because the same identifier names something else here:
 * sigaction (a struct tag) and sigpending (a field of struct g); the
 * link-time check covers them. */
#ifndef MN_SHIMS_POISON_H
#define MN_SHIMS_POISON_H
#pragma GCC poison accept accept4 bsd_signal call_once clock_nanosleep cnd_broadcast
#pragma GCC poison cnd_signal cnd_timedwait cnd_wait connect epoll_pwait epoll_wait
#pragma GCC poison fcntl fcntl64 fdatasync flock fsync getaddrinfo getnameinfo gettid
#pragma GCC poison lockf msgrcv msgsnd mtx_lock mtx_timedlock mtx_trylock mtx_unlock
#pragma GCC poison nanosleep open open64 openat openat64 pause pclose poll ppoll prctl
#pragma GCC poison pread pread64 pselect pthread_barrier_destroy pthread_barrier_init
#pragma GCC poison pthread_barrier_wait pthread_cancel pthread_clockjoin_np
#pragma GCC poison pthread_cond_broadcast pthread_cond_clockwait pthread_cond_destroy
#pragma GCC poison pthread_cond_init pthread_cond_signal pthread_cond_timedwait
#pragma GCC poison pthread_cond_wait pthread_create pthread_detach pthread_exit
#pragma GCC poison pthread_getaffinity_np pthread_getattr_np pthread_getcpuclockid
#pragma GCC poison pthread_getname_np pthread_getschedparam pthread_join pthread_kill
#pragma GCC poison pthread_mutex_clocklock pthread_mutex_init pthread_mutex_lock
#pragma GCC poison pthread_mutex_timedlock pthread_mutex_trylock pthread_mutex_unlock
#pragma GCC poison pthread_once pthread_rwlock_clockrdlock pthread_rwlock_clockwrlock
#pragma GCC poison pthread_rwlock_rdlock pthread_rwlock_timedrdlock
#pragma GCC poison pthread_rwlock_timedwrlock pthread_rwlock_tryrdlock
#pragma GCC poison pthread_rwlock_trywrlock pthread_rwlock_unlock pthread_rwlock_wrlock
#pragma GCC poison pthread_setaffinity_np pthread_setname_np pthread_setschedparam
#pragma GCC poison pthread_setschedprio pthread_sigmask pthread_spin_lock
#pragma GCC poison pthread_spin_trylock pthread_spin_unlock pthread_timedjoin_np
#pragma GCC poison pthread_tryjoin_np pthread_yield pwrite pwrite64 raise read readv
#pragma GCC poison recv recvfrom recvmmsg recvmsg sched_yield select sem_clockwait
#pragma GCC poison sem_post sem_timedwait sem_trywait sem_wait semop semtimedop send
#pragma GCC poison sendmmsg sendmsg sendto signal sigprocmask sigsuspend
#pragma GCC poison sigtimedwait sigwait sigwaitinfo sleep syscall system sysv_signal
#pragma GCC poison tgkill thrd_create thrd_detach thrd_exit thrd_join thrd_sleep
#pragma GCC poison thrd_yield usleep vfork wait wait4 waitid waitpid write writev
#pragma GCC poison close close_range closefrom dup2 dup3 epoll_pwait2 fclose
#pragma GCC poison pipe pipe2 sendfile sendfile64 setsockopt socketpair splice tee
#pragma GCC poison clock_gettime clock_getres getrusage
#endif
