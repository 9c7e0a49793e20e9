/* sig_deliver: a signal sent to one thread runs its handler on that thread
 * and ends that thread's interruptible call, as natively (issue 13).
 *
 * Each case starts a target thread, which says it is about to block; main
 * waits until it has (natively: until /proc says the thread sleeps, at
 * least 50 ms) and then signals it.  The handler records whether it ran on
 * the target (pthread_equal(pthread_self(), target)) and sets a __thread
 * flag of the thread it ran on.  Every line says what the call returned and
 * where the handler ran ("yes"; "no (ran on another thread)" or "no (did
 * not run)" otherwise).
 *
 *  1. pthread_kill(SIGUSR1) to a thread that is
 *     a. spinning until its own __thread flag is set: the flag stops it;
 *     b. in sem_wait: -1 EINTR;
 *     c. in nanosleep(5 s): -1 EINTR with time left ("rem>0");
 *     d. in pthread_cond_wait: not ended by the handler; returns 0 once
 *        main signals the condition variable;
 *     e. in pthread_join of a thread main later lets go: returns 0;
 *     f. in read of an empty pipe: with SA_RESTART the read is restarted
 *        and returns the byte main writes 100 ms later; without it -1
 *        EINTR;
 *     g. in sigwait for SIGUSR2 (blocked): the handler does not end it;
 *        it returns SIGUSR2 once main sends that;
 *     h. in pause: -1 EINTR;
 *     i. in poll of an empty pipe (10 s time-out): -1 EINTR.
 *  2. To a thread that blocks SIGUSR1: the handler does not run while it
 *     is blocked, sigpending in that thread shows SIGUSR1, and the handler
 *     runs on that thread before its pthread_sigmask(SIG_UNBLOCK) returns.
 *  3. pthread_sigqueue(SIGRTMIN, 42) to a thread in sem_wait: an
 *     SA_SIGINFO handler sees si_code SI_QUEUE and the value 42.
 *  4. tgkill(getpid(), tid, SIGUSR1) with the tid the target took from
 *     gettid(), target in sem_wait: -1 EINTR.
 *  5. kill(getpid(), SIGUSR1) with SIGUSR1 blocked in every thread but one,
 *     which waits in sem_wait: the handler runs there, -1 EINTR.
 *  6. The daemon pattern: main blocks SIGTERM and SIGUSR2, then starts 4
 *     workers (they inherit the mask) and a thread that takes both with
 *     sigwait in a loop; three kill(getpid(), SIGUSR2), each once the last
 *     was taken, then SIGTERM: that thread prints each, in order, and ends
 *     on SIGTERM.
 *  7. Two pthread_sigqueue(SIGRTMIN+1) to a thread that blocks it: both
 *     queued and both delivered, in order, once it unblocks it.
 *  8. sigaltstack per thread: none at first, an SA_ONSTACK handler of a
 *     signal the thread sends itself runs on the one it set, ENOMEM when
 *     too small, disabled.
 *
 * Every wait of main is bounded: a call the signal did not end is ended
 * the ordinary way (sem_post, a byte written, ...) after a second, or,
 * where there is no such way (pause, nanosleep, sigwait), left behind with
 * "did not return" after one, so that a difference shows as a line and not
 * as a hang.
 *
 * Expects: exit 0 and the same lines natively and under mnthread; a claim
 * that does not hold natively adds a "FAIL: ..." line and exit 1; a
 * watchdog (SIGALRM, 30 s) prints "FAIL: watchdog: stuck in CASE".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "compat.h"

/* ---------------------------------------------------------------- handler */

/* The thread the signal is meant for, set by main before it sends. */
static pthread_t target_thread;
static __thread volatile sig_atomic_t here;
static atomic_int on_target, elsewhere, runs;
/* The first four runs' si_value and si_code, in the order they ran. */
static atomic_int slot;
static int run_value[4], run_code[4];

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	int e = errno;
	here = 1;
	int n = atomic_fetch_add(&slot, 1);
	if (n < 4) {
		run_value[n] = si->si_value.sival_int;
		run_code[n] = si->si_code;
	}
	if (pthread_equal(pthread_self(), target_thread))
		atomic_fetch_add(&on_target, 1);
	else
		atomic_fetch_add(&elsewhere, 1);
	atomic_fetch_add(&runs, 1);
	errno = e;
}

