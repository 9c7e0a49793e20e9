/* preload/io.c: system calls that may block for long, made as blocking
 * calls (shims/blocking.h, sched/syscall.c): the calling thread's P stays
 * with it while the call is quick and is handed to another OS thread by
 * sysmon when it blocks, so the program's other threads keep running.
 * Semantics, errno and cancellation points are glibc's own: each
 * interposer calls the next definition.
 * Waits that SA_RESTART does not restart are made again when only our
 * preemption signal ended them (RESTARTED).
 * On pollable descriptors (sockets, pipes, eventfds, ttys) a G that
 * would wait parks in the netpoller instead (shims/netio.c); main and
 * other locked Gs, and regular files, keep the blocking calls. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/msg.h>
#include <sys/sendfile.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "preload/preload.h"
#include "shims/blocking.h"
#include "shims/netio.h"

/* The call, without the P when the caller is a running G. */
#define BLOCKING(name, ...) \
	(mn_shim_active() ? MN_BLOCKING(REAL(name)(__VA_ARGS__)) : REAL(name)(__VA_ARGS__))
/* The same for calls that wait for something: a G that ran 10 ms while
 * others wait yields after them (not after write and the like, which
 * signal handlers make). */
#define WAITING(name, ...) \
	(mn_shim_active() ? MN_BLOCKING_WAIT(REAL(name)(__VA_ARGS__)) : REAL(name)(__VA_ARGS__))

/* A waiting call made again while only our preemption signal ended it
 * with EINTR (shims/blocking.h); update, between tries, sets the time
 * left. */
#define RESTARTED(call, update)                                                \
	({                                                                     \
		__typeof__(call) r_;                                           \
		for (;;) {                                                     \
			uint32_t mark_ = mn_intr_mark();                       \
			r_ = (call);                                           \
			if (!mn_intr_ours(mark_, (long)r_, errno))             \
				break;                                         \
			update;                                                \
		}                                                              \
		r_;                                                            \
	})

static int64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}
/* A time-out in ms (negative: none) as a deadline, and back. */
static int64_t ms_deadline(int ms) { return ms < 0 ? -1 : mono_ns() + (int64_t)ms * 1000000; }
static int ms_left(int64_t dl)
{
	if (dl < 0)
		return -1;
	int64_t l = dl - mono_ns();
	return l <= 0 ? 0 : (int)((l + 999999) / 1000000);
}
/* The same for a timespec time-out (NULL: none). */
static int64_t ts_deadline(const struct timespec *ts)
{
	return ts ? mono_ns() + (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec : -1;
}
static const struct timespec *ts_left(int64_t dl, struct timespec *buf)
{
	if (dl < 0)
		return NULL;
	int64_t l = dl - mono_ns();
	if (l < 0)
		l = 0;
	buf->tv_sec = l / 1000000000;
	buf->tv_nsec = l % 1000000000;
	return buf;
}

MN_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	ssize_t r;
	return mn_netio_read(fd, buf, n, &r) ? r : WAITING(read, fd, buf, n);
}
MN_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	ssize_t r;
	return mn_netio_write(fd, buf, n, &r) ? r : BLOCKING(write, fd, buf, n);
}
MN_EXPORT ssize_t readv(int fd, const struct iovec *v, int n)
{
	ssize_t r;
	return mn_netio_readv(fd, v, n, &r) ? r : WAITING(readv, fd, v, n);
}
MN_EXPORT ssize_t writev(int fd, const struct iovec *v, int n)
{
	ssize_t r;
	return mn_netio_writev(fd, v, n, &r) ? r : BLOCKING(writev, fd, v, n);
}
MN_EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off) { return WAITING(pread, fd, buf, n, off); }
MN_EXPORT ssize_t pread64(int fd, void *buf, size_t n, off64_t off) { return WAITING(pread64, fd, buf, n, off); }
MN_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) { return BLOCKING(pwrite, fd, buf, n, off); }
MN_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	return BLOCKING(pwrite64, fd, buf, n, off);
}

