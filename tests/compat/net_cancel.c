/* net_cancel: pthread_cancel ends a thread blocked on a pipe, a socket,
 * an eventfd or in poll/select/epoll_wait (issue 12: under mnthread such a
 * thread is a G parked in the netpoller, and the cancellation must end
 * that wait as the kernel's ends the blocking call).
 *
 * Proves, for each of read (pipe, socketpair, eventfd), readv, recv,
 * recvfrom, recvmsg, accept, accept4, write (full pipe), send (full
 * socketpair), sendmsg, poll, ppoll, select, pselect, epoll_wait and
 * epoll_pwait:
 *   - a thread blocked in the call (30 ms after it started) is cancelled:
 *     its cleanup handler runs and pthread_join gives PTHREAD_CANCELED;
 *   - the descriptor still works after: a new thread's read gets the
 *     byte written next (no wait is left behind on it).
 * And, for read on a pipe:
 *   - a cancellation already pending when the call starts acts at once;
 *   - with cancellation disabled the read is not ended; it returns the
 *     byte written later, and the request acts at the next
 *     pthread_testcancel once enabled again.
 *
 * Expects: exit 0, the same lines natively and under mnthread; each join
 * waits at most 10 s (pthread_timedjoin_np), and a watchdog (SIGALRM,
 * 60 s) prints "FAIL: watchdog: stuck in CALL".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "compat.h"

enum call {
	C_READ_PIPE, C_READ_SOCK, C_READ_EVENTFD, C_READV, C_RECV, C_RECVFROM, C_RECVMSG, C_ACCEPT, C_ACCEPT4,
	C_WRITE_PIPE, C_SEND, C_SENDMSG, C_POLL, C_PPOLL, C_SELECT, C_PSELECT, C_EPOLL_WAIT, C_EPOLL_PWAIT,
	C_COUNT
};
static const char *const names[C_COUNT] = {
	"read (pipe)", "read (socketpair)", "read (eventfd)", "readv (pipe)", "recv", "recvfrom", "recvmsg",
	"accept", "accept4", "write (full pipe)", "send (full socketpair)", "sendmsg (full socketpair)",
	"poll", "ppoll", "select", "pselect", "epoll_wait", "epoll_pwait",
};

struct target {
	enum call call;
	int fd;      /* the descriptor the call waits on */
	int ep;      /* C_EPOLL_*: the epoll set holding fd */
	atomic_int cleanup;
	atomic_int started;
	long result; /* if the call returned */
};

static char big[1 << 16];

static void on_cleanup(void *arg)
{
	atomic_store(&((struct target *)arg)->cleanup, 1);
}

static long make_call(struct target *t)
{
	char buf[16];
	struct iovec v = { buf, sizeof buf };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
	struct pollfd pf = { t->fd, POLLIN, 0 };
	fd_set r;
	FD_ZERO(&r);
	FD_SET(t->fd, &r);
	struct epoll_event ev;
	switch (t->call) {
	case C_READ_PIPE:
	case C_READ_SOCK:
	case C_READ_EVENTFD: return read(t->fd, buf, 8);
	case C_READV: return readv(t->fd, &v, 1);
	case C_RECV: return recv(t->fd, buf, sizeof buf, 0);
	case C_RECVFROM: return recvfrom(t->fd, buf, sizeof buf, 0, NULL, NULL);
	case C_RECVMSG: return recvmsg(t->fd, &m, 0);
	case C_ACCEPT: return accept(t->fd, NULL, NULL);
	case C_ACCEPT4: return accept4(t->fd, NULL, NULL, SOCK_CLOEXEC);
	case C_WRITE_PIPE: return write(t->fd, big, sizeof big);
	case C_SEND: return send(t->fd, big, sizeof big, 0);
	case C_SENDMSG: {
		struct iovec bv = { big, sizeof big };
		struct msghdr bm = { .msg_iov = &bv, .msg_iovlen = 1 };
		return sendmsg(t->fd, &bm, 0);
	}
	case C_POLL: return poll(&pf, 1, -1);
	case C_PPOLL: return ppoll(&pf, 1, NULL, NULL);
	case C_SELECT: return select(t->fd + 1, &r, NULL, NULL, NULL);
	case C_PSELECT: return pselect(t->fd + 1, &r, NULL, NULL, NULL, NULL);
	case C_EPOLL_WAIT: return epoll_wait(t->ep, &ev, 1, -1);
	case C_EPOLL_PWAIT: return epoll_pwait(t->ep, &ev, 1, -1, NULL);
	case C_COUNT: break;
	}
	return -2;
}

