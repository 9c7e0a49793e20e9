/* net_poll_semantics: poll, ppoll, select, pselect and epoll_wait give
 * exactly the native results (issue 12: under mnthread a thread other than
 * main waits in them as a G parked in the netpoller).
 *
 * Every case runs in a thread of its own (not main: main keeps the
 * kernel's blocking calls), and the cases marked so run again from main:
 *   - time-outs: 0, 20 ms (at least that long, nothing ready), and none
 *     (-1 / NULL) with a thread that makes the descriptor ready 30 ms later;
 *   - readiness of pipes and socketpairs for reading and writing (a full
 *     pipe is not writable until a thread drains it);
 *   - POLLHUP when the other end is closed, before and during the wait;
 *     POLLNVAL for a closed descriptor, negative fds ignored, events 0;
 *   - POLLIN on a listening socket when a client connects;
 *   - two threads polling one pipe both wake; two readers of one pipe get
 *     one byte each; a poll of 100 pipes (more than fit on the stack);
 *   - select's fd sets (only the ready bits stay), EBADF for a closed fd,
 *     its timeval after the call (<= what was passed; 0 after a time-out),
 *     nfds 0 as a sleep; pselect with a NULL mask;
 *   - epoll sets the program owns: level-triggered (a second epoll_wait
 *     without reading returns 1 again), EPOLLET (it returns 0; a new write
 *     is a new edge), EPOLLONESHOT (0 until EPOLL_CTL_MOD), a wait for a
 *     late writer, epoll_pwait and epoll_pwait2 with a NULL mask;
 *   - eventfd and timerfd readiness, and reads that wait for them;
 *   - poll(NULL, 0, 30) as a sleep.
 * Nothing checks how long a wait took except that a time-out is never
 * shorter than asked.
 *
 * Expects: exit 0, the same lines natively and under mnthread; a watchdog
 * (SIGALRM, 60 s) prints "FAIL: watchdog: stuck in CASE" if a wait hangs.
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
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "compat.h"

static const char *who = "thread"; /* "thread" or "main": the line prefix */

static void line(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(const char *what, const char *fmt, ...)
{
	va_list ap;
	printf("%s: %s: ", who, what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* A call's result with errno by name: "3", "-1 EBADF". */
static const char *res(long r)
{
	static char buf[64];
	if (r < 0)
		snprintf(buf, sizeof buf, "%ld %s", r, errname(errno));
	else
		snprintf(buf, sizeof buf, "%ld", r);
	return buf;
}

static const char *revents(short re)
{
	static char buf[128];
	static const struct { short bit; const char *name; } names[] = {
		{ POLLIN, "IN" }, { POLLPRI, "PRI" }, { POLLOUT, "OUT" }, { POLLRDHUP, "RDHUP" },
		{ POLLERR, "ERR" }, { POLLHUP, "HUP" }, { POLLNVAL, "NVAL" },
	};
	buf[0] = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (re & names[i].bit) {
			if (buf[0])
				strcat(buf, "|");
			strcat(buf, names[i].name);
		}
	re &= ~(POLLIN | POLLPRI | POLLOUT | POLLRDHUP | POLLERR | POLLHUP | POLLNVAL | POLLRDNORM | POLLWRNORM);
	if (re)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s0x%x", buf[0] ? "|" : "", re);
	return buf[0] ? buf : "0";
}

/* The call first, then what it left in revents. */
#define SHOWP(what, call, re)                                                  \
	do {                                                                   \
		long r_ = (call);                                              \
		line(what, "%s revents %s", res(r_), revents(re));             \
	} while (0)

static const char *epevents(uint32_t ev)
{
	static char buf[128];
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ EPOLLIN, "IN" }, { EPOLLOUT, "OUT" }, { EPOLLRDHUP, "RDHUP" },
		{ EPOLLERR, "ERR" }, { EPOLLHUP, "HUP" },
	};
	buf[0] = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (ev & names[i].bit) {
			if (buf[0])
				strcat(buf, "|");
			strcat(buf, names[i].name);
		}
	return buf[0] ? buf : "0";
}

/* poll with a time-out that, when it ends the call, was at least waited. */
static int timed_poll(struct pollfd *p, nfds_t n, int ms, const char *what)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = poll(p, n, ms);
	if (r == 0 && ms > 0 && elapsed_ms(&t0) < ms) {
		printf("FAIL: %s: %s: poll returned 0 after %ld ms, before its %d ms time-out\n", who, what,
		       elapsed_ms(&t0), ms);
		failures++;
	}
	return r;
}