static void ignore_sig(int sig) { (void)sig; }

static void install(int sig, int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO | flags;
	must(sigaction(sig, &sa, NULL), "sigaction");
}

static void reset(pthread_t target)
{
	target_thread = target;
	atomic_store(&on_target, 0);
	atomic_store(&elsewhere, 0);
	atomic_store(&slot, 0);
	atomic_store(&runs, 0);
}

static const char *where(void)
{
	int t = atomic_load(&on_target), o = atomic_load(&elsewhere);
	if (t && !o)
		return "yes";
	if (t)
		return "yes, and on another thread too";
	return o ? "no (ran on another thread)" : "no (did not run)";
}

static void check(int ok, const char *what)
{
	if (!ok) {
		printf("FAIL: %s: not what Linux gives\n", what);
		failures++;
	}
}

static const char *signame(int sig)
{
	static char buf[16];
	if (sig == SIGUSR1)
		return "SIGUSR1";
	if (sig == SIGUSR2)
		return "SIGUSR2";
	if (sig == SIGTERM)
		return "SIGTERM";
	snprintf(buf, sizeof buf, "signal %d", sig);
	return buf;
}

/* ---------------------------------------------------------------- helpers */

/* Until *f is non-zero, at most ms; returns *f. */
static int wait_flag(atomic_int *f, int ms)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!atomic_load(f) && elapsed_ms(&t0) < ms)
		sleep_ms(1);
	return atomic_load(f);
}

/* Until *f is at least n, at most ms. */
static int wait_count(atomic_int *f, int n, int ms)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (atomic_load(f) < n && elapsed_ms(&t0) < ms)
		sleep_ms(1);
	return atomic_load(f) >= n;
}

/* The state letter of thread tid in /proc (R, S, ...), or 0 when there is
 * no such file (under mnthread gettid's id is no kernel thread's). */
