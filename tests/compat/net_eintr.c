/* net_eintr: a signal handler run on a thread blocked on a pipe or socket,
 * or in poll/select/epoll_wait, ends the call as natively (issue 12:
 * "EINTR when a handler runs"; under mnthread such a thread is a G parked
 * in the netpoller).
 *
 * A thread blocks in the call; 50 ms later main sends it SIGUSR1 with
 * pthread_kill; 50 ms after that main writes a byte, so that a call the
 * signal did not end returns then instead of hanging.  With a handler
 * installed without SA_RESTART each call fails with EINTR.  With
 * SA_RESTART, read and recv are restarted (they return the byte), while
 * poll, select and epoll_wait still fail with EINTR (never restarted).
 * Each line says what the call returned and whether the handler ran on
 * that thread.
 *
 * Expects: exit 0 and the same lines natively and under mnthread; a
 * watchdog (SIGALRM, 30 s) prints "FAIL: watchdog: stuck in CALL".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>
#include "compat.h"

enum call { C_READ, C_RECV, C_POLL, C_SELECT, C_EPOLL, C_COUNT };
static const char *const names[C_COUNT] = { "read", "recv", "poll", "select", "epoll_wait" };

static __thread int on_this_thread;
static atomic_int handled;
static void handler(int sig)
{
	(void)sig;
	on_this_thread = 1;
	atomic_fetch_add(&handled, 1);
}

struct target {
	enum call call;
	int fd, ep;
	atomic_int started;
	long r;
	int err;
	int ran_here;
};

static void *target_main(void *arg)
{
	struct target *t = arg;
	char c;
	struct pollfd pf = { t->fd, POLLIN, 0 };
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(t->fd, &rs);
	struct epoll_event ev;
	atomic_store(&t->started, 1);
	switch (t->call) {
	case C_READ: t->r = read(t->fd, &c, 1); break;
	case C_RECV: t->r = recv(t->fd, &c, 1, 0); break;
	case C_POLL: t->r = poll(&pf, 1, -1); break;
	case C_SELECT: t->r = select(t->fd + 1, &rs, NULL, NULL, NULL); break;
	case C_EPOLL: t->r = epoll_wait(t->ep, &ev, 1, -1); break;
	case C_COUNT: break;
	}
	t->err = t->r < 0 ? errno : 0;
	t->ran_here = on_this_thread;
	return NULL;
}

static void one(enum call c, int restart)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = restart ? SA_RESTART : 0;
	must(sigaction(SIGUSR1, &sa, NULL), "sigaction");
	int s[2];
	if (c == C_RECV)
		must(socketpair(AF_UNIX, SOCK_STREAM, 0, s), "socketpair");
	else
		must(pipe(s), "pipe");
	struct target t = { .call = c, .fd = s[0], .ep = -1 };
	if (c == C_EPOLL) {
		t.ep = epoll_create1(0);
		struct epoll_event e = { .events = EPOLLIN };
		must(epoll_ctl(t.ep, EPOLL_CTL_ADD, s[0], &e), "epoll_ctl");
	}
	atomic_store(&handled, 0);
	pthread_t th = spawn(target_main, &t);
	while (!atomic_load(&t.started))
		sleep_ms(1);
	sleep_ms(50);
	must(pthread_kill(th, SIGUSR1), "pthread_kill");
	sleep_ms(50);
	must(write(s[1], "x", 1) == 1 ? 0 : -1, "write");
	pthread_join(th, NULL);
	printf("%s, %s: %ld%s%s, the handler ran on that thread: %s\n", names[c],
	       restart ? "SA_RESTART" : "no SA_RESTART", t.r, t.r < 0 ? " " : "", t.r < 0 ? errname(t.err) : "",
	       t.ran_here ? "yes" : "no");
	if (t.ep >= 0)
		close(t.ep);
	close(s[0]);
	close(s[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(30);
	for (int restart = 0; restart < 2; restart++)
		for (int c = 0; c < C_COUNT; c++) {
			phase = names[c];
			one((enum call)c, restart);
		}
	printf("all done\n");
	return 0;
}
