/* shims/netio.c: reads, writes, accepts and polls on pollable descriptors
 * park the G in the netpoller instead of blocking its M (netio.h).
 *
 * The program's descriptors stay as it made them: no O_NONBLOCK.  A call
 * is tried without waiting in a way that leaves the open file alone:
 * MSG_DONTWAIT on a socket, RWF_NOWAIT (preadv2, pwritev2 at the current
 * position) on a FIFO or an anonymous inode (eventfd, timerfd, signalfd,
 * inotify).  When the try says EAGAIN and the program did not ask for
 * that itself (its own O_NONBLOCK, read with F_GETFL then, or
 * MSG_DONTWAIT), the G arms the netpoller, tries again and parks until
 * the descriptor is ready.  A socket's SO_RCVTIMEO and SO_SNDTIMEO become
 * the wait's deadline (EAGAIN, or the bytes moved so far, when it ends).
 * A blocking write moves every byte, as the kernel's does, waiting as
 * often as the other end is full.  A try that the descriptor refuses
 * (ENOTSOCK: the number is another file now; EOPNOTSUPP: no RWF_NOWAIT
 * there) classifies it again.
 *
 * Calls are cancellation points as natively: a pending request acts at
 * entry, and pthread_cancel ends the wait (then the request acts).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "shims/netio.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "shims/blocking.h"
#include "shims/start.h"
#include "sched/runtime.h"
#include "sched/gsig.h"
#include "sched/cancel.h"
#include "sched/netpoll.h"
#include "sched/sys.h"
#include "shims/poison.h" /* last */

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif

/* A raw call made again while only our preemption signal ended it with
 * EINTR (shims/blocking.h): a zero time-out poll is not restarted. */
#define NOINTR(call)                                                           \
	({                                                                     \
		long r_;                                                       \
		for (;;) {                                                     \
			uint32_t m_ = mn_intr_mark();                          \
			r_ = (call);                                           \
			if (r_ != -EINTR || !mn_intr_ours(m_, -1, EINTR))      \
				break;                                         \
		}                                                              \
		r_;                                                            \
	})

/* The caller is a G that may park (not main or another locked G). */
static inline bool usable(void)
{
	if (!mn_shim_active() || !mn_is_g())
		return false;
	return mn_getg()->lockedm == NULL;
}

/* A write moved bytes: a G waiting to read them may run next here. */
static inline long wrote_fd(int fd, long r)
{
	if (r > 0 && mn_netpoll_waiters() > 0 && !mn_netpoll_wrote(fd))
		mn_netpoll_poke();
	return r;
}
#define wrote(r) wrote_fd(fd, (r))

/* A write found no reader: the kernel sent SIGPIPE to our M.  If the G
 * blocks it, it is pending for the G (sigpending, sigwait, delivered when
 * it unblocks it), not left on the M for the next thread that runs there
 * with SIGPIPE open (sched/runtime.h: mn_sigpipe_sync). */
static void epipe_to_g(void)
{
	struct g *gp = mn_getg();
	uint64_t b = 1ULL << (SIGPIPE - 1);
	if (!gp || !(gp->sigmask & b))
		return;
	struct timespec zero = { 0, 0 };
	siginfo_t si;
	if (mn_sys6(SYS_rt_sigtimedwait, (long)&b, (long)&si, (long)&zero, 8, 0, 0) == SIGPIPE)
		/* seq_cst: as any sender's bit (sched/gsig.c) */
		atomic_fetch_or_explicit(&gp->sigpending, b, memory_order_seq_cst);
}

static inline bool done(long r, ssize_t *res)
{
	if (r == -EPIPE)
		epipe_to_g();
	if (r < 0) {
		errno = (int)-r;
		*res = -1;
	} else {
		*res = r;
	}
	return true;
}

/* The program made the file non-blocking itself. */
static bool own_nonblock(int fd)
{
	long fl = mn_sys3(SYS_fcntl, fd, F_GETFL, 0);
	return fl >= 0 && (fl & O_NONBLOCK);
}

/* Per socket (mn_netpoll_cache): whether it has a receive or send
 * time-out, looked up at its first wait and again after the program's
 * setsockopt of either (mn_netio_sockopt); an accepted socket inherits
 * its listener's. */
#define TIMEO_KNOWN 1u
#define TIMEO_RCV 2u
#define TIMEO_SND 4u