static char proc_state(pid_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* A target thread's state. */
struct tgt {
	atomic_int started, done, sent;
	pid_t tid;
	long r;
	int err;
	int here;
	int extra;
	int fd;
	int sig; /* the signal a blocker blocks */
	sem_t sem;
};

static void announce(struct tgt *t)
{
	t->tid = gettid();
	atomic_store(&t->started, 1);
}

static void finished(struct tgt *t, long r)
{
	t->r = r;
	t->err = r < 0 ? errno : 0;
	t->here = here;
	atomic_store(&t->done, 1);
}

/* Main: until the target said it is about to block and has (a sleeping
 * state in /proc, where there is one; at least 50 ms). */
static void settle(struct tgt *t, int sleeps)
{
	if (!wait_flag(&t->started, 5000))
		FAIL("%s: the target thread did not start", phase);
	sleep_ms(50);
	if (!sleeps)
		return;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char s;
	while ((s = proc_state(t->tid)) != 0 && s != 'S' && elapsed_ms(&t0) < 2000)
		sleep_ms(2);
}

/* Main: wait at most ms for the target to end; joins it when it did, else
 * leaves it behind (detached).  Returns whether it ended. */
static int finish(struct tgt *t, pthread_t th, int ms)
{
	if (wait_flag(&t->done, ms)) {
		pthread_join(th, NULL);
		return 1;
	}
	pthread_detach(th);
	return 0;
}

/* "=-1 EINTR" or "=N" */
static const char *res(const struct tgt *t)
{
	static char buf[64];
	if (t->r < 0)
		snprintf(buf, sizeof buf, "=%ld %s", t->r, errname(t->err));
	else
		snprintf(buf, sizeof buf, "=%ld", t->r);
	return buf;
}

static int is_eintr(const struct tgt *t) { return t->r == -1 && t->err == EINTR; }

/* ---------------------------------------------------------------- case 1 */

static atomic_int give_up;

static void *spinner(void *arg)
{
	struct tgt *t = arg;
	announce(t);
	while (!here && !atomic_load(&give_up))
		;
	finished(t, 0);
	return NULL;
}

static void case_spin(void)
{
	static struct tgt t;
	phase = "spinning thread";
	install(SIGUSR1, 0);
	pthread_t th = spawn(spinner, &t);
	reset(th);
	settle(&t, 0);
	must(pthread_kill(th, SIGUSR1), "pthread_kill");
	if (!wait_flag(&t.done, 1000))
		atomic_store(&give_up, 1);
	int ended = finish(&t, th, 1000);
	printf("pthread_kill to a spinning thread: stopped by its own flag: %s, handler ran on target: %s\n",
	       !ended ? "did not stop" : t.here ? "yes" : "no", where());
	check(ended && t.here && atomic_load(&on_target) == 1, phase);
}

static void *sem_waiter(void *arg)
{
	struct tgt *t = arg;
	announce(t);
	finished(t, sem_wait(&t->sem));
	return NULL;
}

/* Main: a target in sem_wait that the signal should end; sem_post after a
 * second if it did not. */
static int sem_case(struct tgt *t, pthread_t th)
{
	if (!wait_flag(&t->done, 1000))
		sem_post(&t->sem);
	int ended = finish(t, th, 1000);
	sem_destroy(&t->sem);
	return ended;
}

static void case_sem_wait(void)
{
	static struct tgt t;
	phase = "sem_wait";
	install(SIGUSR1, 0);
	sem_init(&t.sem, 0, 0);
	pthread_t th = spawn(sem_waiter, &t);
	reset(th);
	settle(&t, 1);
	must(pthread_kill(th, SIGUSR1), "pthread_kill");
	int ended = sem_case(&t, th);
	printf("pthread_kill to thread in sem_wait: sem_wait%s, handler ran on target: %s\n",
	       ended ? res(&t) : " did not return", where());
	check(ended && is_eintr(&t) && atomic_load(&on_target) == 1, phase);
}

static void *sleeper(void *arg)
{
	struct tgt *t = arg;
	struct timespec ts = { 5, 0 }, rem = { 0, 0 };
	announce(t);
	long r = nanosleep(&ts, &rem);
	t->extra = rem.tv_sec > 0 || rem.tv_nsec > 0;
	finished(t, r);
	return NULL;
}

static void case_nanosleep(void)
{
	static struct tgt t;
	phase = "nanosleep";
	install(SIGUSR1, 0);
	pthread_t th = spawn(sleeper, &t);
	reset(th);
	settle(&t, 1);
	must(pthread_kill(th, SIGUSR1), "pthread_kill");
	int ended = finish(&t, th, 1000);
	printf("pthread_kill to thread in nanosleep(5 s): nanosleep%s%s, handler ran on target: %s\n",
	       ended ? res(&t) : " did not return within 1 s", ended && t.extra ? " rem>0" : "", where());
	check(ended && is_eintr(&t) && t.extra && atomic_load(&on_target) == 1, phase);
}

static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int cond_ready;

static void *cond_waiter(void *arg)
{
	struct tgt *t = arg;
	int r = 0;
	pthread_mutex_lock(&cm);
	announce(t);
	while (!cond_ready && r == 0)
		r = pthread_cond_wait(&cv, &cm);
	pthread_mutex_unlock(&cm);
	errno = r;
	finished(t, r ? -1 : 0);
	return NULL;
}

static void case_cond_wait(void)
{
	static struct tgt t;
	phase = "pthread_cond_wait";
	install(SIGUSR1, 0);
	pthread_t th = spawn(cond_waiter, &t);
	reset(th);
	settle(&t, 1);
	must(pthread_kill(th, SIGUSR1), "pthread_kill");
	wait_flag(&runs, 1000);
	sleep_ms(20);
	int waiting = !atomic_load(&t.done);
	pthread_mutex_lock(&cm);
	cond_ready = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&cm);
	int ended = finish(&t, th, 1000);
	printf("pthread_kill to thread in pthread_cond_wait: still waiting after the handler: %s, "
	       "pthread_cond_wait%s once signalled, handler ran on target: %s\n",
	       waiting ? "yes" : "no", ended ? res(&t) : " did not return", where());
	check(waiting && ended && t.r == 0 && atomic_load(&on_target) == 1, phase);
}

