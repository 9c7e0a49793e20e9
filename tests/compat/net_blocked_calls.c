/* net_blocked_calls: threads waiting in the less common calls on pipes
 * and sockets cost no OS thread each, and get what they get natively
 * (issue 12's list of calls the netpoller serves: recvmmsg, sendmmsg,
 * connect in progress, splice, tee, sendfile between pollable fds, beside
 * read as the reference).
 *
 * For each call, WAITERS (20) threads start and each blocks in it on its
 * own descriptors: read and recvmmsg on an empty pipe or socketpair,
 * splice and tee from an empty pipe into another pipe, sendmmsg and
 * sendfile (from a regular file) into a full socketpair, connect to a
 * listener whose backlog is full.  150 ms later, with all of them waiting,
 * the program counts its OS threads (/proc/self/task): under mnthread
 * (LD_PRELOAD names libmnthread and MN_PROCS is set) there must be at
 * most MN_PROCS + 8 of them (the count goes to stderr; natively the line
 * is printed unchecked).  Then each wait is ended (a write, a drain, an
 * accept) and every thread must report the bytes, message or connection
 * it was waiting for.
 *
 * Each call runs in a process of its own (the program runs itself again
 * with the call's name: net_blocked_calls [CALL]), as OS threads made for
 * one call stay for the next.
 *
 * Expects: exit 0 and the same lines natively and under mnthread; joins
 * wait at most 20 s each (pthread_timedjoin_np), a watchdog (SIGALRM,
 * 100 s) prints "FAIL: watchdog: stuck in CALL".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dirent.h>
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
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "compat.h"

#define WAITERS 20
#define CHUNK 4096

enum call { C_READ, C_RECVMMSG, C_SPLICE, C_TEE, C_SENDMMSG, C_SENDFILE, C_CONNECT, C_COUNT };
static const char *const names[C_COUNT] = {
	"read", "recvmmsg", "splice", "tee", "sendmmsg", "sendfile", "connect",
};

struct waiter {
	pthread_t t;
	enum call call;
	int in[2];  /* pipe or socketpair the call waits on */
	int out[2]; /* splice, tee: the pipe written to */
	int file;   /* sendfile: the regular file read from */
	long result;
	int err;
};

static struct sockaddr_in laddr;
static atomic_int entered;
static atomic_int finished;

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	char buf[64];
	long r = -1;
	atomic_fetch_add(&entered, 1);
	switch (w->call) {
	case C_READ: r = read(w->in[0], buf, sizeof buf); break;
	case C_RECVMMSG: {
		struct iovec v = { buf, sizeof buf };
		struct mmsghdr mm = { .msg_hdr = { .msg_iov = &v, .msg_iovlen = 1 } };
		r = recvmmsg(w->in[0], &mm, 1, 0, NULL);
		if (r == 1)
			r = mm.msg_len;
		break;
	}
	case C_SPLICE: r = splice(w->in[0], NULL, w->out[1], NULL, CHUNK, 0); break;
	case C_TEE: r = tee(w->in[0], w->out[1], CHUNK, 0); break;
	case C_SENDMMSG: {
		static char big[CHUNK];
		struct iovec v = { big, sizeof big };
		struct mmsghdr mm = { .msg_hdr = { .msg_iov = &v, .msg_iovlen = 1 } };
		r = sendmmsg(w->in[1], &mm, 1, 0);
		if (r == 1)
			r = mm.msg_len;
		break;
	}
	case C_SENDFILE: {
		off_t off = 0;
		r = sendfile(w->in[1], w->file, &off, CHUNK);
		break;
	}
	case C_CONNECT: {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		r = connect(s, (struct sockaddr *)&laddr, sizeof laddr);
		w->in[0] = s;
		break;
	}
	case C_COUNT: break;
	}
	w->result = r;
	w->err = r < 0 ? errno : 0;
	atomic_fetch_add(&finished, 1);
	return NULL;
}

static int count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int limit; /* 0 natively */

