/* thread_kill_affinity: pthread_kill's answers, signals a thread sends
 * itself (raise, pthread_kill of pthread_self) arriving before the call
 * returns, and CPU affinity masks read and set on threads. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void handler(int sig) { got = sig; }

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int release;

static void *quick(void *arg) { return arg; }

static void *parked(void *arg)
{
	pthread_mutex_lock(&m);
	while (!release)
		pthread_cond_wait(&c, &m);
	pthread_mutex_unlock(&m);
	return arg;
}

static void *self_signals(void *arg)
{
	(void)arg;
	got = 0;
	int r = raise(SIGUSR1);
	printf("thread raise(SIGUSR1): %d, handled before return: %s\n", r, got == SIGUSR1 ? "yes" : "no");
	got = 0;
	r = pthread_kill(pthread_self(), SIGUSR2);
	printf("thread pthread_kill(self, SIGUSR2): %d, handled before return: %s\n", r,
	       got == SIGUSR2 ? "yes" : "no");
	/* Blocked: stays pending until unblocked, then arrives. */
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	got = 0;
	raise(SIGUSR1);
	printf("blocked raise handled at once: %s\n", got ? "yes" : "no");
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	printf("handled once unblocked: %s\n", got == SIGUSR1 ? "yes" : "no");

	/* SIGABRT and SIGALRM blocked and raised: pending for this thread
	 * (sigpending says so), not handled; sigwait takes one of them. */
	sigset_t two, pend;
	sigemptyset(&two);
	sigaddset(&two, SIGABRT);
	sigaddset(&two, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &two, NULL);
	got = 0;
	raise(SIGABRT);
	raise(SIGALRM);
	sigpending(&pend);
	printf("blocked SIGABRT, SIGALRM raised: handled %s, pending %d %d\n", got ? "yes" : "no",
	       sigismember(&pend, SIGABRT), sigismember(&pend, SIGALRM));
	sigset_t alrm;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	int sig = 0;
	int wr = sigwait(&alrm, &sig);
	printf("sigwait for SIGALRM: %d, signal %s\n", wr, sig == SIGALRM ? "SIGALRM" : "other");
	sigpending(&pend);
	printf("then pending %d %d\n", sigismember(&pend, SIGABRT), sigismember(&pend, SIGALRM));
	pthread_sigmask(SIG_UNBLOCK, &two, NULL);
	printf("SIGABRT handled once unblocked: %s\n", got == SIGABRT ? "yes" : "no");

	/* SIGKILL and SIGSTOP never enter a mask. */
	sigset_t ks, cur;
	sigemptyset(&ks);
	sigaddset(&ks, SIGKILL);
	sigaddset(&ks, SIGSTOP);
	pthread_sigmask(SIG_BLOCK, &ks, NULL);
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	printf("SIGKILL, SIGSTOP in the mask after blocking them: %d %d\n", sigismember(&cur, SIGKILL),
	       sigismember(&cur, SIGSTOP));
	return NULL;
}

/* A signal for the process, while main waits: main's sem_wait and
 * nanosleep end with EINTR, as natively.  The sender blocks the signal,
 * so the kernel gives it to main. */
static atomic_int main_returned;

static void *process_signaller(void *arg)
{
	(void)arg;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	/* Again until main's call returns: a signal that came before main
	 * reached it would not end it. */
	while (!atomic_load(&main_returned)) {
		usleep(50000);
		if (!atomic_load(&main_returned))
			kill(getpid(), SIGUSR1);
	}
	return NULL;
}

