/* preempt_acancel.c: asynchronous cancellation of a thread that only
 * computes (no call at all): pthread_cancel ends it, as natively.
 *
 * Under mnthread the busy thread is interrupted by the preemption signal
 * at its next safe point (sched/preempt.c), where it acts on the request;
 * before, it was acted on only at a cancellation point, which a busy loop
 * never reaches, and pthread_join hung.  Run at MN_PROCS 1 and 2 by
 * preempt_acancel.sh: at 1 the canceller itself needs the busy thread's
 * processor (preemption gives it back).
 *
 * Proves: pthread_join returns PTHREAD_CANCELED for three busy threads,
 * each cancelled while it spins.  Expects: exit 0 and the same lines
 * natively and under mnthread.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include "preempt.h"

static struct spinner counts[3];

static void *busy(void *arg)
{
	struct spinner *s = arg;
	int old;
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
	for (;;)
		s->count++;
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(10);
	for (int i = 0; i < 3; i++) {
		phase = "starting a busy thread";
		pthread_t t = spawn(busy, &counts[i]);
		while (counts[i].count == 0)
			sched_yield();
		phase = "cancelling a busy thread";
		must(pthread_cancel(t), "pthread_cancel");
		void *res = NULL;
		phase = "joining a cancelled busy thread";
		must(pthread_join(t, &res), "pthread_join");
		expect_val("busy thread ended cancelled", res == PTHREAD_CANCELED, 1);
	}
	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