static bool sock_timeo(int fd, int opt, struct timeval *tv)
{
	socklen_t len = sizeof *tv;
	tv->tv_sec = tv->tv_usec = 0;
	return mn_sys6(SYS_getsockopt, fd, SOL_SOCKET, opt, (long)tv, (long)&len, 0) == 0 &&
	       (tv->tv_sec != 0 || tv->tv_usec != 0);
}

/* A socket's SO_RCVTIMEO / SO_SNDTIMEO as a deadline from now; -1 none. */
static int64_t sock_deadline(int fd, uint32_t mode)
{
	uint32_t c = mn_netpoll_cache(fd);
	struct timeval tv;
	if (!(c & TIMEO_KNOWN)) {
		c = TIMEO_KNOWN;
		if (sock_timeo(fd, SO_RCVTIMEO, &tv))
			c |= TIMEO_RCV;
		if (sock_timeo(fd, SO_SNDTIMEO, &tv))
			c |= TIMEO_SND;
		mn_netpoll_cache_set(fd, c);
	}
	if (!(c & (mode == MN_POLL_IN ? TIMEO_RCV : TIMEO_SND)) ||
	    !sock_timeo(fd, mode == MN_POLL_IN ? SO_RCVTIMEO : SO_SNDTIMEO, &tv))
		return -1;
	return mn_nanotime() + (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

void mn_netio_sockopt(int fd, int level, int opt)
{
	if (level == SOL_SOCKET && (opt == SO_RCVTIMEO_OLD || opt == SO_SNDTIMEO_OLD || opt == SO_RCVTIMEO_NEW ||
				    opt == SO_SNDTIMEO_NEW))
		mn_netpoll_cache_set(fd, 0);
}

/* One try of a call, without waiting. */
struct io {
	int fd;
	int kind;
	uint32_t mode;
	int flags; /* the program's flags (socket calls) */
	long (*try)(struct io *);
	/* the call's arguments */
	const struct iovec *iov;
	int iovcnt;
	struct iovec one;
	struct sockaddr *addr;
	socklen_t *addrlen;
	const struct sockaddr *daddr;
	socklen_t daddrlen;
	struct msghdr *msg;
};

static long try_rw(struct io *io)
{
	if (io->kind == MN_FD_SOCK) {
		struct msghdr m = { 0 };
		m.msg_iov = (struct iovec *)io->iov;
		m.msg_iovlen = (size_t)io->iovcnt;
		return NOINTR(mn_sys3(io->mode == MN_POLL_IN ? SYS_recvmsg : SYS_sendmsg, io->fd, &m, MSG_DONTWAIT));
	}
	return NOINTR(mn_sys6(io->mode == MN_POLL_IN ? SYS_preadv2 : SYS_pwritev2, io->fd, (long)io->iov,
			      io->iovcnt, -1, 0, RWF_NOWAIT));
}

static long try_recvfrom(struct io *io)
{
	return NOINTR(mn_sys6(SYS_recvfrom, io->fd, (long)io->one.iov_base, (long)io->one.iov_len,
			      io->flags | MSG_DONTWAIT, (long)io->addr, (long)io->addrlen));
}
static long try_sendto(struct io *io)
{
	return NOINTR(mn_sys6(SYS_sendto, io->fd, (long)io->one.iov_base, (long)io->one.iov_len,
			      io->flags | MSG_DONTWAIT, (long)io->daddr, io->daddrlen));
}
static long try_recvmsg(struct io *io)
{
	return NOINTR(mn_sys3(SYS_recvmsg, io->fd, io->msg, io->flags | MSG_DONTWAIT));
}
static long try_sendmsg(struct io *io)
{
	return NOINTR(mn_sys3(SYS_sendmsg, io->fd, io->msg, io->flags | MSG_DONTWAIT));
}

/* Wait for the arm in rq; -ECANCELED acts on the request (or, with
 * cancellation disabled, waits on without it).  Returns 0 or -ETIMEDOUT,
 * -EBADF, -EINTR. */
static int wait_one(struct mn_pollreq *rq, int n, int64_t deadline, bool *cancellable, bool restartable)
{
	int w = mn_netpoll_wait(rq, n, deadline, *cancellable);
	if (w == -ECANCELED) {
		/* A signal for this thread: its handler runs, then the call
		 * says EINTR, unless every handler that ran has SA_RESTART
		 * and the call is one that restarts (restartable: not poll,
		 * select, epoll_wait, nor a socket call with a time-out). */
		int sr = mn_gsig_deliver();
		if ((sr & MN_GSIG_EINTR) || (sr && !restartable))
			return -EINTR;
		if (sr)
			return 0;
		mn_cancel_act(); /* returns only with cancellation disabled */
		*cancellable = false;
		return 0;
	}
	return w;
}

/* Try, and wait while the try says EAGAIN.  Returns the call's result
 * (-errno), or 1 + INT64 sentinel NOT_MINE: the caller's blocking path. */
#define NOT_MINE ((long)INT64_MIN)
static long run(struct io *io)
{
	struct mn_pollreq rq = { io->fd, io->mode, 0 };
	mn_netpoll_snap(&rq, 1);
	long r = io->try(io);
	if (r != -EAGAIN)
		return r;
	if ((io->flags & MSG_DONTWAIT) || own_nonblock(io->fd))
		return r;
	bool cancellable = mn_cancel_point();
	int64_t deadline = io->kind == MN_FD_SOCK ? sock_deadline(io->fd, io->mode) : -1;
	for (;;) {
		if (mn_netpoll_register(&rq, 1) < 0)
			return NOT_MINE; /* not pollable after all: the blocking call */
		int w = wait_one(&rq, 1, deadline, &cancellable, deadline < 0);
		if (w == -ETIMEDOUT)
			return -EAGAIN;
		if (w == -EBADF || w == -EINTR)
			return w;
		/* A send the kernel had waiting ends with the socket's pending
		 * error (a Unix socket's reader closed with data unread:
		 * ECONNRESET), where a new send would say EPIPE. */
		if (io->kind == MN_FD_SOCK && io->mode == MN_POLL_OUT) {
			int err = 0;
			socklen_t len = sizeof err;
			if (mn_sys6(SYS_getsockopt, io->fd, SOL_SOCKET, SO_ERROR, (long)&err, (long)&len, 0) == 0 && err)
				return -err;
		}
		mn_netpoll_snap(&rq, 1);
		r = io->try(io);
		if (r != -EAGAIN)
			return r;
	}
}

/* The kind, with a fix for a stale one the try found. */
static bool reclassify(struct io *io, long r)
{
	if ((r == -ENOTSOCK && io->kind == MN_FD_SOCK) || (r == -EOPNOTSUPP && io->kind == MN_FD_NOWAIT)) {
		if (io->kind == MN_FD_NOWAIT) {
			mn_netpoll_setkind(io->fd, MN_FD_POLLCHK);
		} else {
			mn_netpoll_setkind(io->fd, MN_FD_UNKNOWN);
		}
		return true;
	}
	return false;
}

/* read, readv, write, writev. */
static bool rw(int fd, uint32_t mode, const struct iovec *v, int cnt, ssize_t *res)
{
	if (!usable())
		return false;
	struct io io = { .fd = fd, .mode = mode, .try = try_rw, .iov = v, .iovcnt = cnt };
	for (;;) {
		io.kind = mn_netpoll_kind(fd);
		if (io.kind == MN_FD_FILE)
			return false;
		if (io.kind == MN_FD_POLLCHK) {
			if (mode == MN_POLL_IN)
				(void)mn_netio_wait_readable(fd);
			return false;
		}
		if (mode == MN_POLL_IN) {
			long r = run(&io);
			if (reclassify(&io, r))
				continue;
			if (r == NOT_MINE)
				return false;
			return done(r, res);
		}
		/* A write moves every byte (a blocking write does), unless an
		 * error, a time-out or the program's O_NONBLOCK stops it. */
		size_t total = 0;
		for (int i = 0; i < cnt; i++)
			total += v[i].iov_len;
		size_t moved = 0;
		struct iovec local[cnt > 0 ? cnt : 1];
		long r = 0;
		for (;;) {
			r = run(&io);
			if (moved == 0 && reclassify(&io, r))
				break;
			if (r == NOT_MINE && moved == 0)
				return false;
			if (r < 0 || r == NOT_MINE)
				return done(wrote(moved ? (long)moved : (r == NOT_MINE ? -EAGAIN : r)), res);
			moved += (size_t)r;
			if (moved >= total || r == 0 || own_nonblock(fd))
				return done(wrote((long)moved), res);
			/* The rest: the iovecs past what went. */
			size_t skip = moved;
			int k = 0, j = 0;
			for (; k < cnt && skip >= v[k].iov_len; k++)
				skip -= v[k].iov_len;
			for (; k < cnt; k++, j++) {
				local[j].iov_base = (char *)v[k].iov_base + skip;
				local[j].iov_len = v[k].iov_len - skip;
				skip = 0;
			}
			io.iov = local;
			io.iovcnt = j;
		}
	}
}

bool mn_netio_read(int fd, void *buf, size_t n, ssize_t *res)
{
	struct iovec v = { buf, n };
	return rw(fd, MN_POLL_IN, &v, 1, res);
}
bool mn_netio_readv(int fd, const struct iovec *v, int n, ssize_t *res)
{
	if (n < 0 || n > 1024)
		return false;
	return rw(fd, MN_POLL_IN, v, n, res);
}
bool mn_netio_write(int fd, const void *buf, size_t n, ssize_t *res)
{
	struct iovec v = { (void *)buf, n };
	return rw(fd, MN_POLL_OUT, &v, 1, res);
}
bool mn_netio_writev(int fd, const struct iovec *v, int n, ssize_t *res)
{
	if (n < 0 || n > 1024)
		return false;
	return rw(fd, MN_POLL_OUT, v, n, res);
}

/* The socket calls: flags carry MSG_DONTWAIT.  MSG_WAITALL keeps the
 * kernel's wait (it gathers across arrivals). */
static bool sock_call(struct io *io, ssize_t *res)
{
	if (!usable() || (io->flags & (MSG_DONTWAIT | MSG_WAITALL)))
		return false;
	io->kind = mn_netpoll_kind(io->fd);
	if (io->kind != MN_FD_SOCK)
		return false;
	long r = run(io);
	if (r == NOT_MINE || r == -ENOTSOCK) {
		if (r == -ENOTSOCK)
			mn_netpoll_setkind(io->fd, MN_FD_UNKNOWN);
		return false;
	}
	return done(r, res);
}

bool mn_netio_recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *a, socklen_t *al, ssize_t *res)
{
	struct io io = { .fd = fd, .mode = MN_POLL_IN, .flags = flags, .try = try_recvfrom,
			 .one = { buf, n }, .addr = a, .addrlen = al };
	return sock_call(&io, res);
}
bool mn_netio_recvmsg(int fd, struct msghdr *m, int flags, ssize_t *res)
{
	struct io io = { .fd = fd, .mode = MN_POLL_IN, .flags = flags, .try = try_recvmsg, .msg = m };
	return sock_call(&io, res);
}
bool mn_netio_sendmsg(int fd, const struct msghdr *m, int flags, ssize_t *res)
{
	/* A stream socket's blocking sendmsg moves every byte; partial
	 * sends of a message are left to the kernel's wait. */
	struct io io = { .fd = fd, .mode = MN_POLL_OUT, .flags = flags, .try = try_sendmsg,
			 .msg = (struct msghdr *)m };
	if (!usable() || (flags & MSG_DONTWAIT))
		return false;
	io.kind = mn_netpoll_kind(fd);
	if (io.kind != MN_FD_SOCK)
		return false;
	size_t total = 0;
	for (size_t i = 0; i < m->msg_iovlen; i++)
		total += m->msg_iov[i].iov_len;
	long r = run(&io);
	if (r == NOT_MINE || r == -ENOTSOCK)
		return false;
	if (r >= 0 && (size_t)r < total && !own_nonblock(fd)) {
		/* The rest as plain sends (no ancillary data twice). */
		size_t moved = (size_t)r;
		for (size_t i = 0, off = 0; i < m->msg_iovlen && moved < total; off += m->msg_iov[i].iov_len, i++) {
			size_t end = off + m->msg_iov[i].iov_len;
			while (moved < end) {
				struct io rest = { .fd = fd, .kind = MN_FD_SOCK, .mode = MN_POLL_OUT, .flags = flags,
						   .try = try_sendto,
						   .one = { (char *)m->msg_iov[i].iov_base + (moved - off), end - moved } };
				long s = run(&rest);
				if (s <= 0 || s == NOT_MINE)
					return done(wrote((long)moved), res);
				moved += (size_t)s;
			}
		}
		return done(wrote((long)moved), res);
	}
	return done(wrote(r), res);
}
bool mn_netio_sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *a, socklen_t al,
		     ssize_t *res)
{
	if (!usable() || (flags & MSG_DONTWAIT))
		return false;
	if (mn_netpoll_kind(fd) != MN_FD_SOCK)
		return false;
	size_t moved = 0;
	for (;;) {
		struct io io = { .fd = fd, .kind = MN_FD_SOCK, .mode = MN_POLL_OUT, .flags = flags, .try = try_sendto,
				 .one = { (char *)buf + moved, n - moved }, .daddr = a, .daddrlen = al };
		long r = run(&io);
		if (moved == 0 && (r == NOT_MINE || r == -ENOTSOCK)) {
			if (r == -ENOTSOCK)
				mn_netpoll_setkind(fd, MN_FD_UNKNOWN);
			return false;
		}
		if (r < 0 || r == NOT_MINE)
			return done(wrote(moved ? (long)moved : (r == NOT_MINE ? -EAGAIN : r)), res);
		moved += (size_t)r;
		/* Datagrams go whole or not at all; a stream's rest follows. */
		if (moved >= n || r == 0 || a != NULL || own_nonblock(fd))
			return done(wrote((long)moved), res);
	}
}

