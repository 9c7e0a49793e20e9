/* net_nonblock: the program never sees O_NONBLOCK change, and its own
 * O_NONBLOCK, MSG_DONTWAIT, socket time-outs, shutdowns and hang-ups act
 * as natively (issue 12: under mnthread a thread other than main that
 * would block on a pipe or socket parks in the netpoller, trying its calls
 * with MSG_DONTWAIT or RWF_NOWAIT instead of setting O_NONBLOCK).
 *
 * Proves, from threads (and the first case from main too):
 *   - fcntl(F_GETFL) has no O_NONBLOCK on a pipe, a socketpair and an
 *     eventfd before a read that has to wait, while it waits (asked by
 *     another thread) and after it;
 *   - a program that made a descriptor non-blocking itself (fcntl,
 *     pipe2(O_NONBLOCK), socket(SOCK_NONBLOCK), socketpair(SOCK_NONBLOCK),
 *     ioctl(FIONBIO), accept4(SOCK_NONBLOCK)) gets EAGAIN at once from
 *     an empty read and a full write, a short count from a write larger
 *     than the room left, and blocking again once it clears the flag;
 *   - MSG_DONTWAIT on a blocking socket gets EAGAIN; MSG_WAITALL waits
 *     for every byte;
 *   - a pipe shared with a forked child: the child's read (from its main
 *     and from a thread) waits for the parent's later write; a child that
 *     execs head(1) on the pipe reads it as its blocking stdin;
 *   - SO_RCVTIMEO makes read and recv return -1 EAGAIN (not before the
 *     time-out), and data before it is returned; SO_SNDTIMEO on a full
 *     socket does the same for send;
 *   - a 1 MiB blocking write, writev and send return the full count while
 *     a reader thread drains slowly, every byte in order;
 *   - shutdown(SHUT_RD) of the reader's socket and shutdown(SHUT_WR) of
 *     the peer wake a reader blocked in another thread with 0; the peer's
 *     close wakes a reader of a socketpair or pipe with 0, and a writer
 *     blocked on a full socketpair or pipe with EPIPE.
 *
 * Expects: exit 0 and the same lines natively and under mnthread; a
 * watchdog (SIGALRM, 60 s) prints "FAIL: watchdog: stuck in PHASE".
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "compat.h"

static const char *who = "thread";

/* errname, with the socket errors. */
static const char *ename(int e)
{
	switch (e) {
	case EPIPE: return "EPIPE";
	case ECONNRESET: return "ECONNRESET";
	case ENOTCONN: return "ENOTCONN";
	}
	return errname(e);
}

static const char *res(long r)
{
	static char buf[64];
	if (r < 0)
		snprintf(buf, sizeof buf, "%ld %s", r, ename(errno));
	else
		snprintf(buf, sizeof buf, "%ld", r);
	return buf;
}

#define SAY(what, ...)                                                         \
	do {                                                                   \
		printf("%s: %s: ", who, what);                                 \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
	} while (0)

static const char *nb(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return "F_GETFL failed";
	return (fl & O_NONBLOCK) ? "O_NONBLOCK" : "blocking";
}

static void close2(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/* Run fn(arg) in a new thread and return its result. */
static long in_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t = spawn(fn, arg);
	void *r;
	pthread_join(t, &r);
	return (long)(intptr_t)r;
}