static sem_t join_release;

static void *joinee(void *arg)
{
	while (sem_wait(&join_release) != 0)
		;
	return arg;
}

static void *joiner(void *arg)
{
	struct tgt *t = arg;
	pthread_t w = spawn(joinee, NULL);
	announce(t);
	int r = pthread_join(w, NULL);
	errno = r;
	finished(t, r ? -1 : 0);
	return NULL;
}

static void case_join(void)
{
	static struct tgt t;
	phase = "pthread_join";
	install(SIGUSR1, 0);
	sem_init(&join_release, 0, 0);
	pthread_t th = spawn(joiner, &t);
	reset(th);
	settle(&t, 1);
	must(pthread_kill(th, SIGUSR1), "pthread_kill");
	wait_flag(&runs, 1000);
	sleep_ms(20);
	int waiting = !atomic_load(&t.done);
	sem_post(&join_release);
	int ended = finish(&t, th, 1000);
	printf("pthread_kill to thread in pthread_join: still joining after the handler: %s, "
	       "pthread_join%s once the other thread ended, handler ran on target: %s\n",
	       waiting ? "yes" : "no", ended ? res(&t) : " did not return", where());
	check(waiting && ended && t.r == 0 && atomic_load(&on_target) == 1, phase);
	sem_destroy(&join_release);
}

static void *reader(void *arg)
{
	struct tgt *t = arg;
	char c = 0;
	announce(t);
	long r = read(t->fd, &c, 1);
	t->extra = c;
	finished(t, r);
	return NULL;
}

static void case_read(int restart)
{
	static struct tgt ts[2];
	struct tgt *t = &ts[restart];
	int p[2];
	phase = restart ? "read, SA_RESTART" : "read, no SA_RESTART";
	install(SIGUSR1, restart ? SA_RESTART : 0);
	must(pipe(p), "pipe");
	t->fd = p[0];
	pthread_t th = spawn(reader, t);
	reset(th);
	settle(t, 1);
	must(pthread_kill(th, SIGUSR1), "pthread_kill");
	wait_flag(&runs, 1000);
	sleep_ms(100);
	must(write(p[1], "x", 1) == 1 ? 0 : -1, "write");
	int ended = finish(t, th, 1000);
	printf("pthread_kill to thread in read of an empty pipe, %s: read%s%s, handler ran on target: %s\n",
	       restart ? "SA_RESTART" : "no SA_RESTART", ended ? res(t) : " did not return",
	       ended && t->r == 1 ? (t->extra == 'x' ? " (the byte written later)" : " (another byte)") : "",
	       where());
	if (restart)
		check(ended && t->r == 1 && t->extra == 'x' && atomic_load(&on_target) == 1, phase);
	else
		check(ended && is_eintr(t) && atomic_load(&on_target) == 1, phase);
	if (ended)
		close(p[0]);
	close(p[1]);
}

static void *sigwaiter(void *arg)
{
	struct tgt *t = arg;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	int sig = 0;
	announce(t);
	int r = sigwait(&s, &sig);
	t->extra = sig;
	errno = r;
	finished(t, r ? -1 : 0);
	return NULL;
}

