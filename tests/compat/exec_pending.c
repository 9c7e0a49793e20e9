/* exec_pending: signals pending for a thread survive its exec, as the
 * kernel keeps them (issue 13).
 *
 * A thread (main, then another thread) blocks SIGUSR1 and SIGRTMIN,
 * sends itself SIGUSR1 (raise) and SIGRTMIN twice with values 42 and 43
 * (pthread_sigqueue), and execs this program again with the argument
 * "child", which prints which of the two are pending, takes them with
 * sigwaitinfo and prints their values.
 *
 * Expects: the same lines natively and under mnthread, exit 0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "compat.h"

static void child(const char *who)
{
	sigset_t p, s;
	sigpending(&p);
	printf("after exec by %s: SIGUSR1 pending %d, SIGRTMIN pending %d\n", who, sigismember(&p, SIGUSR1),
	       sigismember(&p, SIGRTMIN));
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGRTMIN);
	struct timespec zero = { 0, 0 };
	siginfo_t si;
	int sig;
	while ((sig = sigtimedwait(&s, &si, &zero)) > 0) {
		if (sig == SIGRTMIN)
			printf("  took SIGRTMIN, value %d\n", si.si_value.sival_int);
		else
			printf("  took SIGUSR1\n");
	}
}

static char *self;

static void go(const char *who)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGRTMIN);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	raise(SIGUSR1);
	pthread_sigqueue(pthread_self(), SIGRTMIN, (union sigval){ .sival_int = 42 });
	pthread_sigqueue(pthread_self(), SIGRTMIN, (union sigval){ .sival_int = 43 });
	fflush(stdout);
	char *argv[] = { self, (char *)"child", (char *)who, NULL };
	execv(self, argv);
	printf("execv: %s\n", strerror(errno));
}

static void *thread(void *arg)
{
	go((const char *)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && strcmp(argv[1], "child") == 0) {
		child(argv[2]);
		if (strcmp(argv[2], "main") == 0) {
			/* then from a thread other than main */
			self = argv[0];
			pthread_t t;
			pthread_create(&t, NULL, thread, (void *)"a thread");
			pthread_join(t, NULL);
		}
		return 0;
	}
	self = argv[0];
	go("main");
	return 1;
}