/* ---------------------------------------------------------------- helpers */

/* Something done by another thread after a delay. */
enum act { ACT_WRITE, ACT_CLOSE, ACT_DRAIN, ACT_CONNECT, ACT_EVENTFD };
struct later {
	pthread_t t;
	enum act act;
	int fd;
	int ms;
	struct sockaddr_in sin; /* ACT_CONNECT */
	int result;             /* ACT_CONNECT: the connected socket */
};

static void *later_main(void *arg)
{
	struct later *l = arg;
	sleep_ms(l->ms);
	switch (l->act) {
	case ACT_WRITE:
		if (write(l->fd, "w", 1) != 1)
			printf("FAIL: later: write: %s\n", errname(errno));
		break;
	case ACT_CLOSE:
		close(l->fd);
		break;
	case ACT_DRAIN: {
		static char buf[65536];
		if (read(l->fd, buf, sizeof buf) <= 0)
			printf("FAIL: later: drain: %s\n", errname(errno));
		break;
	}
	case ACT_CONNECT: {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0 || connect(s, (struct sockaddr *)&l->sin, sizeof l->sin) != 0)
			printf("FAIL: later: connect: %s\n", errname(errno));
		l->result = s;
		break;
	}
	case ACT_EVENTFD: {
		uint64_t v = 5;
		if (write(l->fd, &v, sizeof v) != sizeof v)
			printf("FAIL: later: eventfd write: %s\n", errname(errno));
		break;
	}
	}
	return NULL;
}

static struct later *later_to(enum act act, int fd, int ms, const struct sockaddr_in *sin)
{
	struct later *l = calloc(1, sizeof *l);
	l->act = act;
	l->fd = fd;
	l->ms = ms;
	if (sin)
		l->sin = *sin;
	must(pthread_create(&l->t, NULL, later_main, l), "pthread_create");
	return l;
}
static struct later *later(enum act act, int fd, int ms) { return later_to(act, fd, ms, NULL); }

static int later_done(struct later *l)
{
	pthread_join(l->t, NULL);
	int r = l->result;
	free(l);
	return r;
}