static void case_sigwait(void)
{
	static struct tgt t;
	sigset_t s, old;
	phase = "sigwait";
	install(SIGUSR1, 0);
	/* Blocked in main, so blocked in the target too (and a SIGUSR2 for
	 * the process does not go to main). */
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	must(pthread_sigmask(SIG_BLOCK, &s, &old), "pthread_sigmask");
	pthread_t th = spawn(sigwaiter, &t);
	reset(th);
	settle(&t, 1);
	must(pthread_kill(th, SIGUSR1), "pthread_kill");
	wait_flag(&runs, 1000);
	sleep_ms(20);
	int waiting = !atomic_load(&t.done);
	must(pthread_kill(th, SIGUSR2), "pthread_kill");
	int ended = finish(&t, th, 1000);
	printf("pthread_kill to thread in sigwait for SIGUSR2: still waiting after the SIGUSR1 handler: %s, "
	       "sigwait%s%s%s once sent SIGUSR2, handler ran on target: %s\n",
	       waiting ? "yes" : "no", ended ? res(&t) : " did not return", ended && t.r == 0 ? " " : "",
	       ended && t.r == 0 ? signame(t.extra) : "", where());
	check(waiting && ended && t.r == 0 && t.extra == SIGUSR2 && atomic_load(&on_target) == 1, phase);
	must(pthread_sigmask(SIG_SETMASK, &old, NULL), "pthread_sigmask");
}

static void *pauser(void *arg)
{
	struct tgt *t = arg;
	announce(t);
	finished(t, pause());
	return NULL;
}

static void case_pause(void)
{
	static struct tgt t;
	phase = "pause";
	install(SIGUSR1, 0);
	pthread_t th = spawn(pauser, &t);
	reset(th);
	settle(&t, 1);
	must(pthread_kill(th, SIGUSR1), "pthread_kill");
	int ended = finish(&t, th, 1000);
	printf("pthread_kill to thread in pause: pause%s, handler ran on target: %s\n",
	       ended ? res(&t) : " did not return within 1 s", where());
	check(ended && is_eintr(&t) && atomic_load(&on_target) == 1, phase);
}

static void *poller(void *arg)
{
	struct tgt *t = arg;
	struct pollfd pf = { t->fd, POLLIN, 0 };
	announce(t);
	finished(t, poll(&pf, 1, 10000));
	return NULL;
}

static void case_poll(void)
{
	static struct tgt t;
	int p[2];
	phase = "poll";
	install(SIGUSR1, 0);
	must(pipe(p), "pipe");
	t.fd = p[0];
	pthread_t th = spawn(poller, &t);
	reset(th);
	settle(&t, 1);
	must(pthread_kill(th, SIGUSR1), "pthread_kill");
	if (!wait_flag(&t.done, 1000))
		must(write(p[1], "x", 1) == 1 ? 0 : -1, "write");
	int ended = finish(&t, th, 1000);
	printf("pthread_kill to thread in poll of an empty pipe (10 s): poll%s, handler ran on target: %s\n",
	       ended ? res(&t) : " did not return", where());
	check(ended && is_eintr(&t) && atomic_load(&on_target) == 1, phase);
	if (ended)
		close(p[0]);
	close(p[1]);
}

/* ---------------------------------------------------------------- case 2 */

static void *blocker(void *arg)
{
	struct tgt *t = arg;
	sigset_t s, pend;
	sigemptyset(&s);
	sigaddset(&s, t->sig);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	announce(t);
	/* Until main has sent the signal(s). */
	wait_flag(&t->sent, 2000);
	t->extra = atomic_load(&runs); /* handler runs while blocked */
	sigemptyset(&pend);
	sigpending(&pend);
	int pending = sigismember(&pend, t->sig) == 1;
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	t->here = here;
	t->r = atomic_load(&runs); /* runs once unblocked */
	t->err = pending;
	atomic_store(&t->done, 1);
	return NULL;
}

static void case_blocked(void)
{
	static struct tgt t;
	phase = "blocked SIGUSR1";
	install(SIGUSR1, 0);
	t.sig = SIGUSR1;
	pthread_t th = spawn(blocker, &t);
	reset(th);
	settle(&t, 0);
	must(pthread_kill(th, SIGUSR1), "pthread_kill");
	atomic_store(&t.sent, 1);
	int ended = finish(&t, th, 3000);
	printf("pthread_kill to thread blocking SIGUSR1: handler ran while blocked: %s, "
	       "sigpending there has SIGUSR1: %s, handler ran before pthread_sigmask(SIG_UNBLOCK) returned: %s, "
	       "handler ran on target: %s\n",
	       t.extra ? "yes" : "no", t.err ? "yes" : "no", !ended ? "did not return" : t.here ? "yes" : "no",
	       where());
	check(ended && !t.extra && t.err && t.here && t.r == 1 && atomic_load(&on_target) == 1, phase);
}