static void fill(int fd)
{
	static char buf[CHUNK];
	while (send(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
		;
	while (send(fd, buf, 1, MSG_DONTWAIT) > 0)
		;
}

static void drain(int fd)
{
	static char buf[1 << 16];
	while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
		;
}

static int timed_join(pthread_t t)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 20;
	return pthread_timedjoin_np(t, NULL, &dl);
}

static void one(enum call c)
{
	static struct waiter w[WAITERS];
	int lsock = -1, file = -1;
	memset(w, 0, sizeof w);
	atomic_store(&entered, 0);
	atomic_store(&finished, 0);
	if (c == C_CONNECT) {
		/* A listener with a full backlog (nobody accepts yet): fill it
		 * with connections first, so that the waiters' SYNs go unanswered. */
		lsock = socket(AF_INET, SOCK_STREAM, 0);
		laddr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		must(bind(lsock, (struct sockaddr *)&laddr, sizeof laddr), "bind");
		socklen_t len = sizeof laddr;
		must(getsockname(lsock, (struct sockaddr *)&laddr, &len), "getsockname");
		must(listen(lsock, 0), "listen");
	}
	if (c == C_SENDFILE) {
		char path[] = "/tmp/mn_net_blocked.XXXXXX";
		file = mkstemp(path);
		must(file < 0 ? -1 : 0, "mkstemp");
		unlink(path);
		static char data[CHUNK];
		memset(data, 'f', sizeof data);
		must(write(file, data, sizeof data) == sizeof data ? 0 : -1, "write");
	}
	for (int i = 0; i < WAITERS; i++) {
		w[i].call = c;
		w[i].file = file;
		if (c == C_READ || c == C_SPLICE || c == C_TEE)
			must(pipe(w[i].in), "pipe");
		else if (c != C_CONNECT)
			must(socketpair(AF_UNIX, c == C_RECVMMSG ? SOCK_DGRAM : SOCK_STREAM, 0, w[i].in), "socketpair");
		if (c == C_SPLICE || c == C_TEE)
			must(pipe(w[i].out), "pipe");
		if (c == C_SENDMMSG || c == C_SENDFILE)
			fill(w[i].in[1]);
		must(pthread_create(&w[i].t, NULL, waiter_main, &w[i]), "pthread_create");
	}
	while (atomic_load(&entered) < WAITERS)
		sleep_ms(5);
	sleep_ms(150); /* all waiting now */
	int n = count_tasks();
	if (limit)
		fprintf(stderr, "net_blocked_calls: %s: %d OS threads with %d waiting (limit %d)\n", names[c], n,
			WAITERS, limit);
	printf("%s: %d threads waiting, OS threads within MN_PROCS + 8: %s\n", names[c], WAITERS,
	       !limit || n <= limit ? "yes" : "no");
	if (limit && n > limit)
		failures++;

	/* End the waits. */
	int acc[WAITERS + 2], nacc = 0;
	for (int i = 0; i < WAITERS; i++) {
		switch (c) {
		case C_READ:
		case C_SPLICE:
		case C_TEE:
		case C_RECVMMSG: must(write(w[i].in[1], "hello", 5) == 5 ? 0 : -1, "write"); break;
		case C_SENDMMSG:
		case C_SENDFILE: drain(w[i].in[0]); break;
		default: break;
		}
	}
	if (c == C_CONNECT) {
		/* Room for all: the waiters connect as their SYNs are sent
		 * again (1 s). */
		must(listen(lsock, 64), "listen");
	}
	if (c == C_CONNECT) {
		/* Accept while connections come, until every waiter's connect
		 * has returned and nothing more is queued.  Not a blocking
		 * accept per waiter: when the full queue dropped a waiter's
		 * last ACK, its connect succeeds although the listener never
		 * queues it (natively too), and an accept for it would wait
		 * for ever. */
		for (;;) {
			struct pollfd pf = { .fd = lsock, .events = POLLIN };
			int done = atomic_load(&finished) == WAITERS;
			int pr = poll(&pf, 1, done ? 0 : 100);
			if (pr > 0) {
				int a = accept(lsock, NULL, NULL);
				if (a >= 0 && nacc < WAITERS + 2)
					acc[nacc++] = a;
				else if (a >= 0)
					close(a);
				continue;
			}
			if (done)
				break;
		}
	}
	long ok = 0, bad = 0;
	for (int i = 0; i < WAITERS; i++) {
		if (timed_join(w[i].t) != 0) {
			printf("FAIL: %s: waiter %d still blocked after 20 s\n", names[c], i);
			exit(1);
		}
		long want = c == C_SENDMMSG || c == C_SENDFILE ? CHUNK : c == C_CONNECT ? 0 : 5;
		if (w[i].result == want)
			ok++;
		else
			bad++;
		if (bad == 1 && w[i].result != want)
			printf("%s: waiter %d: %ld %s (expected %ld)\n", names[c], i, w[i].result,
			       w[i].result < 0 ? errname(w[i].err) : "", want);
	}
	printf("%s: waits ended with what was expected: %ld of %d\n", names[c], ok, WAITERS);
	if (bad)
		failures++;
	if (c == C_SPLICE || c == C_TEE) {
		/* The bytes are in the out pipes. */
		long got = 0;
		for (int i = 0; i < WAITERS; i++) {
			char b[8];
			if (read(w[i].out[0], b, sizeof b) == 5 && memcmp(b, "hello", 5) == 0)
				got++;
		}
		printf("%s: out pipes holding \"hello\": %ld of %d\n", names[c], got, WAITERS);
	}
	for (int i = 0; i < WAITERS; i++) {
		close(w[i].in[0]);
		if (c != C_CONNECT)
			close(w[i].in[1]);
		if (c == C_SPLICE || c == C_TEE) {
			close(w[i].out[0]);
			close(w[i].out[1]);
		}
	}
	for (int i = 0; i < nacc; i++)
		close(acc[i]);
	if (lsock >= 0)
		close(lsock);
	if (file >= 0)
		close(file);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	alarm(100);
	const char *pre = getenv("LD_PRELOAD");
	if (pre && strstr(pre, "libmnthread") && getenv("MN_PROCS"))
		limit = atoi(getenv("MN_PROCS")) + 8;
	if (argc > 1) {
		for (int c = 0; c < C_COUNT; c++)
			if (strcmp(argv[1], names[c]) == 0) {
				phase = names[c];
				one((enum call)c);
				return failures ? 1 : 0;
			}
		fprintf(stderr, "usage: net_blocked_calls [CALL]\n");
		return 2;
	}
	/* Each call in a process of its own (the program again, with the
	 * call's name): OS threads one call made stay for the next. */
	for (int c = 0; c < C_COUNT; c++) {
		phase = names[c];
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			execl("/proc/self/exe", argv[0], names[c], (char *)NULL);
			_exit(127);
		}
		int st = 0;
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("%s: FAIL (status 0x%x)\n", names[c], st);
			failures++;
		}
	}
	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