MN_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	ssize_t r;
	return mn_netio_recvfrom(fd, buf, n, flags, NULL, NULL, &r) ? r : WAITING(recv, fd, buf, n, flags);
}
MN_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *a, socklen_t *al)
{
	ssize_t r;
	return mn_netio_recvfrom(fd, buf, n, flags, a, al, &r) ? r : WAITING(recvfrom, fd, buf, n, flags, a, al);
}
MN_EXPORT ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
	ssize_t r;
	return mn_netio_recvmsg(fd, m, flags, &r) ? r : WAITING(recvmsg, fd, m, flags);
}
MN_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	ssize_t r;
	return mn_netio_sendto(fd, buf, n, flags, NULL, 0, &r) ? r : BLOCKING(send, fd, buf, n, flags);
}
MN_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *a, socklen_t al)
{
	ssize_t r;
	return mn_netio_sendto(fd, buf, n, flags, a, al, &r) ? r : BLOCKING(sendto, fd, buf, n, flags, a, al);
}
MN_EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	ssize_t r;
	return mn_netio_sendmsg(fd, m, flags, &r) ? r : BLOCKING(sendmsg, fd, m, flags);
}
/* accept has no flag for "do not wait": the G waits for the listening
 * socket to be readable, then the kernel's call (rarely a wait). */
MN_EXPORT int accept(int fd, struct sockaddr *a, socklen_t *al)
{
	int w = mn_netio_wait_readable(fd);
	if (w == -EAGAIN || w == -EINTR) {
		errno = -w;
		return -1;
	}
	int r = WAITING(accept, fd, a, al);
	mn_netio_new(r);
	return r;
}
MN_EXPORT int accept4(int fd, struct sockaddr *a, socklen_t *al, int flags)
{
	int w = mn_netio_wait_readable(fd);
	if (w == -EAGAIN || w == -EINTR) {
		errno = -w;
		return -1;
	}
	int r = WAITING(accept4, fd, a, al, flags);
	mn_netio_new(r);
	return r;
}
MN_EXPORT int connect(int fd, const struct sockaddr *a, socklen_t al)
{
	int r;
	return mn_netio_connect(fd, a, al, &r) ? r : BLOCKING(connect, fd, a, al);
}
MN_EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags, struct timespec *ts)
{
	int r;
	if (!ts && mn_netio_recvmmsg(fd, v, n, flags, &r))
		return r;
	return WAITING(recvmmsg, fd, v, n, flags, ts);
}
MN_EXPORT int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
	int r;
	return mn_netio_sendmmsg(fd, v, n, flags, &r) ? r : BLOCKING(sendmmsg, fd, v, n, flags);
}
/* sendfile into a socket or pipe: the G waits for room, then the
 * kernel's call (rarely a wait). */
MN_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t n)
{
	int w = mn_netio_wait_ready(out, true);
	if (w == -EAGAIN || w == -EINTR) {
		errno = -w;
		return -1;
	}
	return BLOCKING(sendfile, out, in, off, n);
}
MN_EXPORT ssize_t sendfile64(int out, int in, off64_t *off, size_t n)
{
	int w = mn_netio_wait_ready(out, true);
	if (w == -EAGAIN || w == -EINTR) {
		errno = -w;
		return -1;
	}
	return BLOCKING(sendfile64, out, in, off, n);
}

/* Name lookups wait for the network inside libc. */
MN_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
			  struct addrinfo **res)
{
	return BLOCKING(getaddrinfo, node, service, hints, res);
}
MN_EXPORT int getnameinfo(const struct sockaddr *a, socklen_t al, char *host, socklen_t hl, char *serv,
			  socklen_t sl, int flags)
{
	return BLOCKING(getnameinfo, a, al, host, hl, serv, sl, flags);
}