static void mkpipe(int p[2]) { must(pipe(p), "pipe"); }
static void mkpair(int s[2]) { must(socketpair(AF_UNIX, SOCK_STREAM, 0, s), "socketpair"); }
static void close2(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/* Fill a pipe: O_NONBLOCK for the filling only, then as it was. */
static long fill_pipe(int fd)
{
	static char buf[4096];
	long total = 0;
	int fl = fcntl(fd, F_GETFL);
	must(fcntl(fd, F_SETFL, fl | O_NONBLOCK), "fcntl");
	for (;;) {
		ssize_t w = write(fd, buf, sizeof buf);
		if (w <= 0)
			break;
		total += w;
	}
	must(fcntl(fd, F_SETFL, fl), "fcntl");
	return total;
}

/* ---------------------------------------------------------------- poll */

static void poll_timeouts(void)
{
	int p[2];
	mkpipe(p);
	struct pollfd pf = { p[0], POLLIN, 0 };
	SHOWP("poll, time-out 0, empty pipe", timed_poll(&pf, 1, 0, "t0"), pf.revents);
	pf.revents = 0x7fff & ~POLLIN; /* poll must clear it */
	SHOWP("poll, time-out 20 ms, empty pipe", timed_poll(&pf, 1, 20, "t20"), pf.revents);
	struct later *l = later(ACT_WRITE, p[1], 30);
	SHOWP("poll, no time-out, a write 30 ms later", poll(&pf, 1, -1), pf.revents);
	later_done(l);
	SHOWP("poll, time-out 0, a byte there", poll(&pf, 1, 0), pf.revents);
	close2(p);
}

static void poll_readiness(void)
{
	int p[2], s[2];
	mkpipe(p);
	mkpair(s);
	struct pollfd pf[4] = {
		{ p[0], POLLIN | POLLOUT, 0 }, { p[1], POLLIN | POLLOUT, 0 },
		{ s[0], POLLIN | POLLOUT, 0 }, { s[1], POLLIN | POLLOUT, 0 },
	};
	line("poll, pipe ends and socketpair, nothing written", "%s", res(poll(pf, 4, 20)));
	for (int i = 0; i < 4; i++)
		line("  revents", "[%d] %s", i, revents(pf[i].revents));
	must(write(s[1], "ab", 2) == 2 ? 0 : -1, "write");
	line("poll, socketpair with 2 bytes to read", "%s", res(poll(pf, 4, -1)));
	for (int i = 0; i < 4; i++)
		line("  revents", "[%d] %s", i, revents(pf[i].revents));

	/* A full pipe is not writable until a reader drains it. */
	long filled = fill_pipe(p[1]);
	line("pipe filled", "%s", filled > 0 ? "yes" : "no");
	struct pollfd wf = { p[1], POLLOUT, 0 };
	SHOWP("poll POLLOUT, full pipe, 20 ms", timed_poll(&wf, 1, 20, "full"), wf.revents);
	struct later *l = later(ACT_DRAIN, p[0], 30);
	SHOWP("poll POLLOUT, full pipe, drained 30 ms later", poll(&wf, 1, -1), wf.revents);
	later_done(l);
	close2(p);
	close2(s);
}

static void poll_hup_nval(void)
{
	int p[2], s[2];
	mkpipe(p);
	close(p[1]);
	struct pollfd pf = { p[0], POLLIN, 0 };
	SHOWP("poll, pipe whose writer is closed", poll(&pf, 1, -1), pf.revents);
	close(p[0]);

	mkpipe(p);
	must(write(p[1], "x", 1) == 1 ? 0 : -1, "write");
	close(p[1]);
	pf.fd = p[0];
	SHOWP("poll, pipe with a byte, writer closed", poll(&pf, 1, -1), pf.revents);
	close(p[0]);

	mkpipe(p);
	pf.fd = p[0];
	struct later *l = later(ACT_CLOSE, p[1], 30);
	SHOWP("poll, no time-out, writer closed 30 ms later", poll(&pf, 1, -1), pf.revents);
	later_done(l);
	close(p[0]);

	mkpipe(p);
	close(p[0]);
	pf = (struct pollfd){ p[1], POLLOUT, 0 };
	SHOWP("poll POLLOUT, pipe whose reader is closed", poll(&pf, 1, -1), pf.revents);
	close(p[1]);

	mkpair(s);
	pf = (struct pollfd){ s[0], POLLIN | POLLRDHUP, 0 };
	l = later(ACT_CLOSE, s[1], 30);
	SHOWP("poll POLLIN|POLLRDHUP, socketpair, peer closed 30 ms later", poll(&pf, 1, -1), pf.revents);
	later_done(l);
	close(s[0]);

	/* A closed number: POLLNVAL, and the call does not wait. */
	mkpipe(p);
	int dead = p[0];
	close(dead);
	struct pollfd two[3] = { { p[1], POLLIN, 0 }, { dead, POLLIN, 0 }, { -1, POLLIN, 0 } };
	two[2].revents = POLLIN;
	line("poll, no time-out, a closed fd among them", "%s", res(poll(two, 3, -1)));
	for (int i = 0; i < 3; i++)
		line("  revents", "[%d] %s", i, revents(two[i].revents));
	close(p[1]);

	/* events 0: only hang-ups and errors are reported. */
	mkpipe(p);
	must(write(p[1], "x", 1) == 1 ? 0 : -1, "write");
	pf = (struct pollfd){ p[0], 0, 0 };
	SHOWP("poll, events 0, a byte there, 20 ms", timed_poll(&pf, 1, 20, "ev0"), pf.revents);
	l = later(ACT_CLOSE, p[1], 30);
	SHOWP("poll, events 0, writer closed 30 ms later", poll(&pf, 1, -1), pf.revents);
	later_done(l);
	close(p[0]);

	/* Only negative fds: a sleep. */
	struct pollfd neg = { -1, POLLIN, 0 };
	SHOWP("poll, one negative fd, 20 ms", timed_poll(&neg, 1, 20, "neg"), neg.revents);
}

static int listener(struct sockaddr_in *sin)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	must(l < 0 ? -1 : 0, "socket");
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	must(bind(l, (struct sockaddr *)sin, sizeof *sin), "bind");
	socklen_t len = sizeof *sin;
	must(getsockname(l, (struct sockaddr *)sin, &len), "getsockname");
	must(listen(l, 16), "listen");
	return l;
}