int mn_netio_wait_readable(int fd) { return mn_netio_wait_ready(fd, false); }

int mn_netio_wait_ready(int fd, bool out)
{
	if (!usable())
		return 0;
	int kind = mn_netpoll_kind(fd);
	if (kind == MN_FD_FILE)
		return 0;
	uint32_t mode = out ? MN_POLL_OUT : MN_POLL_IN;
	struct pollfd p = { fd, out ? POLLOUT : POLLIN, 0 };
	struct timespec zero = { 0, 0 };
	struct mn_pollreq rq = { fd, mode, 0 };
	mn_netpoll_snap(&rq, 1);
	if (NOINTR(mn_sys6(SYS_ppoll, (long)&p, 1, (long)&zero, 0, 8, 0)) != 0 || own_nonblock(fd))
		return 0;
	bool cancellable = mn_cancel_point();
	int64_t deadline = kind == MN_FD_SOCK ? sock_deadline(fd, mode) : -1;
	for (;;) {
		if (mn_netpoll_register(&rq, 1) < 0)
			return 0;
		int w = wait_one(&rq, 1, deadline, &cancellable, deadline < 0);
		if (w == -ETIMEDOUT)
			return -EAGAIN; /* SO_RCVTIMEO/SO_SNDTIMEO passed: the call says EAGAIN */
		if (w == -EINTR)
			return -EINTR;
		if (w != 0)
			return 0;
		mn_netpoll_snap(&rq, 1);
		if (NOINTR(mn_sys6(SYS_ppoll, (long)&p, 1, (long)&zero, 0, 8, 0)) != 0)
			return 0;
	}
}