MN_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int64_t dl = ms_deadline(timeout);
	int r;
	if (mn_netio_poll(fds, n, timeout == 0 ? 0 : dl, &r))
		return r;
	return RESTARTED(WAITING(poll, fds, n, timeout), timeout = ms_left(dl));
}
MN_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	int64_t dl = ts_deadline(ts);
	struct timespec left;
	int r;
	if (!mask && mn_netio_poll(fds, n, ts && ts->tv_sec == 0 && ts->tv_nsec == 0 ? 0 : dl, &r))
		return r;
	return RESTARTED(WAITING(ppoll, fds, n, ts, mask), ts = ts_left(dl, &left));
}
MN_EXPORT int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	/* Linux leaves the time not slept in *tv. */
	if (!tv || (tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000)) {
		int64_t dl = tv ? mono_ns() + (int64_t)tv->tv_sec * 1000000000 + (int64_t)tv->tv_usec * 1000 : -1;
		int res;
		if (mn_netio_select(n, r, w, e, tv && tv->tv_sec == 0 && tv->tv_usec == 0 ? 0 : dl, &res)) {
			if (tv) {
				int64_t left = dl - mono_ns();
				if (left < 0)
					left = 0;
				tv->tv_sec = left / 1000000000;
				tv->tv_usec = (left % 1000000000) / 1000;
			}
			return res;
		}
	}
	return RESTARTED(WAITING(select, n, r, w, e, tv), (void)0);
}
MN_EXPORT int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts, const sigset_t *mask)
{
	int64_t dl = ts_deadline(ts);
	struct timespec left;
	int res;
	if (!mask && (!ts || (ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000)) &&
	    mn_netio_select(n, r, w, e, ts && ts->tv_sec == 0 && ts->tv_nsec == 0 ? 0 : dl, &res))
		return res;
	return RESTARTED(WAITING(pselect, n, r, w, e, ts, mask), ts = ts_left(dl, &left));
}
MN_EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int n, int timeout)
{
	int64_t dl = ms_deadline(timeout);
	int r;
	if (mn_netio_epoll_wait(epfd, ev, n, timeout == 0 ? 0 : dl, &r))
		return r;
	return RESTARTED(WAITING(epoll_wait, epfd, ev, n, timeout), timeout = ms_left(dl));
}
MN_EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int n, int timeout, const sigset_t *mask)
{
	int64_t dl = ms_deadline(timeout);
	int r;
	if (!mask && mn_netio_epoll_wait(epfd, ev, n, timeout == 0 ? 0 : dl, &r))
		return r;
	return RESTARTED(WAITING(epoll_pwait, epfd, ev, n, timeout, mask), timeout = ms_left(dl));
}

MN_EXPORT int epoll_pwait2(int epfd, struct epoll_event *ev, int n, const struct timespec *ts, const sigset_t *mask)
{
	int r;
	if (!mask && (!ts || (ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000)) &&
	    mn_netio_epoll_wait(epfd, ev, n, ts && ts->tv_sec == 0 && ts->tv_nsec == 0 ? 0 : ts_deadline(ts), &r))
		return r;
	int64_t dl = ts_deadline(ts);
	struct timespec left;
	return RESTARTED(WAITING(epoll_pwait2, epfd, ev, n, ts, mask), ts = ts_left(dl, &left));
}
MN_EXPORT pid_t wait(int *status) { return WAITING(wait, status); }
MN_EXPORT pid_t waitpid(pid_t pid, int *status, int options) { return WAITING(waitpid, pid, status, options); }
MN_EXPORT int waitid(idtype_t t, id_t id, siginfo_t *info, int options)
{
	return WAITING(waitid, t, id, info, options);
}
MN_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	return WAITING(wait4, pid, status, options, ru);
}
/* glibc's pclose waits for the child inside libc (system: exec.c). */
MN_EXPORT int pclose(FILE *f)
{
	if (f)
		mn_netio_close(fileno(f));
	return BLOCKING(pclose, f);
}

MN_EXPORT int pause(void) { return RESTARTED(BLOCKING(pause), (void)0); }
/* A G's sigsuspend waits with its mask in the G (shims/sigmask.c); main
 * on M0 (before its first thread, or lockmain) in the kernel. */
MN_EXPORT int sigsuspend(const sigset_t *mask)
{
	if (mn_shim_active() && mn_is_g() && !mn_g_m0main(mn_getg())) {
		errno = -mn_sig_suspend(mask);
		return -1;
	}
	return RESTARTED(BLOCKING(sigsuspend, mask), (void)0);
}
/* A signal the thread sent itself while blocking it is pending for it
 * alone (shims/sigmask.c): sigwait takes it first. */
static int own_pending(const sigset_t *set, siginfo_t *info)
{
	if (!mn_shim_active() || !mn_is_g())
		return 0;
	int sig = mn_sig_take_pending(set, info);
	/* glibc's sigtimedwait reports a tkill as SI_USER (what POSIX has
	 * raise give): the same here */
	if (sig > 0 && info && info->si_code == SI_TKILL)
		info->si_code = SI_USER;
	return sig;
}
/* The kernel's wait, marked in the G (sigwaiting) so that a signal sent
 * to it alone (pthread_kill) rings it out of the call (EINTR), to be
 * taken here. */