static void poll_listen(void)
{
	struct sockaddr_in sin;
	int l = listener(&sin);
	struct pollfd pf = { l, POLLIN, 0 };
	SHOWP("poll, listening socket, nobody connects, 20 ms", timed_poll(&pf, 1, 20, "lis"), pf.revents);
	struct later *c = later_to(ACT_CONNECT, -1, 30, &sin);
	SHOWP("poll, listening socket, a client 30 ms later", poll(&pf, 1, -1), pf.revents);
	int a = accept(l, NULL, NULL);
	line("accept", "%s", a >= 0 ? "a socket" : res(a));
	int cs = later_done(c);
	pf = (struct pollfd){ a, POLLIN | POLLOUT, 0 };
	SHOWP("poll, accepted socket", poll(&pf, 1, -1), pf.revents);
	close(cs);
	pf.events = POLLIN;
	SHOWP("poll, accepted socket, client closed", poll(&pf, 1, -1), pf.revents);
	close(a);
	close(l);
}

/* Two threads poll one pipe: one write wakes both. */
static int shared_pipe[2];
static void *poll_one(void *arg)
{
	(void)arg;
	struct pollfd pf = { shared_pipe[0], POLLIN, 0 };
	int r = poll(&pf, 1, -1);
	return (void *)(intptr_t)(r == 1 && pf.revents == POLLIN);
}
static void *read_one(void *arg)
{
	(void)arg;
	char c;
	return (void *)(intptr_t)read(shared_pipe[0], &c, 1);
}

static void poll_shared(void)
{
	mkpipe(shared_pipe);
	pthread_t a = spawn(poll_one, NULL), b = spawn(poll_one, NULL);
	sleep_ms(20);
	must(write(shared_pipe[1], "x", 1) == 1 ? 0 : -1, "write");
	void *ra, *rb;
	pthread_join(a, &ra);
	pthread_join(b, &rb);
	line("two threads poll one pipe, one write", "%ld and %ld woke with POLLIN", (long)(intptr_t)ra,
	     (long)(intptr_t)rb);
	char c;
	must(read(shared_pipe[0], &c, 1) == 1 ? 0 : -1, "read");

	a = spawn(read_one, NULL);
	b = spawn(read_one, NULL);
	sleep_ms(20);
	must(write(shared_pipe[1], "x", 1) == 1 ? 0 : -1, "write");
	sleep_ms(20);
	must(write(shared_pipe[1], "y", 1) == 1 ? 0 : -1, "write");
	pthread_join(a, &ra);
	pthread_join(b, &rb);
	line("two threads read one pipe, two writes", "%ld + %ld bytes", (long)(intptr_t)ra, (long)(intptr_t)rb);
	close2(shared_pipe);
}

#define MANY 100
static void poll_many(void)
{
	int p[MANY][2];
	struct pollfd pf[MANY];
	for (int i = 0; i < MANY; i++) {
		mkpipe(p[i]);
		pf[i] = (struct pollfd){ p[i][0], POLLIN, 0 };
	}
	line("poll, 100 empty pipes, 20 ms", "%s", res(timed_poll(pf, MANY, 20, "many")));
	struct later *l = later(ACT_WRITE, p[77][1], 30);
	int r = poll(pf, MANY, -1);
	int which = -1, n = 0;
	for (int i = 0; i < MANY; i++)
		if (pf[i].revents) {
			which = i;
			n++;
		}
	line("poll, 100 pipes, pipe 77 written 30 ms later", "%s, %d with revents, [%d] %s", res(r), n, which,
	     which >= 0 ? revents(pf[which].revents) : "-");
	later_done(l);

	/* select over the same descriptors (above 64: the heap path). */
	fd_set rs;
	FD_ZERO(&rs);
	int maxfd = 0;
	for (int i = 0; i < MANY; i++) {
		FD_SET(p[i][0], &rs);
		if (p[i][0] > maxfd)
			maxfd = p[i][0];
	}
	r = select(maxfd + 1, &rs, NULL, NULL, NULL);
	n = 0;
	which = -1;
	for (int i = 0; i < MANY; i++)
		if (FD_ISSET(p[i][0], &rs)) {
			which = i;
			n++;
		}
	line("select, 100 pipes, pipe 77 has a byte", "%s, %d set, [%d]", res(r), n, which);
	for (int i = 0; i < MANY; i++)
		close2(p[i]);
}