/* A thread doing something to fd after ms. */
enum act { ACT_WRITE, ACT_CLOSE, ACT_SHUT_RD, ACT_SHUT_WR, ACT_DRAIN, ACT_EVENTFD };
struct later {
	pthread_t t;
	enum act act;
	int fd;
	int ms;
};
static void *later_main(void *arg)
{
	struct later *l = arg;
	sleep_ms(l->ms);
	switch (l->act) {
	case ACT_WRITE:
		if (write(l->fd, "abc", 3) != 3)
			printf("FAIL: later write: %s\n", errname(errno));
		break;
	case ACT_EVENTFD: {
		uint64_t v = 1;
		if (write(l->fd, &v, sizeof v) != sizeof v)
			printf("FAIL: later eventfd write: %s\n", errname(errno));
		break;
	}
	case ACT_CLOSE: close(l->fd); break;
	case ACT_SHUT_RD: shutdown(l->fd, SHUT_RD); break;
	case ACT_SHUT_WR: shutdown(l->fd, SHUT_WR); break;
	case ACT_DRAIN: {
		static char buf[1 << 16];
		while (read(l->fd, buf, sizeof buf) == sizeof buf)
			;
		break;
	}
	}
	return NULL;
}
static struct later *later(enum act act, int fd, int ms)
{
	struct later *l = calloc(1, sizeof *l);
	*l = (struct later){ .act = act, .fd = fd, .ms = ms };
	must(pthread_create(&l->t, NULL, later_main, l), "pthread_create");
	return l;
}
static void later_done(struct later *l)
{
	pthread_join(l->t, NULL);
	free(l);
}

/* Fill a socket or pipe with writes the program itself made non-waiting
 * (MSG_DONTWAIT on a socket, O_NONBLOCK for the filling on a pipe). */
static long fill(int fd, int sock)
{
	static char buf[4096];
	long total = 0;
	int fl = fcntl(fd, F_GETFL);
	if (!sock)
		must(fcntl(fd, F_SETFL, fl | O_NONBLOCK), "fcntl");
	for (;;) {
		ssize_t w = sock ? send(fd, buf, sizeof buf, MSG_DONTWAIT) : write(fd, buf, sizeof buf);
		if (w <= 0)
			break;
		total += w;
	}
	/* A socket may still take a smaller piece. */
	if (sock)
		while (send(fd, buf, 1, MSG_DONTWAIT) == 1)
			total++;
	if (!sock)
		must(fcntl(fd, F_SETFL, fl), "fcntl");
	return total;
}

/* ---------------------------------------------------------------- F_GETFL */

struct rd {
	int fd;
	long n;
	char buf[16];
};
static void *reader(void *arg)
{
	struct rd *r = arg;
	r->n = read(r->fd, r->buf, sizeof r->buf);
	if (r->n < 0)
		r->n = -errno;
	return NULL;
}

static void getfl_case(const char *what, int rfd, int wfd, int efd)
{
	char w[128];
	snprintf(w, sizeof w, "%s: before a read that waits", what);
	SAY(w, "read end %s, write end %s", nb(rfd), nb(wfd));
	struct rd r = { .fd = rfd };
	pthread_t t = spawn(reader, &r);
	sleep_ms(30); /* the reader waits now */
	snprintf(w, sizeof w, "%s: while a thread waits in read", what);
	SAY(w, "read end %s, write end %s", nb(rfd), nb(wfd));
	if (efd)
		must(eventfd_write(rfd, 7), "eventfd_write");
	else
		must(write(wfd, "abc", 3) == 3 ? 0 : -1, "write");
	pthread_join(t, NULL);
	snprintf(w, sizeof w, "%s: the read", what);
	if (efd)
		SAY(w, "%ld, value %llu", r.n, r.n == 8 ? (unsigned long long)*(uint64_t *)r.buf : 0ull);
	else
		SAY(w, "%ld \"%.*s\"", r.n, r.n > 0 ? (int)r.n : 0, r.buf);
	snprintf(w, sizeof w, "%s: after it", what);
	SAY(w, "read end %s, write end %s", nb(rfd), nb(wfd));
}

static void *getfl_all(void *arg)
{
	(void)arg;
	int p[2], s[2];
	must(pipe(p), "pipe");
	getfl_case("pipe", p[0], p[1], 0);
	/* The read is made here too (the number is known to the netpoller
	 * now): still no O_NONBLOCK, and it waits. */
	getfl_case("pipe again", p[0], p[1], 0);
	close2(p);
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, s), "socketpair");
	getfl_case("socketpair", s[0], s[1], 0);
	close2(s);
	int e = eventfd(0, 0);
	getfl_case("eventfd", e, e, 1);
	close(e);
	return NULL;
}

/* ---------------------------------------------------------------- own O_NONBLOCK */