static void main_interrupted(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART */
	sem_t never;
	sem_init(&never, 0, 0);
	pthread_t t;
	got = 0;
	atomic_store(&main_returned, 0);
	pthread_create(&t, NULL, process_signaller, NULL);
	errno = 0;
	int r = sem_wait(&never);
	int e = errno;
	atomic_store(&main_returned, 1);
	printf("main's sem_wait, signal for the process: %d %s, handler ran: %s\n", r,
	       e == EINTR ? "EINTR" : strerror(e), got == SIGUSR1 ? "yes" : "no");
	pthread_join(t, NULL);
	got = 0;
	atomic_store(&main_returned, 0);
	pthread_create(&t, NULL, process_signaller, NULL);
	struct timespec ts = { 5, 0 }, rem = { 0, 0 };
	errno = 0;
	r = nanosleep(&ts, &rem);
	e = errno;
	atomic_store(&main_returned, 1);
	printf("main's nanosleep(5 s), signal for the process: %d %s, time left > 4 s: %s, handler ran: %s\n", r,
	       e == EINTR ? "EINTR" : strerror(e), rem.tv_sec >= 4 ? "yes" : "no", got == SIGUSR1 ? "yes" : "no");
	pthread_join(t, NULL);
	sem_destroy(&never);
	signal(SIGUSR1, handler);
}

static const char *err(int e)
{
	return e == 0 ? "0" : e == EINVAL ? "EINVAL" : e == ESRCH ? "ESRCH" : strerror(e);
}

int main(void)
{
	signal(SIGUSR1, handler);
	signal(SIGUSR2, handler);
	signal(SIGABRT, handler);
	signal(SIGALRM, handler);
	main_interrupted();
	pthread_t t, p;

	pthread_create(&t, NULL, quick, NULL);
	usleep(50000); /* t has exited, not yet joined */
	printf("exited thread, signal 0: %s\n", err(pthread_kill(t, 0)));
	printf("exited thread, signal 999: %s\n", err(pthread_kill(t, 999)));
	pthread_join(t, NULL);

	pthread_create(&p, NULL, parked, NULL);
	printf("live thread, signal 0: %s\n", err(pthread_kill(p, 0)));
	printf("live thread, signal -1: %s\n", err(pthread_kill(p, -1)));
	printf("live thread, signal 65: %s\n", err(pthread_kill(p, 65)));
	printf("live thread, SIGCANCEL: %s\n", err(pthread_kill(p, 32)));
	printf("self, signal 0: %s\n", err(pthread_kill(pthread_self(), 0)));

	cpu_set_t all, one, got_set, none;
	int r = pthread_getaffinity_np(p, sizeof all, &all);
	cpu_set_t proc;
	sched_getaffinity(0, sizeof proc, &proc);
	printf("getaffinity: %s, same CPUs as the process: %s\n", err(r), CPU_EQUAL(&all, &proc) ? "yes" : "no");
	printf("getaffinity with a 1-byte set: %s\n", err(pthread_getaffinity_np(p, 1, &got_set)));
	int first = -1;
	for (int i = 0; i < CPU_SETSIZE && first < 0; i++)
		if (CPU_ISSET(i, &all))
			first = i;
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	printf("setaffinity to one allowed CPU: %s\n", err(pthread_setaffinity_np(p, sizeof one, &one)));
	pthread_getaffinity_np(p, sizeof got_set, &got_set);
	printf("reads back that CPU only: %s\n", CPU_EQUAL(&got_set, &one) ? "yes" : "no");
	CPU_ZERO(&none);
	printf("setaffinity to no CPU: %s\n", err(pthread_setaffinity_np(p, sizeof none, &none)));
	CPU_ZERO(&none);
	CPU_SET(CPU_SETSIZE - 1, &none);
	printf("setaffinity to CPU %d only: %s\n", CPU_SETSIZE - 1, err(pthread_setaffinity_np(p, sizeof none, &none)));
	printf("setaffinity back to all: %s\n", err(pthread_setaffinity_np(p, sizeof all, &all)));

	pthread_mutex_lock(&m);
	release = 1;
	pthread_cond_broadcast(&c);
	pthread_mutex_unlock(&m);
	pthread_join(p, NULL);

	pthread_create(&t, NULL, self_signals, NULL);
	pthread_join(t, NULL);
	return 0;
}