static int sigwait_g(const sigset_t *set, siginfo_t *info, const struct timespec *ts)
{
	int64_t dl = ts_deadline(ts);
	struct timespec left;
	for (;;) {
		int own = own_pending(set, info);
		if (own)
			return own;
		bool g = mn_shim_active() && mn_is_g();
		if (g)
			memcpy(&mn_getg()->sigwaiting, set, sizeof(uint64_t));
		int r = RESTARTED(BLOCKING(sigtimedwait, set, info, ts), ts = ts_left(dl, &left));
		if (g)
			mn_getg()->sigwaiting = 0;
		if (r >= 0 || errno != EINTR || !g)
			return r;
		uint64_t want;
		memcpy(&want, set, sizeof want);
		/* relaxed: our own pending set */
		if (!(atomic_load_explicit(&mn_getg()->sigpending, memory_order_relaxed) & want))
			return r;
		if (ts)
			ts = ts_left(dl, &left);
	}
}
MN_EXPORT int sigwait(const sigset_t *set, int *sig)
{
	for (;;) {
		int r = sigwait_g(set, NULL, NULL);
		if (r > 0) {
			*sig = r;
			return 0;
		}
		if (errno != EINTR) /* glibc's sigwait waits on through handlers */
			return errno;
	}
}
MN_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	return sigwait_g(set, info, NULL);
}
MN_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *ts)
{
	return sigwait_g(set, info, ts);
}

MN_EXPORT ssize_t msgrcv(int id, void *msg, size_t n, long type, int flags)
{
	return RESTARTED(WAITING(msgrcv, id, msg, n, type, flags), (void)0);
}
MN_EXPORT int msgsnd(int id, const void *msg, size_t n, int flags)
{
	return RESTARTED(BLOCKING(msgsnd, id, msg, n, flags), (void)0);
}
MN_EXPORT int semop(int id, struct sembuf *ops, size_t n) { return RESTARTED(WAITING(semop, id, ops, n), (void)0); }
MN_EXPORT int semtimedop(int id, struct sembuf *ops, size_t n, const struct timespec *ts)
{
	int64_t dl = ts_deadline(ts);
	struct timespec left;
	return RESTARTED(WAITING(semtimedop, id, ops, n, ts), ts = ts_left(dl, &left));
}
MN_EXPORT int flock(int fd, int op) { return BLOCKING(flock, fd, op); }
MN_EXPORT int lockf(int fd, int cmd, off_t len) { return BLOCKING(lockf, fd, cmd, len); }
MN_EXPORT int fsync(int fd) { return BLOCKING(fsync, fd); }
MN_EXPORT int fdatasync(int fd) { return BLOCKING(fdatasync, fd); }

/* fcntl waits only for a record lock (F_SETLKW, F_OFD_SETLKW); its third
 * argument is an int or a pointer, passed on as a pointer-sized word, as
 * glibc's own wrapper reads it. */
#define FCNTL_ARG(cmd)                                                         \
	({                                                                     \
		va_list ap_;                                                   \
		va_start(ap_, cmd);                                            \
		void *a_ = va_arg(ap_, void *);                                \
		va_end(ap_);                                                   \
		a_;                                                            \
	})
#define FCNTL_WAITS(cmd) ((cmd) == F_SETLKW || (cmd) == F_OFD_SETLKW)
MN_EXPORT int fcntl(int fd, int cmd, ...)
{
	void *arg = FCNTL_ARG(cmd);
	return FCNTL_WAITS(cmd) ? BLOCKING(fcntl, fd, cmd, arg) : REAL(fcntl)(fd, cmd, arg);
}
MN_EXPORT int fcntl64(int fd, int cmd, ...)
{
	void *arg = FCNTL_ARG(cmd);
	return FCNTL_WAITS(cmd) ? BLOCKING(fcntl64, fd, cmd, arg) : REAL(fcntl64)(fd, cmd, arg);
}

/* open on a FIFO waits for the other end.  The mode argument is there
 * only with O_CREAT or O_TMPFILE. */
#define OPEN_MODE(flags)                                                       \
	({                                                                     \
		mode_t m_ = 0;                                                 \
		if (((flags) & O_CREAT) || ((flags) & __O_TMPFILE) == __O_TMPFILE) { \
			va_list ap_;                                           \
			va_start(ap_, flags);                                  \
			m_ = (mode_t)va_arg(ap_, int);                         \
			va_end(ap_);                                           \
		}                                                              \
		m_;                                                            \
	})
MN_EXPORT int open(const char *path, int flags, ...)
{
	int r = BLOCKING(open, path, flags, OPEN_MODE(flags));
	mn_netio_new(r);
	return r;
}
MN_EXPORT int open64(const char *path, int flags, ...)
{
	int r = BLOCKING(open64, path, flags, OPEN_MODE(flags));
	mn_netio_new(r);
	return r;
}
MN_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	int r = BLOCKING(openat, dirfd, path, flags, OPEN_MODE(flags));
	mn_netio_new(r);
	return r;
}
MN_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	int r = BLOCKING(openat64, dirfd, path, flags, OPEN_MODE(flags));
	mn_netio_new(r);
	return r;
}