/* The readiness modes poll's events ask for (hang-ups and errors count in
 * both). */
static uint32_t poll_mode(short ev)
{
	uint32_t m = 0;
	if (ev & (POLLIN | POLLPRI | POLLRDHUP | POLLRDNORM | POLLRDBAND))
		m |= MN_POLL_IN;
	if (ev & (POLLOUT | POLLWRNORM | POLLWRBAND))
		m |= MN_POLL_OUT;
	return m ? m : MN_POLL_IN;
}

#define STACK_REQS 64

/* The loop under poll, select and epoll_wait: check (a zero time-out
 * call) returns the count, 0 for nothing yet, or -errno. */
static bool multiwait(struct mn_pollreq *rq, int nrq, int64_t deadline, long (*check)(void *), void *arg, int *res)
{
	mn_netpoll_snap(rq, nrq);
	long r = check(arg);
	if (r != 0 || deadline == 0 || (deadline > 0 && mn_nanotime() >= deadline)) {
		*res = r < 0 ? (errno = (int)-r, -1) : (int)r;
		return true;
	}
	bool cancellable = mn_cancel_point();
	for (;;) {
		if (mn_netpoll_register(rq, nrq) < 0)
			return false; /* a descriptor epoll refuses: the kernel's call */
		int w = wait_one(rq, nrq, deadline, &cancellable, false);
		if (w == -EINTR) {
			*res = (errno = EINTR, -1);
			return true;
		}
		mn_netpoll_snap(rq, nrq);
		r = check(arg);
		if (r != 0 || w == -ETIMEDOUT) {
			*res = r < 0 ? (errno = (int)-r, -1) : (int)r;
			return true;
		}
	}
}