static void ppoll_cases(void)
{
	int p[2];
	mkpipe(p);
	struct pollfd pf = { p[0], POLLIN, 0 };
	struct timespec zero = { 0, 0 }, t20 = { 0, 20000000 };
	struct timespec t0;
	line("ppoll, time-out 0, NULL mask", "%s", res(ppoll(&pf, 1, &zero, NULL)));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = ppoll(&pf, 1, &t20, NULL);
	if (r == 0 && elapsed_ms(&t0) < 20) {
		printf("FAIL: ppoll: returned 0 before its time-out\n");
		failures++;
	}
	SHOWP("ppoll, time-out 20 ms, NULL mask", r, pf.revents);
	line("ppoll's time-out left as passed", "%s", t20.tv_sec == 0 && t20.tv_nsec == 20000000 ? "yes" : "no");
	struct later *l = later(ACT_WRITE, p[1], 30);
	SHOWP("ppoll, no time-out, NULL mask, a write 30 ms later", ppoll(&pf, 1, NULL, NULL), pf.revents);
	later_done(l);
	/* An empty mask is a mask (the kernel's call). */
	sigset_t none;
	sigemptyset(&none);
	SHOWP("ppoll, an empty mask, a byte there", ppoll(&pf, 1, NULL, &none), pf.revents);
	close2(p);
}

/* ---------------------------------------------------------------- select */

static const char *tvsum(const struct timeval *tv, const struct timeval *orig)
{
	if (tv->tv_sec == 0 && tv->tv_usec == 0)
		return "zero";
	if (tv->tv_sec < orig->tv_sec || (tv->tv_sec == orig->tv_sec && tv->tv_usec <= orig->tv_usec))
		return "<= original";
	return "MORE than the original";
}

