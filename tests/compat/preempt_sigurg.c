/* preempt_sigurg: a program's own SIGURG keeps working while the runtime
 * preempts with that signal (issue 11: "a program's own use of the signal
 * keeps working").
 *
 * The program installs a SIGURG handler (sigaction, SA_SIGINFO) that counts
 * deliveries by si_code and notes the thread it runs on.  Two spinners
 * (plain loops) keep the processor busy so that preemption is active, and
 * a third thread blocks SIGURG with pthread_sigmask and then spins in
 * bursts (2,000,000 increments, then a 1 ms sleep) until told to stop.
 * Main sends the process 50 SIGURG with kill(), 2 ms apart, and waits (up
 * to 2 s) for the handler to have run.  Run by preempt_sigurg.sh at
 * MN_PROCS=1.
 *
 * Proves: the handler ran for kill() (at least once and at most 50 times,
 * as signals coalesce), never for anything else (a preemption signal of
 * the runtime, sent with tgkill, would show as an SI_TKILL delivery), and
 * never on the thread that blocks SIGURG, which still has it blocked at
 * the end; sigaction still reports the program's handler and flags, and
 * main's mask does not block SIGURG.
 * Not here: pthread_kill to another thread (per-thread delivery is issue
 * 13's; today it goes to the process).
 *
 * Expects: exit 0 and a fixed list of lines.  A watchdog (SIGALRM, 8 s to
 * the end of the signals, 10 s to stop the threads) prints "FAIL:
 * watchdog: stuck in PHASE".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "compat.h"
#include "preempt.h"

#define KILLS 50
#define BURST 2000000

static long by_kill, by_tkill, by_other, on_blocker;
static pthread_t blocker_id;
static volatile int blocker_known;
static volatile int blocker_masked, blocker_stop;
static pid_t self_pid;

static void on_urg(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	pthread_t me = pthread_self();
	if (blocker_known && pthread_equal(me, blocker_id))
		__atomic_add_fetch(&on_blocker, 1, __ATOMIC_RELAXED);
	if (si->si_code == SI_USER && si->si_pid == self_pid) {
		__atomic_add_fetch(&by_kill, 1, __ATOMIC_RELAXED);
	} else if (si->si_code == SI_TKILL) {
		__atomic_add_fetch(&by_tkill, 1, __ATOMIC_RELAXED);
	} else {
		__atomic_add_fetch(&by_other, 1, __ATOMIC_RELAXED);
	}
}

static int still_blocked;

static void *blocker(void *arg)
{
	(void)arg;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGURG);
	must(pthread_sigmask(SIG_BLOCK, &s, NULL), "pthread_sigmask");
	blocker_masked = 1;
	volatile unsigned long n = 0;
	while (!blocker_stop) {
		for (long i = 0; i < BURST && !blocker_stop; i++)
			n++;
		sleep_ms(1);
	}
	sigset_t cur;
	must(pthread_sigmask(SIG_BLOCK, NULL, &cur), "pthread_sigmask query");
	still_blocked = sigismember(&cur, SIGURG);
	return NULL;
}

/* Sleep in 10 ms steps until *v reaches want, for at most 2 s. */
static void wait_for(long *v, long want)
{
	for (int i = 0; i < 200 && __atomic_load_n(v, __ATOMIC_RELAXED) < want; i++)
		sleep_ms(10);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(8);
	self_pid = getpid();

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_urg;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	must(sigaction(SIGURG, &sa, NULL), "sigaction");

	static struct spinner spinners[2];
	pthread_t sp[2], bl;
	phase = "starting the threads";
	for (int i = 0; i < 2; i++)
		sp[i] = spawn(spin, &spinners[i]);
	bl = spawn(blocker, NULL);
	blocker_id = bl;
	blocker_known = 1;
	phase = "waiting for the thread that blocks SIGURG";
	while (!blocker_masked)
		sleep_ms(1);

	phase = "kill(getpid(), SIGURG)";
	for (int i = 0; i < KILLS; i++) {
		must(kill(self_pid, SIGURG), "kill");
		sleep_ms(2);
	}
	phase = "waiting for the handler";
	wait_for(&by_kill, 1);

	phase = "stopping the threads";
	alarm(10);
	blocker_stop = 1;
	must(pthread_join(bl, NULL), "pthread_join blocker");
	spin_stop = 1;
	for (int i = 0; i < 2; i++)
		must(pthread_join(sp[i], NULL), "pthread_join spinner");
	sleep_ms(20); /* anything late would show now */

	fprintf(stderr, "preempt_sigurg: deliveries: kill %ld, tgkill %ld, other %ld\n", by_kill, by_tkill,
		by_other);
	long k = __atomic_load_n(&by_kill, __ATOMIC_RELAXED);
	printf("kill(): the handler ran: %s\n", k >= 1 ? "yes" : "no");
	printf("kill(): no more deliveries than the %d sent: %s\n", KILLS, k <= KILLS ? "yes" : "no");
	if (k < 1 || k > KILLS)
		failures++;
	expect_val("deliveries sent with tgkill (SI_TKILL)", by_tkill, 0);
	expect_val("deliveries from anything else", by_other, 0);
	expect_val("deliveries on the thread that blocks SIGURG", on_blocker, 0);
	expect_val("blocking thread: SIGURG still blocked", still_blocked, 1);

	struct sigaction old;
	must(sigaction(SIGURG, NULL, &old), "sigaction query");
	expect_val("sigaction reports the program's handler",
		   (void *)old.sa_sigaction == (void *)on_urg && (old.sa_flags & SA_SIGINFO), 1);
	sigset_t cur;
	must(pthread_sigmask(SIG_BLOCK, NULL, &cur), "pthread_sigmask query");
	expect_val("main: SIGURG blocked", sigismember(&cur, SIGURG), 0);
	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