struct pollarg {
	struct pollfd *fds;
	nfds_t n;
};
static long poll_check(void *a)
{
	struct pollarg *p = a;
	struct timespec zero = { 0, 0 };
	return NOINTR(mn_sys6(SYS_ppoll, (long)p->fds, (long)p->n, (long)&zero, 0, 8, 0));
}

bool mn_netio_poll(struct pollfd *fds, nfds_t n, int64_t deadline, int *res)
{
	if (!usable() || n > 65536)
		return false;
	struct mn_pollreq stack_rq[STACK_REQS], *rq = stack_rq;
	if (n > STACK_REQS && !(rq = malloc(n * sizeof *rq)))
		return false;
	int nrq = 0;
	for (nfds_t i = 0; i < n; i++)
		if (fds[i].fd >= 0)
			rq[nrq++] = (struct mn_pollreq){ fds[i].fd, poll_mode(fds[i].events), 0 };
	struct pollarg a = { fds, n };
	bool ok = nrq > 0 || deadline == 0 ? multiwait(rq, nrq, deadline, poll_check, &a, res) : false;
	if (rq != stack_rq)
		free(rq);
	return ok;
}

struct selarg {
	int n;
	fd_set *r, *w, *e;
	fd_set in_r, in_w, in_e;
};
static long select_check(void *arg)
{
	struct selarg *s = arg;
	struct timespec zero = { 0, 0 };
	long r;
	for (;;) {
		if (s->r)
			*s->r = s->in_r;
		if (s->w)
			*s->w = s->in_w;
		if (s->e)
			*s->e = s->in_e;
		uint32_t m = mn_intr_mark();
		r = mn_sys6(SYS_pselect6, s->n, (long)s->r, (long)s->w, (long)s->e, (long)&zero, 0);
		if (r != -EINTR || !mn_intr_ours(m, -1, EINTR))
			return r;
	}
}