static void select_cases(void)
{
	int a[2], b[2], s[2];
	mkpipe(a);
	mkpipe(b);
	mkpair(s);
	fd_set r, w;
	struct timeval tv, orig;
	int n = (a[1] > b[1] ? a[1] : b[1]);
	n = (s[1] > n ? s[1] : n) + 1;

	FD_ZERO(&r);
	FD_SET(a[0], &r);
	FD_SET(b[0], &r);
	tv = orig = (struct timeval){ 0, 20000 };
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = select(n, &r, NULL, NULL, &tv);
	if (rc == 0 && elapsed_ms(&t0) < 20) {
		printf("FAIL: select: returned 0 before its time-out\n");
		failures++;
	}
	line("select, two empty pipes, 20 ms", "%s, a %d b %d, timeval %s", res(rc), FD_ISSET(a[0], &r),
	     FD_ISSET(b[0], &r), tvsum(&tv, &orig));

	must(write(b[1], "x", 1) == 1 ? 0 : -1, "write");
	FD_ZERO(&r);
	FD_SET(a[0], &r);
	FD_SET(b[0], &r);
	tv = orig = (struct timeval){ 5, 0 };
	rc = select(n, &r, NULL, NULL, &tv);
	line("select, pipe b has a byte, 5 s", "%s, a %d b %d, timeval %s", res(rc), FD_ISSET(a[0], &r),
	     FD_ISSET(b[0], &r), tvsum(&tv, &orig));

	FD_ZERO(&r);
	FD_SET(a[0], &r);
	struct later *l = later(ACT_WRITE, a[1], 30);
	tv = orig = (struct timeval){ 10, 0 };
	rc = select(n, &r, NULL, NULL, &tv);
	line("select, pipe a written 30 ms later, 10 s", "%s, a %d, timeval %s", res(rc), FD_ISSET(a[0], &r),
	     tvsum(&tv, &orig));
	later_done(l);

	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(s[0], &r);
	FD_SET(s[0], &w);
	FD_SET(a[0], &r);
	FD_SET(a[1], &w);
	rc = select(n, &r, &w, NULL, NULL);
	line("select, read and write sets", "%s, r: s %d a %d; w: s %d a %d", res(rc), FD_ISSET(s[0], &r),
	     FD_ISSET(a[0], &r), FD_ISSET(s[0], &w), FD_ISSET(a[1], &w));

	/* A closed descriptor in a set: EBADF at once. */
	int dead[2];
	mkpipe(dead);
	close(dead[0]);
	FD_ZERO(&r);
	FD_SET(dead[0], &r);
	FD_SET(s[0], &r);
	rc = select((dead[0] > n ? dead[0] : n) + 1, &r, NULL, NULL, NULL);
	line("select, no time-out, a closed fd in the set", "%s", res(rc));
	close(dead[1]);

	/* nfds 0: a sleep. */
	tv = orig = (struct timeval){ 0, 20000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = select(0, NULL, NULL, NULL, &tv);
	if (elapsed_ms(&t0) < 20) {
		printf("FAIL: select(0, ...) slept less than its time-out\n");
		failures++;
	}
	line("select(0, NULL, NULL, NULL, 20 ms)", "%s, timeval %s", res(rc), tvsum(&tv, &orig));

	/* The other end of the socketpair closes while select waits. */
	FD_ZERO(&r);
	FD_SET(s[0], &r);
	char buf[4];
	while (recv(s[0], buf, sizeof buf, MSG_DONTWAIT) > 0)
		;
	l = later(ACT_CLOSE, s[1], 30);
	rc = select(n, &r, NULL, NULL, NULL);
	line("select, socketpair peer closed 30 ms later", "%s, s %d", res(rc), FD_ISSET(s[0], &r));
	later_done(l);
	line("recv after the peer closed", "%s", res(recv(s[0], buf, sizeof buf, 0)));

	/* pselect: NULL mask, time-outs 0, 20 ms, none. */
	struct timespec z = { 0, 0 }, t20 = { 0, 20000000 };
	FD_ZERO(&r);
	FD_SET(b[0], &r);
	char c;
	must(read(b[0], &c, 1) == 1 ? 0 : -1, "read");
	line("pselect, time-out 0, empty pipe", "%s", res(pselect(n, &r, NULL, NULL, &z, NULL)));
	FD_SET(b[0], &r);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = pselect(n, &r, NULL, NULL, &t20, NULL);
	if (rc == 0 && elapsed_ms(&t0) < 20) {
		printf("FAIL: pselect: returned 0 before its time-out\n");
		failures++;
	}
	line("pselect, time-out 20 ms, empty pipe", "%s, b %d", res(rc), FD_ISSET(b[0], &r));
	FD_SET(b[0], &r);
	l = later(ACT_WRITE, b[1], 30);
	rc = pselect(n, &r, NULL, NULL, NULL, NULL);
	line("pselect, no time-out, a write 30 ms later", "%s, b %d", res(rc), FD_ISSET(b[0], &r));
	later_done(l);

	close2(a);
	close2(b);
	close(s[0]);
}

/* ---------------------------------------------------------------- epoll */

static int ep_wait(int ep, int ms, const char *what)
{
	struct epoll_event ev[4];
	memset(ev, 0, sizeof ev);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = epoll_wait(ep, ev, 4, ms);
	if (r == 0 && ms > 0 && elapsed_ms(&t0) < ms) {
		printf("FAIL: %s: epoll_wait returned 0 before its time-out\n", what);
		failures++;
	}
	if (r > 0) {
		char buf[256] = "";
		for (int i = 0; i < r; i++)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " [%llu %s]",
				 (unsigned long long)ev[i].data.u64, epevents(ev[i].events));
		line(what, "%s%s", res(r), buf);
	} else {
		line(what, "%s", res(r));
	}
	return r;
}