/* ---------------------------------------------------------------- case 3 */

static const char *codename(int code)
{
	static char buf[32];
	switch (code) {
	case SI_QUEUE: return "SI_QUEUE";
	case SI_TKILL: return "SI_TKILL";
	case SI_USER: return "SI_USER";
	}
	snprintf(buf, sizeof buf, "%d", code);
	return buf;
}

static void case_sigqueue(void)
{
	static struct tgt t;
	phase = "pthread_sigqueue";
	install(SIGRTMIN, 0);
	sem_init(&t.sem, 0, 0);
	pthread_t th = spawn(sem_waiter, &t);
	reset(th);
	settle(&t, 1);
	union sigval v = { .sival_int = 42 };
	int q = pthread_sigqueue(th, SIGRTMIN, v);
	int ran = wait_flag(&runs, 1000);
	int ended = sem_case(&t, th);
	printf("pthread_sigqueue(SIGRTMIN, 42) to thread in sem_wait: pthread_sigqueue=%s, ", errname(q));
	if (ran)
		printf("si_code=%s, si_value=%d, ", codename(run_code[0]), run_value[0]);
	else
		printf("no handler ran, ");
	printf("sem_wait%s, handler ran on target: %s\n", ended ? res(&t) : " did not return", where());
	check(q == 0 && ran && run_code[0] == SI_QUEUE && run_value[0] == 42 && ended && is_eintr(&t) &&
		      atomic_load(&on_target) == 1,
	      phase);
}

/* ---------------------------------------------------------------- case 4 */

static void case_tgkill(void)
{
	static struct tgt t;
	phase = "tgkill";
	install(SIGUSR1, 0);
	sem_init(&t.sem, 0, 0);
	pthread_t th = spawn(sem_waiter, &t);
	reset(th);
	settle(&t, 1);
	long k = syscall(SYS_tgkill, (long)getpid(), (long)t.tid, (long)SIGUSR1);
	int ke = errno;
	int ended = sem_case(&t, th);
	printf("tgkill(getpid(), gettid() of the target, SIGUSR1) to thread in sem_wait: tgkill=%ld%s%s, "
	       "sem_wait%s, handler ran on target: %s\n",
	       k, k < 0 ? " " : "", k < 0 ? errname(ke) : "", ended ? res(&t) : " did not return", where());
	check(k == 0 && ended && is_eintr(&t) && atomic_load(&on_target) == 1, phase);
}

/* ---------------------------------------------------------------- case 5 */

static void *unblocked_sem_waiter(void *arg)
{
	struct tgt *t = arg;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	return sem_waiter(t);
}

static sem_t bystander_release;
static atomic_int bystanders_parked;

static void *bystander(void *arg)
{
	atomic_fetch_add(&bystanders_parked, 1);
	while (sem_wait(&bystander_release) != 0)
		;
	return arg;
}

static void case_process(void)
{
	static struct tgt t;
	sigset_t s, old;
	phase = "kill to the process";
	install(SIGUSR1, 0);
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	must(pthread_sigmask(SIG_BLOCK, &s, &old), "pthread_sigmask");
	sem_init(&bystander_release, 0, 0);
	sem_init(&t.sem, 0, 0);
	pthread_t by[2];
	for (int i = 0; i < 2; i++)
		by[i] = spawn(bystander, NULL);
	pthread_t th = spawn(unblocked_sem_waiter, &t);
	reset(th);
	wait_count(&bystanders_parked, 2, 5000);
	settle(&t, 1);
	int k = kill(getpid(), SIGUSR1);
	int ended = sem_case(&t, th);
	printf("kill(getpid(), SIGUSR1), unblocked in one thread only, in sem_wait: kill=%d, sem_wait%s, "
	       "handler ran on that thread: %s\n",
	       k, ended ? res(&t) : " did not return", where());
	check(k == 0 && ended && is_eintr(&t) && atomic_load(&on_target) == 1, phase);
	for (int i = 0; i < 2; i++)
		sem_post(&bystander_release);
	for (int i = 0; i < 2; i++)
		pthread_join(by[i], NULL);
	sem_destroy(&bystander_release);
	/* A signal still pending here (it reached no thread) runs now, on
	 * main; it is not counted. */
	must(pthread_sigmask(SIG_SETMASK, &old, NULL), "pthread_sigmask");
}