bool mn_netio_select(int n, fd_set *r, fd_set *w, fd_set *e, int64_t deadline, int *res)
{
	if (!usable() || n < 0 || n > FD_SETSIZE)
		return false;
	struct selarg s;
	memset(&s, 0, sizeof s);
	s.n = n;
	s.r = r;
	s.w = w;
	s.e = e;
	if (r)
		s.in_r = *r;
	if (w)
		s.in_w = *w;
	if (e)
		s.in_e = *e;
	struct mn_pollreq stack_rq[STACK_REQS], *rq = stack_rq;
	if (n > STACK_REQS && !(rq = malloc((size_t)n * sizeof *rq)))
		return false;
	int nrq = 0;
	for (int fd = 0; fd < n; fd++) {
		uint32_t m = 0;
		if ((r && FD_ISSET(fd, &s.in_r)) || (e && FD_ISSET(fd, &s.in_e)))
			m |= MN_POLL_IN;
		if (w && FD_ISSET(fd, &s.in_w))
			m |= MN_POLL_OUT;
		if (m)
			rq[nrq++] = (struct mn_pollreq){ fd, m, 0 };
	}
	bool ok = nrq > 0 ? multiwait(rq, nrq, deadline, select_check, &s, res) : false;
	if (!ok) {
		if (r)
			*r = s.in_r;
		if (w)
			*w = s.in_w;
		if (e)
			*e = s.in_e;
	}
	if (rq != stack_rq)
		free(rq);
	return ok;
}

struct eparg {
	int epfd;
	struct epoll_event *ev;
	int n;
};
static long ep_check(void *a)
{
	struct eparg *p = a;
	return NOINTR(mn_sys6(SYS_epoll_wait, p->epfd, (long)p->ev, p->n, 0, 0, 0));
}

bool mn_netio_epoll_wait(int epfd, struct epoll_event *ev, int n, int64_t deadline, int *res)
{
	if (!usable() || n <= 0)
		return false;
	struct mn_pollreq rq = { epfd, MN_POLL_IN, 0 };
	struct eparg a = { epfd, ev, n };
	return multiwait(&rq, 1, deadline, ep_check, &a, res);
}