static void *target_main(void *arg)
{
	struct target *t = arg;
	pthread_cleanup_push(on_cleanup, t);
	atomic_store(&t->started, 1);
	t->result = make_call(t);
	pthread_cleanup_pop(0);
	return NULL;
}

/* Join with a time limit: "canceled", "returned N" (t's result, or the
 * thread's return value when t is NULL), or "not ended". */
static const char *join10(pthread_t th, struct target *t)
{
	static char buf[64];
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10;
	void *r;
	int e = pthread_timedjoin_np(th, &r, &dl);
	if (e == ETIMEDOUT)
		return "not ended in 10 s";
	if (e)
		return errname(e);
	if (r == PTHREAD_CANCELED)
		return "canceled";
	snprintf(buf, sizeof buf, "returned %ld", t ? t->result : (long)(intptr_t)r);
	return buf;
}

static int listener(void)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	must(l < 0 ? -1 : 0, "socket");
	must(bind(l, (struct sockaddr *)&sin, sizeof sin), "bind");
	must(listen(l, 4), "listen");
	return l;
}

static void fill(int fd, int sock)
{
	static char buf[4096];
	int fl = fcntl(fd, F_GETFL);
	must(fcntl(fd, F_SETFL, fl | O_NONBLOCK), "fcntl");
	while (write(fd, buf, sizeof buf) > 0)
		;
	if (sock)
		while (send(fd, buf, 1, MSG_DONTWAIT) == 1)
			;
	must(fcntl(fd, F_SETFL, fl), "fcntl");
}

/* After the cancel, the descriptor works: a byte written is read by a
 * new thread (or, for a listener, a client is accepted). */
static void *after_reader(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char c[8];
	return (void *)(intptr_t)read(fd, c, 8);
}