/* ---------------------------------------------------------------- case 6 */

static sem_t worker_release;
static atomic_int workers_masked, workers_parked, daemon_taken, daemon_ended;

static void *worker(void *arg)
{
	sigset_t cur;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	if (sigismember(&cur, SIGTERM) == 1 && sigismember(&cur, SIGUSR2) == 1)
		atomic_fetch_add(&workers_masked, 1);
	atomic_fetch_add(&workers_parked, 1);
	while (sem_wait(&worker_release) != 0)
		;
	return arg;
}

static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	for (;;) {
		int sig = 0;
		int r = sigwait(set, &sig);
		if (r != 0) {
			printf("signal thread: sigwait=%s\n", errname(r));
			break;
		}
		printf("signal thread: sigwait took %s\n", signame(sig));
		atomic_fetch_add(&daemon_taken, 1);
		if (sig == SIGTERM)
			break;
	}
	atomic_store(&daemon_ended, 1);
	return NULL;
}

static void case_daemon(void)
{
	static sigset_t set;
	phase = "daemon sigwait";
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR2);
	/* SIGTERM stays blocked in main from here on: one that reached no
	 * thread must not end the program. */
	must(pthread_sigmask(SIG_BLOCK, &set, NULL), "pthread_sigmask");
	sem_init(&worker_release, 0, 0);
	pthread_t w[4];
	for (int i = 0; i < 4; i++)
		w[i] = spawn(worker, NULL);
	pthread_t st = spawn(signal_thread, &set);
	wait_count(&workers_parked, 4, 5000);
	sleep_ms(50);
	printf("daemon: workers that inherited SIGTERM and SIGUSR2 blocked: %d of 4\n", atomic_load(&workers_masked));
	int ok = atomic_load(&workers_masked) == 4;
	for (int i = 0; i < 3; i++) {
		must(kill(getpid(), SIGUSR2), "kill");
		if (!wait_count(&daemon_taken, i + 1, 1000)) {
			printf("daemon: SIGUSR2 number %d not taken within 1 s\n", i + 1);
			ok = 0;
			break;
		}
	}
	must(kill(getpid(), SIGTERM), "kill");
	int stopped = wait_flag(&daemon_ended, 1000);
	if (stopped) {
		pthread_join(st, NULL);
		printf("daemon: signal thread ended: yes, signals taken: %d\n", atomic_load(&daemon_taken));
	} else {
		pthread_detach(st);
		printf("daemon: signal thread ended: not within 1 s of SIGTERM, signals taken: %d\n",
		       atomic_load(&daemon_taken));
	}
	check(ok && stopped && atomic_load(&daemon_taken) == 4, phase);
	for (int i = 0; i < 4; i++)
		sem_post(&worker_release);
	for (int i = 0; i < 4; i++)
		pthread_join(w[i], NULL);
	sem_destroy(&worker_release);
	/* SIGUSR2 unblocked again (a handler is installed); SIGTERM not. */
	sigset_t u;
	sigemptyset(&u);
	sigaddset(&u, SIGUSR2);
	must(pthread_sigmask(SIG_UNBLOCK, &u, NULL), "pthread_sigmask");
}

/* ---------------------------------------------------------------- case 7 */

