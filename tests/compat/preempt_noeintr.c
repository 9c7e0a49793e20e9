/* preempt_noeintr: threads waiting in the kernel's timed waits never see
 * EINTR because their neighbours are preempted (issue 11: "no extra EINTR
 * from us").
 *
 * Two spinners (plain loops, no calls) keep the processor busy so that
 * sysmon preempts them again and again, while four threads each make one
 * call that waits its full time out, 1 s, with nothing to wake it:
 *   poll on a pipe nobody writes, nanosleep, epoll_wait on an epoll
 *   instance watching that pipe, select on that pipe.
 * Run by preempt_noeintr.sh at MN_PROCS=1.  Natively nothing sends a
 * signal, so no call can fail.
 *
 * Proves: each call returns its time-out result (0; nanosleep 0), never
 * -1/EINTR, after at least 0.9 s.  The times go to stderr.
 *
 * Expects: exit 0 and a fixed list of lines.  A watchdog (SIGALRM, 6 s for
 * the waits, 10 s to stop the spinners) prints "FAIL: watchdog: stuck in
 * PHASE".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>
#include "compat.h"
#include "preempt.h"

#define WAIT_MS 1000
#define AT_LEAST_MS 900

static int pipefd[2], epfd;

struct waiter {
	const char *what;
	int (*call)(void);
	int rc, err;
	long ms;
};

static int by_poll(void)
{
	struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
	return poll(&p, 1, WAIT_MS);
}

static int by_nanosleep(void)
{
	struct timespec ts = {WAIT_MS / 1000, (long)(WAIT_MS % 1000) * 1000000L};
	return nanosleep(&ts, NULL);
}

static int by_epoll_wait(void)
{
	struct epoll_event ev;
	return epoll_wait(epfd, &ev, 1, WAIT_MS);
}

static int by_select(void)
{
	fd_set r;
	FD_ZERO(&r);
	FD_SET(pipefd[0], &r);
	struct timeval tv = {WAIT_MS / 1000, (WAIT_MS % 1000) * 1000};
	return select(pipefd[0] + 1, &r, NULL, NULL, &tv);
}

static void *wait_once(void *arg)
{
	struct waiter *w = arg;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	errno = 0;
	w->rc = w->call();
	w->err = w->rc == -1 ? errno : 0;
	w->ms = elapsed_ms(&t0);
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(6);

	must(pipe(pipefd), "pipe");
	epfd = epoll_create1(0);
	must(epfd < 0 ? errno : 0, "epoll_create1");
	struct epoll_event ev = {.events = EPOLLIN};
	must(epoll_ctl(epfd, EPOLL_CTL_ADD, pipefd[0], &ev), "epoll_ctl");

	static struct spinner spinners[2];
	struct waiter w[] = {
		{"poll", by_poll, 0, 0, 0},
		{"nanosleep", by_nanosleep, 0, 0, 0},
		{"epoll_wait", by_epoll_wait, 0, 0, 0},
		{"select", by_select, 0, 0, 0},
	};
	enum { NW = sizeof w / sizeof w[0] };

	phase = "starting the spinners";
	pthread_t sp[2], wt[NW];
	for (int i = 0; i < 2; i++)
		sp[i] = spawn(spin, &spinners[i]);
	phase = "the waits";
	for (int i = 0; i < NW; i++)
		wt[i] = spawn(wait_once, &w[i]);
	for (int i = 0; i < NW; i++)
		must(pthread_join(wt[i], NULL), "pthread_join waiter");
	phase = "stopping the spinners";
	alarm(10);
	spin_stop = 1;
	for (int i = 0; i < 2; i++)
		must(pthread_join(sp[i], NULL), "pthread_join spinner");

	for (int i = 0; i < NW; i++) {
		char what[64];
		fprintf(stderr, "preempt_noeintr: %s: rc %d %s after %ld ms\n", w[i].what, w[i].rc,
			errname(w[i].err), w[i].ms);
		snprintf(what, sizeof what, "%s: result", w[i].what);
		expect_val(what, w[i].rc, 0);
		snprintf(what, sizeof what, "%s: errno", w[i].what);
		expect(what, w[i].err, 0);
		int full = w[i].ms >= AT_LEAST_MS;
		printf("%s: waited at least %d ms: %s\n", w[i].what, AT_LEAST_MS, full ? "yes" : "no");
		if (!full)
			failures++;
	}
	expect_val("spinners that ran", (spinners[0].count > 0) + (spinners[1].count > 0), 2);
	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
