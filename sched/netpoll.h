/* sched/netpoll.h: the netpoller (netpoll_epoll.c).
 *
 * A G that would block on a pollable descriptor (pipe, FIFO, socket,
 * eventfd, timerfd, signalfd, inotify, tty) parks here until the kernel
 * says the descriptor is ready, instead of holding its M in the kernel.
 * One epoll instance, edge-triggered, watches every descriptor a G has
 * waited on; the scheduler asks it for ready Gs (findrunnable, an idle M
 * blocking in epoll_wait until the next timer, sysmon every 10 ms).
 *
 * The contract with the callers (shims/netio.c), for one descriptor:
 *
 *	struct mn_pollreq rq = { fd, MN_POLL_IN };
 *	for (;;) {
 *		mn_netpoll_snap(&rq, 1);           // the event counts
 *		r = try the call without blocking;
 *		if (r != -EAGAIN) break;
 *		mn_netpoll_register(&rq, 1);       // once per descriptor
 *		r = mn_netpoll_wait(&rq, 1, deadline, cancellable);
 *		if (r) break;                      // time-out, cancel, closed
 *	}
 *
 * mn_netpoll_wait parks only if no readiness event arrived since the snap,
 * so an edge after the try is never lost: before the registration, epoll
 * reports a descriptor that is ready when it is added; after it, the edge
 * is queued.  A wake-up may be spurious (the caller tries again).
 * Descriptors are known by number: the program's close of a number
 * through our interposers forgets its registration.  A number closed
 * behind our back (a library's raw close system call) and reused stays
 * wrongly registered: TODO(issue 12) a check of long waits.
 */
#ifndef MN_NETPOLL_H
#define MN_NETPOLL_H
#include "runtime.h"

#define MN_POLL_IN 1u
#define MN_POLL_OUT 2u

/* What a descriptor is, cached per number (fstat on first use). */
enum {
	MN_FD_UNKNOWN = 0,
	MN_FD_FILE,    /* regular file, block device, directory: not pollable */
	MN_FD_SOCK,    /* socket: MSG_DONTWAIT tries */
	MN_FD_NOWAIT,  /* FIFO, anonymous inode: RWF_NOWAIT tries */
	MN_FD_POLLCHK, /* character device (tty): poll, then the blocking call */
};

struct mn_pollreq {
	int fd;
	uint32_t mode;     /* MN_POLL_IN | MN_POLL_OUT */
	uint32_t seq;      /* filled by mn_netpoll_snap */
};

/* The kind of fd (classifies it when unknown); MN_FD_FILE for numbers
 * outside the table.  Context: any. */
MN_HIDDEN int mn_netpoll_kind(int fd);
MN_HIDDEN void mn_netpoll_setkind(int fd, int kind);
/* Snapshot each fd's event counts (no system call).  Context: any. */
MN_HIDDEN void mn_netpoll_snap(struct mn_pollreq *rq, int n);
/* A word the callers keep per descriptor number, cleared with the kind
 * (0: nothing known); shims/netio.c keeps a socket's time-outs there. */
MN_HIDDEN uint32_t mn_netpoll_cache(int fd);
MN_HIDDEN void mn_netpoll_cache_set(int fd, uint32_t bits);
/* Register each fd (once).  Returns 0, or -EPERM when an fd cannot be
 * polled (a regular file: its kind becomes MN_FD_FILE), or another -errno
 * of epoll_ctl (-EBADF).  Context: a G. */
MN_HIDDEN int mn_netpoll_register(struct mn_pollreq *rq, int n);
/* Park until one of the fds had an event since its snap, the deadline
 * (CLOCK_MONOTONIC ns, -1 none) passes, pthread_cancel asks, or the fd is
 * closed.  Returns 0 (woken, or an event already came), -ETIMEDOUT,
 * -ECANCELED (a cancellation request, when cancellable: act on it),
 * -EBADF (closed by mn_netpoll_close).  Context: a G. */
MN_HIDDEN int mn_netpoll_wait(struct mn_pollreq *rq, int n, int64_t deadline, bool cancellable);
/* The program closes fd (or dup2s onto it): the Gs waiting on it wake
 * with -EBADF, and the registration goes.  Context: any. */
MN_HIDDEN void mn_netpoll_close(int fd);
/* The same for every number from lo to hi (close_range, closefrom). */
MN_HIDDEN void mn_netpoll_close_range(unsigned lo, unsigned hi);
/* pthread_cancel: end gp's netpoll wait, if it is in one. */
MN_HIDDEN bool mn_netpoll_cancel(struct g *gp);

/* Scheduler side.  True once a G has waited on a descriptor. */
MN_HIDDEN bool mn_netpoll_active(void);
/* Gs parked in netpoll waits now, plus one for the signal router: who
 * must block in the poll rather than on a note (a hint). */
MN_HIDDEN int mn_netpoll_waiters(void);
/* Gs parked in netpoll waits now, only: worth a poll that does not block
 * (a hint). */
MN_HIDDEN int mn_netpoll_fdwaiters(void);
/* Poll: until 0 does not block, < 0 blocks until an event, > 0 blocks
 * until that CLOCK_MONOTONIC deadline (ns) at most.  The Gs whose waits
 * ended come back in *list, linked through schedlink, still parked (the
 * caller readies them: mn_netpoll_inject).  Only one thread blocks at a
 * time: false, at once, if another does (or nobody ever waited). */
MN_HIDDEN bool mn_netpoll(int64_t until, struct g **list);
/* Queue a list from mn_netpoll (on the caller's P, or the global queue). */
MN_HIDDEN void mn_netpoll_inject(struct g *list);
/* a and b are the two ends of a pipe or socketpair the program made. */
MN_HIDDEN void mn_netpoll_pair(int a, int b);
/* The program wrote to fd: if fd is one end of a pair made here, the Gs
 * waiting to read the other end are readied at once (no epoll_wait);
 * returns whether fd has such a peer. */
MN_HIDDEN bool mn_netpoll_wrote(int fd);
/* After a write: poll without blocking, if anyone waits, and ready what
 * it found here (a reader of the pipe just written runs next). */
MN_HIDDEN void mn_netpoll_poke(void);
/* Wake a thread blocked in mn_netpoll (a timer due sooner than it sleeps). */
MN_HIDDEN void mn_netpoll_break(void);
/* A timer was added for `when`: break a poll that would sleep past it. */
MN_HIDDEN void mn_netpoll_timer_added(int64_t when);
/* A thread blocks in epoll_wait now (a hint). */
MN_HIDDEN bool mn_netpoll_blocked(void);
/* CLOCK_MONOTONIC ns of the last poll (0: never). */
MN_HIDDEN int64_t mn_netpoll_lastpoll(void);
/* Watch gsig.c's signalfd (a process-directed signal no thread could
 * take): the poll calls mn_gsig_route_pending when it is readable.
 * 0 or -errno.  Context: any, once. */
MN_HIDDEN int mn_netpoll_sigfd(int fd);
/* Move a descriptor of the runtime's own above those a program uses
 * (near 1,000, below FD_SETSIZE and the descriptor limit): fd's copy
 * there, fd closed; fd itself if there is no room. */
MN_HIDDEN int mn_netpoll_highfd(int fd);
/* fd is the netpoller's own epoll, eventfd or signalfd descriptor. */
MN_HIDDEN bool mn_netpoll_is_ours(int fd);
/* The child of fork: a new epoll instance on first use, no waiters. */
MN_HIDDEN void mn_netpoll_fork_child(void);
#endif
