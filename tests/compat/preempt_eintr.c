/* preempt_eintr.c: waits that our preemption signal interrupts anyway are
 * made again, so the program never sees an EINTR it would not see natively.
 *
 * Four workers loop: memset of 1 MiB (inside libc, where a G is not
 * preempted, so the handler asks again 20 us later on the thread's
 * timer), then a 1 ms poll or epoll_wait (which the kernel ends with EINTR
 * when a handler runs, SA_RESTART or not), and now and then a 100 us
 * nanosleep; two spinners keep preemption busy.  Run by preempt_eintr.sh
 * with MN_DEBUG=preemptms=1, so that requests come often.  Without the
 * restart in preload/io.c, the workers saw tens of EINTRs in 3 s at
 * MN_PROCS=2.
 *
 * Proves: no poll, epoll_wait or nanosleep fails with EINTR (natively none
 * can: no signal is sent), and each wait lasts at least its time-out.
 * Expects: exit 0 and the same lines natively and under mnthread.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include "preempt.h"

#define RUN_MS 2000

static struct spinner spinners[2];
static char bufs[4][1 << 20];
static int eintr, short_waits;
static volatile int stop;

static void *worker(void *arg)
{
	char *buf = arg;
	int ep = epoll_create1(0);
	if (ep < 0) {
		perror("epoll_create1");
		return NULL;
	}
	struct epoll_event ev;
	for (unsigned n = 0; !stop; n++) {
		memset(buf, (int)(n & 255), sizeof bufs[0]);
		uint64_t t0 = now_ns();
		int r = (n & 1) ? poll(NULL, 0, 1) : epoll_wait(ep, &ev, 1, 1);
		if (r < 0 && errno == EINTR)
			__atomic_fetch_add(&eintr, 1, __ATOMIC_RELAXED);
		else if (r == 0 && now_ns() - t0 < 1000000)
			__atomic_fetch_add(&short_waits, 1, __ATOMIC_RELAXED);
		if (n % 3 == 0) {
			struct timespec ts = { 0, 100000 };
			if (nanosleep(&ts, NULL) < 0 && errno == EINTR)
				__atomic_fetch_add(&eintr, 1, __ATOMIC_RELAXED);
		}
	}
	close(ep);
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(15);
	phase = "running the workers and spinners";
	pthread_t sp[2], w[4];
	for (int i = 0; i < 2; i++)
		sp[i] = spawn(spin, &spinners[i]);
	for (int i = 0; i < 4; i++)
		w[i] = spawn(worker, bufs[i]);
	struct timespec run = { RUN_MS / 1000, (RUN_MS % 1000) * 1000000L };
	nanosleep(&run, NULL);
	phase = "stopping the threads";
	stop = 1;
	spin_stop = 1;
	for (int i = 0; i < 4; i++)
		must(pthread_join(w[i], NULL), "pthread_join worker");
	for (int i = 0; i < 2; i++)
		must(pthread_join(sp[i], NULL), "pthread_join spinner");
	expect_val("waits ended by EINTR", eintr, 0);
	expect_val("waits shorter than their time-out", short_waits, 0);
	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