static void one(enum call c)
{
	int p[2] = { -1, -1 }; /* p[0]: where the call waits; p[1]: the other end */
	int ep = -1, efd = -1;
	struct target t = { .call = c };
	switch (c) {
	case C_READ_PIPE:
	case C_READV:
	case C_POLL:
	case C_PPOLL:
	case C_SELECT:
	case C_PSELECT:
	case C_EPOLL_WAIT:
	case C_EPOLL_PWAIT:
		must(pipe(p), "pipe");
		break;
	case C_WRITE_PIPE: {
		int q[2];
		must(pipe(q), "pipe");
		p[0] = q[1]; /* the call writes the write end */
		p[1] = q[0];
		fill(p[0], 0);
		break;
	}
	case C_SEND:
	case C_SENDMSG:
		must(socketpair(AF_UNIX, SOCK_STREAM, 0, p), "socketpair");
		fill(p[0], 1);
		break;
	case C_READ_EVENTFD:
		efd = eventfd(0, 0);
		p[0] = efd;
		break;
	case C_ACCEPT:
	case C_ACCEPT4:
		p[0] = listener();
		break;
	default:
		must(socketpair(AF_UNIX, SOCK_STREAM, 0, p), "socketpair");
	}
	t.fd = p[0];
	if (c == C_EPOLL_WAIT || c == C_EPOLL_PWAIT) {
		ep = epoll_create1(0);
		struct epoll_event e = { .events = EPOLLIN, .data.fd = p[0] };
		must(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e), "epoll_ctl");
		t.ep = ep;
	}
	pthread_t th = spawn(target_main, &t);
	while (!atomic_load(&t.started))
		sleep_ms(1);
	sleep_ms(30); /* in the call now */
	must(pthread_cancel(th), "pthread_cancel");
	const char *how = join10(th, &t);
	printf("%s: %s, cleanup ran: %s\n", names[c], how, atomic_load(&t.cleanup) ? "yes" : "no");
	if (strcmp(how, "not ended in 10 s") == 0) {
		printf("FAIL: %s: the cancelled thread is still blocked\n", names[c]);
		exit(1);
	}

	/* The descriptor after the cancel. */
	const char *after = "-";
	char afterbuf[64];
	if (c == C_ACCEPT || c == C_ACCEPT4) {
		struct sockaddr_in sin;
		socklen_t len = sizeof sin;
		must(getsockname(p[0], (struct sockaddr *)&sin, &len), "getsockname");
		int cs = socket(AF_INET, SOCK_STREAM, 0);
		must(connect(cs, (struct sockaddr *)&sin, sizeof sin), "connect");
		int a = accept(p[0], NULL, NULL);
		after = a >= 0 ? "a client accepted" : errname(errno);
		close(a);
		close(cs);
	} else if (c == C_WRITE_PIPE || c == C_SEND || c == C_SENDMSG) {
		/* Drain, then the blocked writer's end takes a write again. */
		static char buf[1 << 16];
		int fl = fcntl(p[1], F_GETFL);
		fcntl(p[1], F_SETFL, fl | O_NONBLOCK);
		while (read(p[1], buf, sizeof buf) > 0)
			;
		fcntl(p[1], F_SETFL, fl);
		snprintf(afterbuf, sizeof afterbuf, "a write of 1 byte: %ld", (long)write(p[0], "x", 1));
		after = afterbuf;
	} else {
		pthread_t r = spawn(after_reader, (void *)(intptr_t)p[0]);
		sleep_ms(20);
		if (c == C_READ_EVENTFD)
			must(eventfd_write(efd, 1), "eventfd_write");
		else
			must(write(p[1], "y", 1) == 1 ? 0 : -1, "write");
		const char *rj = join10(r, NULL);
		snprintf(afterbuf, sizeof afterbuf, "a new reader: %s", rj);
		after = afterbuf;
	}
	printf("%s: after the cancel, %s\n", names[c], after);
	if (ep >= 0)
		close(ep);
	close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
}

/* A request already pending when read starts: acts at once. */
static atomic_int go;
static void *pending_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	while (!atomic_load(&go))
		sleep_ms(1);
	char c;
	long r = read(fd, &c, 1);
	return (void *)(intptr_t)r;
}

/* Cancellation disabled: the read ends only with a byte; the request acts
 * at pthread_testcancel after enabling. */
static atomic_int stage;
static void *disabled_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	atomic_store(&stage, 1);
	char c;
	long r = read(fd, &c, 1);
	atomic_store(&stage, r == 1 ? 2 : 3);
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	pthread_testcancel();
	atomic_store(&stage, 4);
	return NULL;
}

static void *all(void *arg)
{
	(void)arg;
	for (int c = 0; c < C_COUNT; c++) {
		phase = names[c];
		one((enum call)c);
	}

	phase = "pending";
	int p[2];
	must(pipe(p), "pipe");
	pthread_t th = spawn(pending_main, (void *)(intptr_t)p[0]);
	must(pthread_cancel(th), "pthread_cancel");
	atomic_store(&go, 1);
	printf("read with a cancel pending at its start: %s\n", join10(th, NULL));

	phase = "disabled";
	th = spawn(disabled_main, (void *)(intptr_t)p[0]);
	while (atomic_load(&stage) == 0)
		sleep_ms(1);
	sleep_ms(30);
	must(pthread_cancel(th), "pthread_cancel");
	sleep_ms(30);
	printf("cancellation disabled: the read still waits after the cancel: %s\n",
	       atomic_load(&stage) == 1 ? "yes" : "no");
	must(write(p[1], "z", 1) == 1 ? 0 : -1, "write");
	const char *j = join10(th, NULL);
	printf("cancellation disabled: %s, the read returned its byte: %s, past testcancel: %s\n", j,
	       atomic_load(&stage) == 2 || atomic_load(&stage) == 4 ? "yes" : "no",
	       atomic_load(&stage) == 4 ? "yes" : "no");
	close(p[0]);
	close(p[1]);
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	alarm(60);
	pthread_t t = spawn(all, NULL);
	pthread_join(t, NULL);
	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