/* fd non-blocking by the program's own doing: EAGAIN on an empty read, a
 * short count when more is written than fits, EAGAIN when full. */
static void own_nb(const char *what, int rfd, int wfd, int sock)
{
	char c[8], w[128];
	static char big[16 << 20]; /* more than any socket or pipe takes */
	errno = 0;
	snprintf(w, sizeof w, "%s: F_GETFL", what);
	SAY(w, "read end %s", nb(rfd));
	snprintf(w, sizeof w, "%s: read, empty", what);
	SAY(w, "%s", res(read(rfd, c, sizeof c)));
	if (sock) {
		snprintf(w, sizeof w, "%s: recv, empty", what);
		SAY(w, "%s", res(recv(rfd, c, sizeof c, 0)));
	}
	/* A write bigger than the room: only part of it goes. */
	long n = write(wfd, big, sizeof big);
	snprintf(w, sizeof w, "%s: 16 MiB write, empty", what);
	SAY(w, "%s", n > 0 && n < (long)sizeof big ? "a short count" : res(n));
	fill(wfd, sock);
	snprintf(w, sizeof w, "%s: write, full", what);
	SAY(w, "%s", res(write(wfd, big, 1)));
	if (sock) {
		snprintf(w, sizeof w, "%s: send, full", what);
		SAY(w, "%s", res(send(wfd, big, 1, 0)));
	}
}

/* After the program clears its O_NONBLOCK, a read waits again. */
static void cleared(const char *what, int rfd, int wfd, int sock)
{
	static char buf[1 << 16];
	char w[128];
	/* Empty the read end (non-blocking still), then clear the flag. */
	while ((sock ? recv(rfd, buf, sizeof buf, MSG_DONTWAIT) : read(rfd, buf, sizeof buf)) > 0)
		;
	int fl = fcntl(rfd, F_GETFL);
	must(fcntl(rfd, F_SETFL, fl & ~O_NONBLOCK), "fcntl");
	struct later *l = later(ACT_WRITE, wfd, 30);
	/* wfd is non-blocking and was full: drained now, so the write goes. */
	long n = read(rfd, buf, 3);
	later_done(l);
	snprintf(w, sizeof w, "%s: O_NONBLOCK cleared, read waits for a write 30 ms later", what);
	SAY(w, "%s", res(n));
}