static void epoll_cases(void)
{
	int lt[2], et[2], os[2];
	mkpipe(lt);
	mkpipe(et);
	mkpipe(os);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	must(ep < 0 ? -1 : 0, "epoll_create1");
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = 1 };
	must(epoll_ctl(ep, EPOLL_CTL_ADD, lt[0], &e), "epoll_ctl");
	e = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = 2 };
	must(epoll_ctl(ep, EPOLL_CTL_ADD, et[0], &e), "epoll_ctl");
	e = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 3 };
	must(epoll_ctl(ep, EPOLL_CTL_ADD, os[0], &e), "epoll_ctl");

	ep_wait(ep, 0, "epoll_wait, time-out 0, nothing ready");
	ep_wait(ep, 20, "epoll_wait, time-out 20 ms, nothing ready");

	/* Level-triggered: ready again and again until read. */
	must(write(lt[1], "x", 1) == 1 ? 0 : -1, "write");
	ep_wait(ep, -1, "LT: epoll_wait, a byte there");
	ep_wait(ep, 20, "LT: second epoll_wait, not read");
	char c;
	must(read(lt[0], &c, 1) == 1 ? 0 : -1, "read");
	ep_wait(ep, 20, "LT: after the read");

	/* Edge-triggered: once per write. */
	must(write(et[1], "x", 1) == 1 ? 0 : -1, "write");
	ep_wait(ep, -1, "ET: epoll_wait, a byte there");
	ep_wait(ep, 20, "ET: second epoll_wait, not read");
	must(write(et[1], "y", 1) == 1 ? 0 : -1, "write");
	ep_wait(ep, -1, "ET: after a second write");
	char two[2];
	must(read(et[0], two, 2) == 2 ? 0 : -1, "read");

	/* One-shot: disarmed after one event, until EPOLL_CTL_MOD. */
	must(write(os[1], "x", 1) == 1 ? 0 : -1, "write");
	ep_wait(ep, -1, "ONESHOT: epoll_wait, a byte there");
	ep_wait(ep, 20, "ONESHOT: second epoll_wait");
	e = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 3 };
	must(epoll_ctl(ep, EPOLL_CTL_MOD, os[0], &e), "epoll_ctl");
	ep_wait(ep, -1, "ONESHOT: after EPOLL_CTL_MOD");
	must(read(os[0], &c, 1) == 1 ? 0 : -1, "read");

	/* A wait that a late write ends (each kind). */
	struct later *l = later(ACT_WRITE, lt[1], 30);
	ep_wait(ep, -1, "LT: no time-out, a write 30 ms later");
	later_done(l);
	must(read(lt[0], &c, 1) == 1 ? 0 : -1, "read");
	l = later(ACT_WRITE, et[1], 30);
	ep_wait(ep, 10000, "ET: 10 s time-out, a write 30 ms later");
	later_done(l);
	must(read(et[0], &c, 1) == 1 ? 0 : -1, "read");

	/* A hang-up in an epoll set. */
	l = later(ACT_CLOSE, lt[1], 30);
	ep_wait(ep, -1, "LT: writer closed 30 ms later");
	later_done(l);
	must(epoll_ctl(ep, EPOLL_CTL_DEL, lt[0], NULL), "epoll_ctl");

	/* epoll_pwait and epoll_pwait2 with a NULL mask. */
	struct epoll_event ev[2];
	line("epoll_pwait, time-out 20 ms, NULL mask", "%s", res(epoll_pwait(ep, ev, 2, 20, NULL)));
	l = later(ACT_WRITE, et[1], 30);
	int r = epoll_pwait(ep, ev, 2, -1, NULL);
	line("epoll_pwait, no time-out, a write 30 ms later", "%s [%llu %s]", res(r),
	     r > 0 ? (unsigned long long)ev[0].data.u64 : 0ull, r > 0 ? epevents(ev[0].events) : "-");
	later_done(l);
	must(read(et[0], &c, 1) == 1 ? 0 : -1, "read");
	struct timespec t20 = { 0, 20000000 };
	errno = 0;
	r = epoll_pwait2(ep, ev, 2, &t20, NULL);
	if (r < 0 && errno == ENOSYS) {
		line("epoll_pwait2, time-out 20 ms, NULL mask", "0"); /* an old kernel: as if */
		line("epoll_pwait2, no time-out, a write 30 ms later", "1 [2 IN]");
	} else {
		line("epoll_pwait2, time-out 20 ms, NULL mask", "%s", res(r));
		l = later(ACT_WRITE, et[1], 30);
		r = epoll_pwait2(ep, ev, 2, NULL, NULL);
		line("epoll_pwait2, no time-out, a write 30 ms later", "%s [%llu %s]", res(r),
		     r > 0 ? (unsigned long long)ev[0].data.u64 : 0ull, r > 0 ? epevents(ev[0].events) : "-");
		later_done(l);
		must(read(et[0], &c, 1) == 1 ? 0 : -1, "read");
	}

	/* An epoll set inside poll. */
	struct pollfd pf = { ep, POLLIN, 0 };
	line("poll on the epoll fd, nothing ready, 20 ms", "%s", res(timed_poll(&pf, 1, 20, "poll ep")));
	l = later(ACT_WRITE, et[1], 30);
	SHOWP("poll on the epoll fd, a write 30 ms later", poll(&pf, 1, -1), pf.revents);
	later_done(l);

	close(ep);
	close(lt[0]);
	close2(et);
	close2(os);
}