/* recvmmsg without a time-out and sendmmsg: the blocking calls move vlen
 * messages (recvmmsg with MSG_WAITFORONE: those there once the first
 * came); each batch is tried with MSG_DONTWAIT and the G waits between.
 * An error after some messages returns their count, as the kernel does. */
static bool mmsg(int fd, struct mmsghdr *v, unsigned n, int flags, bool out, int *res)
{
	if (!usable() || (flags & (MSG_DONTWAIT | MSG_WAITALL)) || mn_netpoll_kind(fd) != MN_FD_SOCK || n == 0)
		return false;
	uint32_t mode = out ? MN_POLL_OUT : MN_POLL_IN;
	unsigned done_n = 0;
	int64_t deadline = -1;
	bool cancellable = true, waited = false;
	for (;;) {
		struct mn_pollreq rq = { fd, mode, 0 };
		mn_netpoll_snap(&rq, 1);
		long r = out ? NOINTR(mn_sys6(SYS_sendmmsg, fd, (long)(v + done_n), n - done_n, flags | MSG_DONTWAIT,
					      0, 0))
			     : NOINTR(mn_sys6(SYS_recvmmsg, fd, (long)(v + done_n), n - done_n,
					      (flags & ~MSG_WAITFORONE) | MSG_DONTWAIT, 0, 0));
		if (r > 0) {
			done_n += (unsigned)r;
			if (out)
				wrote_fd(fd, r);
			if (done_n == n || (!out && (flags & MSG_WAITFORONE)))
				break;
			continue;
		}
		int err = (int)-r;
		if (r == -EAGAIN && !waited) {
			if (own_nonblock(fd)) {
				if (done_n)
					break;
				*res = (errno = EAGAIN, -1);
				return true;
			}
			cancellable = mn_cancel_point();
			deadline = sock_deadline(fd, mode);
			waited = true;
		}
		if (r == -EAGAIN) {
			if (mn_netpoll_register(&rq, 1) < 0) {
				if (done_n)
					break;
				return false;
			}
			int w = wait_one(&rq, 1, deadline, &cancellable, deadline < 0);
			if (w == 0)
				continue;
			err = w == -ETIMEDOUT ? EAGAIN : w == -EINTR ? EINTR : EBADF;
		}
		if (done_n)
			break;
		*res = (errno = err, -1);
		return true;
	}
	*res = (int)done_n;
	return true;
}

bool mn_netio_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags, int *res)
{
	return mmsg(fd, v, n, flags, false, res);
}

bool mn_netio_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags, int *res)
{
	/* MSG_WAITALL means nothing to a send: not a reason for the kernel's wait */
	return mmsg(fd, v, n, flags & ~MSG_WAITALL, true, res);
}

/* connect on a blocking socket: made with O_NONBLOCK set for the call
 * alone (the socket is not connected yet: no other call on it can see
 * the flag meanwhile), then, while the connection is in progress, the G
 * waits for the socket to be writable and takes the result from
 * SO_ERROR.  SO_SNDTIMEO ends the wait with EINPROGRESS, as the kernel's
 * blocking connect does.  A Unix socket whose listener's backlog is full
 * (EAGAIN without waiting) gets the kernel's blocking call. */