static void *own_all(void *arg)
{
	(void)arg;
	int p[2], s[2];
	/* fcntl */
	must(pipe(p), "pipe");
	must(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK), "fcntl");
	must(fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK), "fcntl");
	own_nb("pipe, fcntl O_NONBLOCK", p[0], p[1], 0);
	cleared("pipe, fcntl O_NONBLOCK", p[0], p[1], 0);
	close2(p);
	/* The flag set while the number is already known to the netpoller:
	 * a read that waited first. */
	must(pipe(p), "pipe");
	struct later *l = later(ACT_WRITE, p[1], 30);
	char buf[8];
	SAY("pipe, a read that waits", "%s", res(read(p[0], buf, 3)));
	later_done(l);
	must(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK), "fcntl");
	SAY("pipe, then the program's O_NONBLOCK: read", "%s", res(read(p[0], buf, 3)));
	close2(p);
	/* pipe2 */
	must(pipe2(p, O_NONBLOCK), "pipe2");
	own_nb("pipe2(O_NONBLOCK)", p[0], p[1], 0);
	close2(p);
	/* socketpair, SOCK_NONBLOCK */
	must(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s), "socketpair");
	own_nb("socketpair(SOCK_NONBLOCK)", s[0], s[1], 1);
	cleared("socketpair(SOCK_NONBLOCK)", s[0], s[1], 1);
	close2(s);
	/* ioctl FIONBIO */
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, s), "socketpair");
	int on = 1;
	must(ioctl(s[0], FIONBIO, &on), "ioctl");
	must(ioctl(s[1], FIONBIO, &on), "ioctl");
	own_nb("socketpair, ioctl(FIONBIO)", s[0], s[1], 1);
	int off = 0;
	must(ioctl(s[0], FIONBIO, &off), "ioctl");
	SAY("socketpair, FIONBIO off: F_GETFL", "%s", nb(s[0]));
	cleared("socketpair, FIONBIO off", s[0], s[1], 1);
	close2(s);
	must(pipe(p), "pipe");
	must(ioctl(p[0], FIONBIO, &on), "ioctl");
	must(ioctl(p[1], FIONBIO, &on), "ioctl");
	own_nb("pipe, ioctl(FIONBIO)", p[0], p[1], 0);
	close2(p);
	/* socket(SOCK_NONBLOCK): a listener that accepts nothing, and a
	 * connected TCP pair. */
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	must(bind(ls, (struct sockaddr *)&sin, sizeof sin), "bind");
	socklen_t len = sizeof sin;
	must(getsockname(ls, (struct sockaddr *)&sin, &len), "getsockname");
	must(listen(ls, 4), "listen");
	SAY("socket(SOCK_NONBLOCK) listener: accept, nobody there", "%s", res(accept(ls, NULL, NULL)));
	int cs = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int cr = connect(cs, (struct sockaddr *)&sin, sizeof sin);
	SAY("socket(SOCK_NONBLOCK): connect to loopback", "%s",
	    cr == 0 || errno == EINPROGRESS ? "0 or EINPROGRESS" : res(cr));
	struct pollfd pf = { ls, POLLIN, 0 };
	poll(&pf, 1, 10000);
	int as = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
	SAY("accept4(SOCK_NONBLOCK)", "%s", as >= 0 ? "a socket" : res(as));
	pf = (struct pollfd){ cs, POLLOUT, 0 };
	poll(&pf, 1, 10000);
	own_nb("TCP, SOCK_NONBLOCK", as, cs, 1);
	close(as);
	close(cs);
	close(ls);
	return NULL;
}

/* ---------------------------------------------------------------- MSG_DONTWAIT, MSG_WAITALL */

static void *dontwait(void *arg)
{
	(void)arg;
	int s[2];
	char buf[16];
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, s), "socketpair");
	SAY("recv MSG_DONTWAIT, empty blocking socket", "%s", res(recv(s[0], buf, sizeof buf, MSG_DONTWAIT)));
	fill(s[1], 1);
	SAY("send MSG_DONTWAIT, full blocking socket", "%s", res(send(s[1], buf, 1, MSG_DONTWAIT)));
	SAY("F_GETFL after them", "%s %s", nb(s[0]), nb(s[1]));
	close2(s);
	/* MSG_WAITALL gathers writes made apart. */
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, s), "socketpair");
	struct later *a = later(ACT_WRITE, s[1], 20), *b = later(ACT_WRITE, s[1], 60);
	long n = recv(s[0], buf, 6, MSG_WAITALL);
	later_done(a);
	later_done(b);
	SAY("recv MSG_WAITALL of 6, two writes of 3 apart", "%s \"%.*s\"", res(n), n > 0 ? (int)n : 0, buf);
	close2(s);
	return NULL;
}

/* ---------------------------------------------------------------- fork */

static void *child_reader(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[8];
	long n = read(fd, buf, 3);
	return (void *)(intptr_t)(n == 3 && memcmp(buf, "abc", 3) == 0 ? 3 : n < 0 ? -errno : 100 + n);
}

/* Fork with a pipe the parent's thread has waited on; the child reads it
 * (from its main, then from a thread of its own), blocking until the
 * parent writes 50 ms later.  The child's exit status says what it got. */