static void case_rt_queue(void)
{
	static struct tgt t;
	phase = "queued RT signals";
	int sig = SIGRTMIN + 1;
	install(sig, 0);
	t.sig = sig;
	pthread_t th = spawn(blocker, &t);
	reset(th);
	settle(&t, 0);
	union sigval v1 = { .sival_int = 1 }, v2 = { .sival_int = 2 };
	int q1 = pthread_sigqueue(th, sig, v1);
	int q2 = pthread_sigqueue(th, sig, v2);
	atomic_store(&t.sent, 1);
	int ended = finish(&t, th, 3000);
	wait_count(&runs, 2, 200);
	int n = atomic_load(&runs);
	printf("two pthread_sigqueue(SIGRTMIN+1) to thread blocking it: pthread_sigqueue=%s %s, "
	       "handler ran while blocked: %s, pending there: %s, ",
	       errname(q1), errname(q2), t.extra ? "yes" : "no", t.err ? "yes" : "no");
	printf("delivered before pthread_sigmask(SIG_UNBLOCK) returned: %ld", ended ? t.r : -1L);
	if (n >= 2)
		printf(" (values %d %d)", run_value[0], run_value[1]);
	printf(", handler ran on target: %s\n", where());
	check(q1 == 0 && q2 == 0 && ended && !t.extra && t.err && t.r == 2 && run_value[0] == 1 &&
		      run_value[1] == 2 && atomic_load(&on_target) == 2,
	      phase);
}

/* ---------------------------------------------------------------- case 8 */
/* A thread's own sigaltstack: a new thread has none; an SA_ONSTACK handler
 * of a signal it sends itself runs on the one it set; too small a stack
 * is ENOMEM; disabling it works. */
static char *alt_mem;
static volatile int alt_on;
static void alt_handler(int sig)
{
	(void)sig;
	char probe;
	alt_on = &probe >= alt_mem && &probe < alt_mem + 65536;
}

static void *alt_thread(void *arg)
{
	int *res = arg;
	stack_t o;
	res[0] = sigaltstack(NULL, &o) == 0 && (o.ss_flags & SS_DISABLE);
	stack_t ss = { .ss_sp = alt_mem, .ss_size = 65536, .ss_flags = 0 };
	res[1] = sigaltstack(&ss, NULL) == 0;
	pthread_kill(pthread_self(), SIGUSR2);
	res[2] = alt_on;
	res[3] = sigaltstack(NULL, &o) == 0 && o.ss_sp == alt_mem && o.ss_size == 65536 && o.ss_flags == 0;
	stack_t small = { .ss_sp = alt_mem, .ss_size = 100, .ss_flags = 0 };
	res[4] = sigaltstack(&small, NULL) == -1 && errno == ENOMEM;
	ss.ss_flags = SS_DISABLE;
	res[5] = sigaltstack(&ss, NULL) == 0 && sigaltstack(NULL, &o) == 0 && (o.ss_flags & SS_DISABLE);
	return NULL;
}

static void case_altstack(void)
{
	phase = "sigaltstack";
	alt_mem = malloc(65536);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = alt_handler;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR2, &sa, NULL);
	int res[6] = { 0 };
	pthread_t th = spawn(alt_thread, res);
	pthread_join(th, NULL);
	signal(SIGUSR2, ignore_sig);
	printf("a thread's sigaltstack: none at first: %s, set: %s, SA_ONSTACK handler ran on it: %s, "
	       "read back: %s, too small: ENOMEM: %s, disabled: %s\n",
	       res[0] ? "yes" : "no", res[1] ? "yes" : "no", res[2] ? "yes" : "no", res[3] ? "yes" : "no",
	       res[4] ? "yes" : "no", res[5] ? "yes" : "no");
	check(res[0] && res[1] && res[2] && res[3] && res[4] && res[5], phase);
	free(alt_mem);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(30);
	/* A stray SIGUSR2 (sent to the process) must not end the program. */
	signal(SIGUSR2, ignore_sig);

	case_spin();
	case_sem_wait();
	case_nanosleep();
	case_cond_wait();
	case_join();
	case_read(1);
	case_read(0);
	case_sigwait();
	case_pause();
	case_poll();
	case_blocked();
	case_sigqueue();
	case_tgkill();
	case_process();
	case_daemon();
	case_rt_queue();
	case_altstack();
	phase = "end";
	printf("%s\n", failures ? "some cases differ from Linux" : "all done");
	return failures ? 1 : 0;
}
