/* shims/netio.h: calls on pollable descriptors as G-level waits
 * (shims/netio.c, on the netpoller of sched/netpoll.h).
 *
 * Each returns true when it served the call: *res holds what the call
 * returns, errno what it sets.  False: the caller makes the call as
 * before (between entersyscall and exitsyscall): the caller is not a G
 * free to park (main and other locked Gs keep the kernel's waits, whose
 * EINTR a signal handler on their own thread decides), the descriptor is
 * not pollable (regular files), the call will not wait (MSG_DONTWAIT),
 * or it has no way to be tried without waiting (accept, a tty: then the
 * descriptor was found ready first, so the call rarely waits). */
#ifndef MN_SHIMS_NETIO_H
#define MN_SHIMS_NETIO_H
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include "shims/shim.h"

MN_SHIM bool mn_netio_read(int fd, void *buf, size_t n, ssize_t *res);
MN_SHIM bool mn_netio_readv(int fd, const struct iovec *v, int n, ssize_t *res);
MN_SHIM bool mn_netio_write(int fd, const void *buf, size_t n, ssize_t *res);
MN_SHIM bool mn_netio_writev(int fd, const struct iovec *v, int n, ssize_t *res);
MN_SHIM bool mn_netio_recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *a, socklen_t *al,
			       ssize_t *res);
MN_SHIM bool mn_netio_recvmsg(int fd, struct msghdr *m, int flags, ssize_t *res);
MN_SHIM bool mn_netio_sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *a, socklen_t al,
			     ssize_t *res);
MN_SHIM bool mn_netio_sendmsg(int fd, const struct msghdr *m, int flags, ssize_t *res);
/* fd writable (out) or readable; then the caller makes the call
 * (sendfile into a socket or pipe).  -EAGAIN: the socket's time-out. */
MN_SHIM int mn_netio_wait_ready(int fd, bool out);
/* recvmmsg without a time-out, sendmmsg. */
MN_SHIM bool mn_netio_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags, int *res);
MN_SHIM bool mn_netio_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags, int *res);
/* connect on a blocking socket, the wait for the connection in the
 * netpoller. */
MN_SHIM bool mn_netio_connect(int fd, const struct sockaddr *a, socklen_t al, int *res);
/* splice (is_tee: true for tee) between pollable descriptors, without
 * offsets. */
MN_SHIM bool mn_netio_splice(int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t n, unsigned flags,
			     bool is_tee, ssize_t *res);
/* Waits until fd is readable (accept, accept4, a tty's read); then the
 * caller makes the call.  -EAGAIN: the socket's SO_RCVTIMEO passed first,
 * the call says EAGAIN; else 0. */
MN_SHIM int mn_netio_wait_readable(int fd);
/* G-level poll/select/epoll_wait.  deadline: CLOCK_MONOTONIC ns, -1 none. */
MN_SHIM bool mn_netio_poll(struct pollfd *fds, nfds_t n, int64_t deadline, int *res);
MN_SHIM bool mn_netio_select(int n, fd_set *r, fd_set *w, fd_set *e, int64_t deadline, int *res);
MN_SHIM bool mn_netio_epoll_wait(int epfd, struct epoll_event *ev, int n, int64_t deadline, int *res);
/* The program closes fd, or makes it a copy of another (dup2, dup3):
 * waits on it end (they see EBADF, as a call on a closed descriptor
 * does).  True if fd is the netpoller's own (close says 0, touches
 * nothing). */
MN_SHIM bool mn_netio_close(int fd);
/* The same for lo..hi (close_range without CLOSE_RANGE_CLOEXEC, closefrom). */
MN_SHIM void mn_netio_close_range(unsigned lo, unsigned hi);
/* Split [lo, hi] around the runtime's own descriptors (the netpoller's,
 * which a program closing "everything" must not take): up to 4 ranges
 * in out, their number returned. */
MN_SHIM int mn_netio_keep_ours(unsigned lo, unsigned hi, unsigned out[4][2]);
/* The program set a socket option (a time-out is looked up again). */
MN_SHIM void mn_netio_sockopt(int fd, int level, int opt);
/* A pipe or socketpair was made: a write to one end readies the readers
 * of the other at once. */
MN_SHIM void mn_netio_pair(const int fds[2]);
/* fd is new (open, socket, accept): forget what the number was. */
MN_SHIM void mn_netio_new(int fd);
#endif