static void *fork_case(void *arg)
{
	(void)arg;
	int p[2];
	must(pipe(p), "pipe");
	/* The parent's thread waits on it first. */
	struct later *l = later(ACT_WRITE, p[1], 20);
	char buf[8];
	SAY("fork: the parent's read that waited", "%s", res(read(p[0], buf, 3)));
	later_done(l);
	for (int in_thr = 0; in_thr < 2; in_thr++) {
		int ready[2];
		must(pipe(ready), "pipe");
		pid_t pid = fork();
		if (pid == 0) {
			alarm(20);
			int fl = fcntl(p[0], F_GETFL);
			if (fl < 0 || (fl & O_NONBLOCK))
				_exit(90);
			if (write(ready[1], "r", 1) != 1)
				_exit(91);
			long got;
			if (in_thr) {
				pthread_t t;
				if (pthread_create(&t, NULL, child_reader, (void *)(intptr_t)p[0]) != 0)
					_exit(92);
				void *r;
				pthread_join(t, &r);
				got = (long)(intptr_t)r;
			} else {
				got = (long)(intptr_t)child_reader((void *)(intptr_t)p[0]);
			}
			/* It waited: the parent wrote only after its 50 ms. */
			_exit(got == 3 ? 3 : got < 0 ? 93 : 94);
		}
		char c;
		must(read(ready[0], &c, 1) == 1 ? 0 : -1, "read");
		sleep_ms(50);
		/* Still running: the child's read waits (not EAGAIN). */
		int st = 0;
		pid_t w = waitpid(pid, &st, WNOHANG);
		const char *wat = in_thr ? "fork: child's thread reads the shared pipe" : "fork: child reads the shared pipe";
		SAY(wat, "still waiting after 50 ms: %s", w == 0 ? "yes" : "no");
		must(write(p[1], "abc", 3) == 3 ? 0 : -1, "write");
		waitpid(pid, &st, 0);
		SAY(wat, "exit status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
		close2(ready);
	}
	SAY("fork: F_GETFL in the parent after", "%s", nb(p[0]));
	close2(p);

	/* A child that execs head -c 3 with the pipe as its stdin. */
	int in[2], out[2];
	must(pipe(in), "pipe");
	must(pipe(out), "pipe");
	l = later(ACT_WRITE, in[1], 20); /* the parent's read end sees a wait: */
	SAY("exec: the parent's read that waited", "%s", res(read(in[0], buf, 3)));
	later_done(l);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close2(in);
		close2(out);
		execlp("head", "head", "-c", "3", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	sleep_ms(50);
	must(write(in[1], "xyz", 3) == 3 ? 0 : -1, "write");
	long n = 0, k;
	char got[8];
	while (n < 8 && (k = read(out[0], got + n, sizeof got - (size_t)n)) > 0)
		n += k;
	int st;
	waitpid(pid, &st, 0);
	SAY("exec: head -c 3 on the pipe, written 50 ms later", "\"%.*s\", exit %d", (int)n, got,
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	close(in[1]);
	close(out[0]);
	return NULL;
}

/* ---------------------------------------------------------------- time-outs */

static void *timeo(void *arg)
{
	(void)arg;
	int s[2];
	char buf[8];
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, s), "socketpair");
	struct timeval tv = { 0, 50000 };
	must(setsockopt(s[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), "setsockopt");
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long n = read(s[0], buf, sizeof buf);
	long ms = elapsed_ms(&t0);
	/* The kernel counts in jiffies: allow it 10 ms early. */
	SAY("SO_RCVTIMEO 50 ms: read", "%s, not early: %s", res(n), ms >= 40 ? "yes" : "no");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = recv(s[0], buf, sizeof buf, 0);
	ms = elapsed_ms(&t0);
	SAY("SO_RCVTIMEO 50 ms: recv", "%s, not early: %s", res(n), ms >= 40 ? "yes" : "no");
	tv = (struct timeval){ 10, 0 };
	must(setsockopt(s[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), "setsockopt");
	struct later *l = later(ACT_WRITE, s[1], 30);
	n = read(s[0], buf, sizeof buf);
	later_done(l);
	SAY("SO_RCVTIMEO 10 s: read, a write 30 ms later", "%s", res(n));
	tv = (struct timeval){ 0, 0 };
	must(setsockopt(s[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), "setsockopt");
	l = later(ACT_WRITE, s[1], 80);
	n = read(s[0], buf, sizeof buf);
	later_done(l);
	SAY("SO_RCVTIMEO cleared: read, a write 80 ms later", "%s", res(n));

	fill(s[1], 1);
	tv = (struct timeval){ 0, 50000 };
	must(setsockopt(s[1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), "setsockopt");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = send(s[1], buf, 1, 0);
	ms = elapsed_ms(&t0);
	SAY("SO_SNDTIMEO 50 ms: send, full", "%s, not early: %s", res(n), ms >= 40 ? "yes" : "no");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = write(s[1], buf, 1);
	ms = elapsed_ms(&t0);
	SAY("SO_SNDTIMEO 50 ms: write, full", "%s, not early: %s", res(n), ms >= 40 ? "yes" : "no");
	close2(s);

	/* A listener's SO_RCVTIMEO ends accept. */
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	must(bind(ls, (struct sockaddr *)&sin, sizeof sin), "bind");
	must(listen(ls, 4), "listen");
	must(setsockopt(ls, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), "setsockopt");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = accept(ls, NULL, NULL);
	ms = elapsed_ms(&t0);
	SAY("SO_RCVTIMEO 50 ms: accept, nobody connects", "%s, not early: %s", res(n), ms >= 40 ? "yes" : "no");
	close(ls);
	return NULL;
}

/* ---------------------------------------------------------------- 1 MiB writes */

#define BIG (1 << 20)
static unsigned char pattern(long i) { return (unsigned char)(i * 7 + (i >> 12)); }

struct drain {
	int fd;
	long got, bad;
};
/* Reads slowly (4 KiB pieces, a 1 ms nap every 16) until EOF. */
static void *slow_reader(void *arg)
{
	struct drain *d = arg;
	unsigned char buf[4096];
	long k;
	int reads = 0;
	while ((k = read(d->fd, buf, sizeof buf)) > 0) {
		for (long i = 0; i < k; i++)
			if (buf[i] != pattern(d->got + i))
				d->bad++;
		d->got += k;
		if (++reads % 16 == 0)
			sleep_ms(1);
	}
	return NULL;
}

static void big_write(const char *what, int how)
{
	static unsigned char data[BIG];
	for (long i = 0; i < BIG; i++)
		data[i] = pattern(i);
	int p[2];
	if (how == 2)
		must(socketpair(AF_UNIX, SOCK_STREAM, 0, p), "socketpair");
	else
		must(pipe(p), "pipe");
	struct drain d = { .fd = p[0] };
	pthread_t t = spawn(slow_reader, &d);
	long n;
	if (how == 1) {
		/* Uneven pieces. */
		struct iovec v[3] = { { data, 1000 }, { data + 1000, BIG / 2 }, { data + 1000 + BIG / 2, BIG / 2 - 1000 } };
		n = writev(p[1], v, 3);
	} else if (how == 2) {
		n = send(p[1], data, BIG, 0);
	} else {
		n = write(p[1], data, BIG);
	}
	close(p[1]);
	pthread_join(t, NULL);
	close(p[0]);
	SAY(what, "returned %s, reader got %ld bytes, %ld wrong", res(n), d.got, d.bad);
}

static void *big_all(void *arg)
{
	(void)arg;
	big_write("1 MiB write to a pipe, slow reader", 0);
	big_write("1 MiB writev (3 pieces) to a pipe, slow reader", 1);
	big_write("1 MiB send on a socketpair, slow reader", 2);
	return NULL;
}

/* ---------------------------------------------------------------- shutdown, hang-ups */

static int tcp_pair(int s[2])
{
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sin;
	if (bind(ls, (struct sockaddr *)&sin, sizeof sin) || getsockname(ls, (struct sockaddr *)&sin, &len) ||
	    listen(ls, 1))
		return -1;
	s[1] = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(s[1], (struct sockaddr *)&sin, sizeof sin))
		return -1;
	s[0] = accept(ls, NULL, NULL);
	close(ls);
	return s[0] < 0 ? -1 : 0;
}

/* A reader of fd blocked in another thread; act on actfd 30 ms later. */
static void wake_reader(const char *what, int fd, enum act act, int actfd, int use_recv)
{
	struct rd r = { .fd = fd };
	pthread_t t;
	if (use_recv) {
		/* recv instead of read */
		struct later *l = later(act, actfd, 30);
		long n = recv(fd, r.buf, sizeof r.buf, 0);
		later_done(l);
		SAY(what, "%s", res(n));
		return;
	}
	t = spawn(reader, &r);
	struct later *l = later(act, actfd, 30);
	pthread_join(t, NULL);
	later_done(l);
	SAY(what, "%ld%s", r.n, r.n < 0 ? " (an error)" : "");
}

struct wr {
	int fd;
	long n;
	int err;
};
static void *writer(void *arg)
{
	struct wr *w = arg;
	static char buf[1 << 16];
	w->n = write(w->fd, buf, sizeof buf);
	w->err = w->n < 0 ? errno : 0;
	return NULL;
}

static void *shut_all(void *arg)
{
	(void)arg;
	int s[2];
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, s), "socketpair");
	wake_reader("socketpair: read, shutdown(SHUT_RD) of its own socket", s[0], ACT_SHUT_RD, s[0], 0);
	close2(s);
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, s), "socketpair");
	wake_reader("socketpair: read, shutdown(SHUT_WR) of the peer", s[0], ACT_SHUT_WR, s[1], 0);
	close2(s);
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, s), "socketpair");
	wake_reader("socketpair: recv, shutdown(SHUT_WR) of the peer", s[0], ACT_SHUT_WR, s[1], 1);
	close2(s);
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, s), "socketpair");
	wake_reader("socketpair: read, the peer closed", s[0], ACT_CLOSE, s[1], 0);
	close(s[0]);
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, s), "socketpair");
	wake_reader("socketpair: recv, the peer closed", s[0], ACT_CLOSE, s[1], 1);
	close(s[0]);
	must(pipe(s), "pipe");
	wake_reader("pipe: read, the writer closed", s[0], ACT_CLOSE, s[1], 0);
	close(s[0]);

	must(tcp_pair(s), "tcp_pair");
	wake_reader("TCP: read, shutdown(SHUT_RD) of its own socket", s[0], ACT_SHUT_RD, s[0], 0);
	close2(s);
	must(tcp_pair(s), "tcp_pair");
	wake_reader("TCP: recv, shutdown(SHUT_WR) of the peer", s[0], ACT_SHUT_WR, s[1], 1);
	close2(s);
	must(tcp_pair(s), "tcp_pair");
	wake_reader("TCP: read, the peer closed", s[0], ACT_CLOSE, s[1], 0);
	close(s[0]);

	/* A writer blocked on a full socketpair, pipe or TCP socket: the
	 * reader closes (with bytes unread). */
	static const char *const wname[] = {
		"socketpair: blocked write, the reader closed",
		"pipe: blocked write, the reader closed",
		"TCP: blocked write, the reader closed",
	};
	for (int k = 0; k < 3; k++) {
		if (k == 0)
			must(socketpair(AF_UNIX, SOCK_STREAM, 0, s), "socketpair");
		else if (k == 1)
			must(pipe(s), "pipe");
		else
			must(tcp_pair(s), "tcp_pair");
		fill(s[1], k != 1);
		struct wr w = { .fd = s[1] };
		pthread_t t = spawn(writer, &w);
		struct later *l = later(ACT_CLOSE, s[0], 30);
		pthread_join(t, NULL);
		later_done(l);
		SAY(wname[k], "%ld %s", w.n, w.n < 0 ? ename(w.err) : "");
		close(s[1]);
	}
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	alarm(60);

	phase = "F_GETFL";
	in_thread(getfl_all, NULL);
	who = "main";
	getfl_all(NULL);
	who = "thread";
	phase = "own O_NONBLOCK";
	in_thread(own_all, NULL);
	phase = "MSG_DONTWAIT";
	in_thread(dontwait, NULL);
	phase = "fork";
	in_thread(fork_case, NULL);
	phase = "time-outs";
	in_thread(timeo, NULL);
	phase = "1 MiB writes";
	in_thread(big_all, NULL);
	phase = "shutdown";
	in_thread(shut_all, NULL);

	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