/* ---------------------------------------------------------------- eventfd, timerfd */

static void eventfd_timerfd(void)
{
	int efd = eventfd(0, 0);
	must(efd < 0 ? -1 : 0, "eventfd");
	struct pollfd pf = { efd, POLLIN | POLLOUT, 0 };
	SHOWP("poll, eventfd at 0", poll(&pf, 1, 20), pf.revents);
	uint64_t v = 3;
	must(write(efd, &v, sizeof v) == sizeof v ? 0 : -1, "write");
	SHOWP("poll, eventfd at 3", poll(&pf, 1, -1), pf.revents);
	v = 0;
	long r = read(efd, &v, sizeof v);
	line("read eventfd", "%s value %llu", res(r), (unsigned long long)v);
	struct later *l = later(ACT_EVENTFD, efd, 30);
	v = 0;
	r = read(efd, &v, sizeof v);
	line("read eventfd, written 30 ms later", "%s value %llu", res(r), (unsigned long long)v);
	later_done(l);
	close(efd);

	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	must(tfd < 0 ? -1 : 0, "timerfd_create");
	pf = (struct pollfd){ tfd, POLLIN, 0 };
	SHOWP("poll, timerfd disarmed, 20 ms", timed_poll(&pf, 1, 20, "tfd"), pf.revents);
	struct itimerspec its = { .it_value = { 0, 30000000 } };
	must(timerfd_settime(tfd, 0, &its, NULL), "timerfd_settime");
	SHOWP("poll, timerfd due in 30 ms", poll(&pf, 1, -1), pf.revents);
	uint64_t exp = 0;
	r = read(tfd, &exp, sizeof exp);
	line("read timerfd", "%s expirations %llu", res(r), (unsigned long long)exp);
	must(timerfd_settime(tfd, 0, &its, NULL), "timerfd_settime");
	exp = 0;
	r = read(tfd, &exp, sizeof exp);
	line("read timerfd, due in 30 ms", "%s expirations %llu", res(r), (unsigned long long)exp);
	close(tfd);
}

static void poll_sleep(void)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = poll(NULL, 0, 30);
	long ms = elapsed_ms(&t0);
	line("poll(NULL, 0, 30)", "%s, slept at least 30 ms: %s", res(r), ms >= 30 ? "yes" : "no");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct timespec t30 = { 0, 30000000 };
	r = ppoll(NULL, 0, &t30, NULL);
	ms = elapsed_ms(&t0);
	line("ppoll(NULL, 0, 30 ms, NULL)", "%s, slept at least 30 ms: %s", res(r), ms >= 30 ? "yes" : "no");
	line("poll(NULL, 0, 0)", "%s", res(poll(NULL, 0, 0)));
}

/* ---------------------------------------------------------------- driver */

struct tcase {
	const char *name;
	void (*fn)(void);
	int from_main; /* also run on main (the kernel's calls) */
};
static const struct tcase cases[] = {
	{ "poll time-outs", poll_timeouts, 1 },
	{ "poll readiness", poll_readiness, 1 },
	{ "poll hang-ups", poll_hup_nval, 1 },
	{ "poll listen", poll_listen, 1 },
	{ "poll shared", poll_shared, 0 },
	{ "poll many", poll_many, 0 },
	{ "ppoll", ppoll_cases, 1 },
	{ "select", select_cases, 1 },
	{ "epoll", epoll_cases, 1 },
	{ "eventfd timerfd", eventfd_timerfd, 1 },
	{ "poll sleep", poll_sleep, 1 },
};

static void *case_thread(void *arg)
{
	((const struct tcase *)arg)->fn();
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	alarm(60);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		phase = cases[i].name;
		who = "thread";
		pthread_t t = spawn(case_thread, (void *)&cases[i]);
		pthread_join(t, NULL);
	}
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (!cases[i].from_main)
			continue;
		phase = cases[i].name;
		who = "main";
		cases[i].fn();
	}
	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