bool mn_netio_connect(int fd, const struct sockaddr *a, socklen_t al, int *res)
{
	if (!usable() || mn_netpoll_kind(fd) != MN_FD_SOCK)
		return false;
	long fl = mn_sys3(SYS_fcntl, fd, F_GETFL, 0);
	if (fl < 0 || (fl & O_NONBLOCK))
		return false;
	bool cancellable = mn_cancel_point();
	if (mn_sys3(SYS_fcntl, fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return false;
	long r = mn_sys3(SYS_connect, fd, a, al);
	mn_sys3(SYS_fcntl, fd, F_SETFL, fl);
	if (r == -EAGAIN)
		return false;
	if (r != -EINPROGRESS) {
		*res = r < 0 ? (errno = (int)-r, -1) : 0;
		return true;
	}
	int64_t deadline = sock_deadline(fd, MN_POLL_OUT);
	struct mn_pollreq rq = { fd, MN_POLL_OUT, 0 };
	struct pollfd p = { fd, POLLOUT, 0 };
	struct timespec zero = { 0, 0 };
	for (;;) {
		mn_netpoll_snap(&rq, 1);
		long n = NOINTR(mn_sys6(SYS_ppoll, (long)&p, 1, (long)&zero, 0, 8, 0));
		if (n != 0) {
			int err = 0;
			socklen_t len = sizeof err;
			if (n < 0)
				err = (int)-n;
			else if (mn_sys6(SYS_getsockopt, fd, SOL_SOCKET, SO_ERROR, (long)&err, (long)&len, 0) < 0)
				err = EBADF;
			*res = err ? (errno = err, -1) : 0;
			return true;
		}
		if (mn_netpoll_register(&rq, 1) < 0)
			return false;
		int w = wait_one(&rq, 1, deadline, &cancellable, false);
		if (w == -ETIMEDOUT || w == -EBADF || w == -EINTR) {
			errno = w == -ETIMEDOUT ? EINPROGRESS : -w;
			*res = -1;
			return true;
		}
	}
}

/* splice and tee between pollable descriptors: tried with
 * SPLICE_F_NONBLOCK (a pipe's side and, on Linux 5.x and later, a
 * socket's side do not wait then); on EAGAIN the G waits for fd_in to be
 * readable or fd_out writable, whichever comes, and tries again. */
bool mn_netio_splice(int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t n, unsigned flags, bool is_tee,
		     ssize_t *res)
{
	if (!usable() || (flags & SPLICE_F_NONBLOCK) || off_in || off_out)
		return false;
	int kin = mn_netpoll_kind(fd_in), kout = mn_netpoll_kind(fd_out);
	if (kin == MN_FD_FILE || kout == MN_FD_FILE || kin == MN_FD_POLLCHK || kout == MN_FD_POLLCHK)
		return false;
	struct mn_pollreq rq[2] = { { fd_in, MN_POLL_IN, 0 }, { fd_out, MN_POLL_OUT, 0 } };
	bool cancellable = true, first = true;
	for (;;) {
		mn_netpoll_snap(rq, 2);
		long r = is_tee ? NOINTR(mn_sys6(SYS_tee, fd_in, fd_out, (long)n, flags | SPLICE_F_NONBLOCK, 0, 0))
			     : NOINTR(mn_sys6(SYS_splice, fd_in, 0, fd_out, 0, (long)n, flags | SPLICE_F_NONBLOCK));
		if (r != -EAGAIN)
			return done(r > 0 ? wrote_fd(fd_out, r) : r, res);
		if (first) {
			if (own_nonblock(fd_in) || own_nonblock(fd_out))
				return done(r, res);
			cancellable = mn_cancel_point();
			first = false;
		}
		if (mn_netpoll_register(rq, 2) < 0)
			return false;
		int w = wait_one(rq, 2, -1, &cancellable, true);
		if (w == -EBADF || w == -EINTR)
			return done(w, res);
	}
}

bool mn_netio_close(int fd)
{
	if (!mn_shim_active())
		return false;
	if (mn_netpoll_is_ours(fd))
		return true;
	mn_netpoll_close(fd);
	return false;
}

void mn_netio_close_range(unsigned lo, unsigned hi)
{
	if (mn_shim_active())
		mn_netpoll_close_range(lo, hi);
}

int mn_netio_keep_ours(unsigned lo, unsigned hi, unsigned out[4][2])
{
	unsigned ours[3];
	int k = 0;
	/* The netpoller's three sit below 1,024 (mn_netpoll_highfd). */
	for (unsigned fd = lo; mn_shim_active() && fd <= hi && fd < 1024 && k < 3; fd++)
		if (mn_netpoll_is_ours((int)fd))
			ours[k++] = fd;
	int n = 0;
	unsigned from = lo;
	for (int i = 0; i < k; i++) {
		if (ours[i] > from)
			out[n][0] = from, out[n][1] = ours[i] - 1, n++;
		from = ours[i] + 1;
	}
	if (from <= hi)
		out[n][0] = from, out[n][1] = hi, n++;
	return n;
}

void mn_netio_pair(const int fds[2])
{
	if (mn_shim_active())
		mn_netpoll_pair(fds[0], fds[1]);
}

void mn_netio_new(int fd)
{
	if (fd >= 0)
		mn_netpoll_setkind(fd, MN_FD_UNKNOWN);
}