/* A descriptor that goes (close) or becomes a copy of another (dup2,
 * dup3): the Gs the netpoller has waiting on it wake (EBADF), its
 * registration goes.  The netpoller's own descriptors are not the
 * program's to close. */
MN_EXPORT int close(int fd)
{
	if (mn_netio_close(fd))
		return 0;
	return REAL(close)(fd);
}
MN_EXPORT int dup2(int fd, int fd2)
{
	if (fd != fd2 && mn_netio_close(fd2)) {
		errno = EBUSY;
		return -1;
	}
	return REAL(dup2)(fd, fd2);
}
MN_EXPORT int dup3(int fd, int fd2, int flags)
{
	if (fd != fd2 && mn_netio_close(fd2)) {
		errno = EBUSY;
		return -1;
	}
	return REAL(dup3)(fd, fd2, flags);
}
MN_EXPORT int fclose(FILE *f)
{
	if (f)
		mn_netio_close(fileno(f));
	return REAL(fclose)(f);
}
/* The netpoller's own descriptors stay open (shims/netio.c). */
MN_EXPORT int close_range(unsigned lo, unsigned hi, int flags)
{
	if (lo > hi || !mn_shim_active())
		return REAL(close_range)(lo, hi, flags);
	if (!(flags & CLOSE_RANGE_CLOEXEC))
		mn_netio_close_range(lo, hi);
	unsigned part[4][2];
	int n = mn_netio_keep_ours(lo, hi, part);
	int r = 0;
	for (int i = 0; i < n && r == 0; i++)
		r = REAL(close_range)(part[i][0], part[i][1], flags);
	return r;
}
MN_EXPORT void closefrom(int lo)
{
	if (lo < 0 || !mn_shim_active()) {
		REAL(closefrom)(lo);
		return;
	}
	mn_netio_close_range((unsigned)lo, ~0u);
	unsigned part[4][2];
	int n = mn_netio_keep_ours((unsigned)lo, ~0u, part);
	for (int i = 0; i < n; i++) {
		if (part[i][1] == ~0u)
			REAL(closefrom)((int)part[i][0]);
		else
			REAL(close_range)(part[i][0], part[i][1], 0);
	}
}
/* A socket's time-outs are the netpoller's deadlines (shims/netio.c). */
MN_EXPORT int setsockopt(int fd, int level, int opt, const void *val, socklen_t len)
{
	int r = REAL(setsockopt)(fd, level, opt, val, len);
	if (r == 0 && mn_shim_active())
		mn_netio_sockopt(fd, level, opt);
	return r;
}
/* The ends of a pipe or socketpair made here: a write to one readies
 * the threads waiting to read the other without a poll. */
MN_EXPORT int pipe(int fds[2])
{
	int r = REAL(pipe)(fds);
	if (r == 0) {
		mn_netio_new(fds[0]);
		mn_netio_new(fds[1]);
		mn_netio_pair(fds);
	}
	return r;
}
MN_EXPORT int pipe2(int fds[2], int flags)
{
	int r = REAL(pipe2)(fds, flags);
	if (r == 0) {
		mn_netio_new(fds[0]);
		mn_netio_new(fds[1]);
		mn_netio_pair(fds);
	}
	return r;
}
MN_EXPORT int socketpair(int domain, int type, int proto, int fds[2])
{
	int r = REAL(socketpair)(domain, type, proto, fds);
	if (r == 0) {
		mn_netio_new(fds[0]);
		mn_netio_new(fds[1]);
		mn_netio_pair(fds);
	}
	return r;
}
/* splice and tee between pipes and sockets park in the netpoller too. */
MN_EXPORT ssize_t splice(int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t n, unsigned flags)
{
	ssize_t r;
	if (mn_netio_splice(fd_in, off_in, fd_out, off_out, n, flags, false, &r))
		return r;
	return BLOCKING(splice, fd_in, off_in, fd_out, off_out, n, flags);
}
MN_EXPORT ssize_t tee(int fd_in, int fd_out, size_t n, unsigned flags)
{
	ssize_t r;
	if (mn_netio_splice(fd_in, NULL, fd_out, NULL, n, flags, true, &r))
		return r;
	return BLOCKING(tee, fd_in, fd_out, n, flags);
}
