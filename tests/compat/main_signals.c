/* tests/compat/main_signals.c: main is an ordinary thread, and still the
 * process's own.
 *
 *  1. Its ids: gettid() == getpid() in main, and not in a thread.
 *  2. tgkill(getpid(), getpid(), SIGUSR1) through syscall(): the handler
 *     runs on main (pthread_self() is main's), while a thread spins.
 *  3. pthread_kill(main) from a thread while main sleeps in nanosleep:
 *     the handler runs on main, nanosleep says EINTR with time left.
 *  4. alarm() while main waits in sem_wait (handler without SA_RESTART):
 *     the handler runs on main, sem_wait says EINTR; the workers block
 *     SIGALRM.
 *  5. kill(getpid(), SIGUSR1) while main blocks it and one thread does
 *     not: the handler runs on that thread.
 *  6. The signalfd pattern: main blocks SIGUSR2 and SIGTERM, reads them
 *     from its signalfd (poll, read) as a thread sends them with kill.
 *  7. pthread_setname_np(main) renames the process (/proc/self/comm,
 *     the initial thread's).
 *  9. pthread_kill to threads waiting for a mutex, a write lock and a
 *     barrier: each runs the handler in its wait and goes on waiting
 *     (the lock is theirs only once released).
 *  8. closefrom(3) and close_range(3, ~0U, 0) close the program's
 *     descriptors and nothing else: signals and a pipe between threads
 *     work after them.
 *
 * Expects: the same lines natively and under mnthread, exit 0; a
 * watchdog (30 s) prints "FAIL: watchdog: stuck in CASE".
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
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "compat.h"

static pthread_t main_thread;
static atomic_int on_main, elsewhere, stop;
#define watchdog on_alarm

static void on_sig(int sig)
{
	(void)sig;
	if (pthread_equal(pthread_self(), main_thread))
		atomic_fetch_add(&on_main, 1);
	else
		atomic_fetch_add(&elsewhere, 1);
}

static void install(int sig, int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sig;
	sa.sa_flags = flags;
	must(sigaction(sig, &sa, NULL), "sigaction");
}

static void reset(void)
{
	atomic_store(&on_main, 0);
	atomic_store(&elsewhere, 0);
}


static void *spin(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		;
	return NULL;
}

static void *gettid_thread(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)(gettid() == getpid());
}

static void *kill_main_later(void *arg)
{
	(void)arg;
	usleep(100000);
	pthread_kill(main_thread, SIGUSR1);
	return NULL;
}

static void *block_alrm(void *arg)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	sem_wait(arg);
	return NULL;
}

static atomic_int taker_ready;
static void *take_usr1(void *arg)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	atomic_store(&taker_ready, 1);
	while (atomic_load(&elsewhere) == 0 && !atomic_load(&stop))
		usleep(1000);
	return arg;
}

static void *send_two(void *arg)
{
	(void)arg;
	usleep(50000);
	kill(getpid(), SIGUSR2);
	usleep(50000);
	kill(getpid(), SIGTERM);
	return NULL;
}

static pthread_mutex_t wm = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t wl = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t wb;
static atomic_int got_lock[3], ran_in[3];
static __thread int my_kind = -1;
static void on_kind(int sig)
{
	(void)sig;
	if (my_kind >= 0)
		atomic_store(&ran_in[my_kind], 1);
}
static void *lock_waiter(void *arg)
{
	int k = (int)(intptr_t)arg;
	my_kind = k;
	if (k == 0) {
		pthread_mutex_lock(&wm);
		atomic_store(&got_lock[0], 1);
		pthread_mutex_unlock(&wm);
	} else if (k == 1) {
		pthread_rwlock_wrlock(&wl);
		atomic_store(&got_lock[1], 1);
		pthread_rwlock_unlock(&wl);
	} else {
		pthread_barrier_wait(&wb);
		atomic_store(&got_lock[2], 1);
	}
	return NULL;
}

static int fd_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

static void *pipe_reader(void *arg)
{
	int *p = arg;
	char c = 0;
	ssize_t n = read(p[0], &c, 1);
	return (void *)(intptr_t)(n == 1 && c == 'x');
}

int main(void)
{
	main_thread = pthread_self();
	signal(SIGALRM, watchdog);
	alarm(30);
	void *res;
	pthread_t t, t2;

	phase = "ids";
	printf("main: gettid() == getpid(): %s\n", gettid() == getpid() ? "yes" : "no");
	must(pthread_create(&t, NULL, gettid_thread, NULL), "pthread_create");
	pthread_join(t, &res);
	printf("thread: gettid() == getpid(): %s\n", res ? "yes" : "no");

	phase = "tgkill to main";
	install(SIGUSR1, SA_RESTART);
	reset();
	atomic_store(&stop, 0);
	must(pthread_create(&t, NULL, spin, NULL), "pthread_create");
	long r = syscall(SYS_tgkill, getpid(), getpid(), SIGUSR1);
	printf("tgkill(pid, pid): %ld, handler ran on main: %s\n", r, on_main == 1 && !elsewhere ? "yes" : "no");
	atomic_store(&stop, 1);
	pthread_join(t, NULL);

	phase = "pthread_kill main in nanosleep";
	install(SIGUSR1, 0);
	reset();
	must(pthread_create(&t, NULL, kill_main_later, NULL), "pthread_create");
	struct timespec req = { 5, 0 }, rem = { 0, 0 };
	int nr = nanosleep(&req, &rem);
	int ne = errno;
	printf("nanosleep: %d %s, time left: %s, handler ran on main: %s\n", nr, nr ? strerror(ne) : "",
	       rem.tv_sec >= 3 ? "yes" : "no", on_main == 1 && !elsewhere ? "yes" : "no");
	pthread_join(t, NULL);

	phase = "alarm while main waits in sem_wait";
	sem_t sem;
	sem_init(&sem, 0, 0);
	pthread_t w[3];
	for (int i = 0; i < 3; i++)
		must(pthread_create(&w[i], NULL, block_alrm, &sem), "pthread_create");
	install(SIGALRM, 0);
	reset();
	alarm(1);
	int sr = sem_wait(&sem);
	int se = errno;
	printf("sem_wait: %d %s, SIGALRM handler ran on main: %s\n", sr, sr ? strerror(se) : "",
	       on_main == 1 && !elsewhere ? "yes" : "no");
	for (int i = 0; i < 3; i++)
		sem_post(&sem);
	for (int i = 0; i < 3; i++)
		pthread_join(w[i], NULL);
	signal(SIGALRM, watchdog);
	alarm(30);

	phase = "kill with main blocking it";
	sigset_t u1;
	sigemptyset(&u1);
	sigaddset(&u1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &u1, NULL);
	reset();
	atomic_store(&stop, 0);
	atomic_store(&taker_ready, 0);
	must(pthread_create(&t, NULL, take_usr1, NULL), "pthread_create");
	while (!atomic_load(&taker_ready))
		usleep(1000);
	kill(getpid(), SIGUSR1);
	for (int i = 0; i < 2000 && !atomic_load(&elsewhere); i++)
		usleep(1000);
	printf("kill: handler ran on the thread that takes it: %s\n", elsewhere == 1 && !on_main ? "yes" : "no");
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	pthread_sigmask(SIG_UNBLOCK, &u1, NULL);

	phase = "signalfd";
	sigset_t s2;
	sigemptyset(&s2);
	sigaddset(&s2, SIGUSR2);
	sigaddset(&s2, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &s2, NULL);
	int sfd = signalfd(-1, &s2, SFD_CLOEXEC);
	must(pthread_create(&t, NULL, send_two, NULL), "pthread_create");
	for (int i = 0; i < 2; i++) {
		struct pollfd p = { sfd, POLLIN, 0 };
		struct signalfd_siginfo si;
		if (poll(&p, 1, 3000) != 1 || read(sfd, &si, sizeof si) != sizeof si) {
			printf("signalfd: nothing to read within 3 s\n");
			break;
		}
		printf("signalfd: read %s, from this process: %s\n", si.ssi_signo == SIGUSR2 ? "SIGUSR2" : si.ssi_signo == SIGTERM ? "SIGTERM" : "another",
		       (pid_t)si.ssi_pid == getpid() ? "yes" : "no");
	}
	pthread_join(t, NULL);
	close(sfd);

	phase = "name";
	pthread_setname_np(pthread_self(), "mainsig-renamed");
	char comm[32] = "";
	FILE *f = fopen("/proc/self/comm", "r");
	if (f && fgets(comm, sizeof comm, f))
		comm[strcspn(comm, "\n")] = 0;
	if (f)
		fclose(f);
	printf("main renamed: /proc/self/comm is %s\n", comm);

	phase = "signals in lock waits";
	struct sigaction ka;
	memset(&ka, 0, sizeof ka);
	ka.sa_handler = on_kind;
	must(sigaction(SIGUSR1, &ka, NULL), "sigaction");
	pthread_barrier_init(&wb, NULL, 2);
	pthread_mutex_lock(&wm);
	pthread_rwlock_rdlock(&wl);
	const char *kinds[3] = { "mutex", "write lock", "barrier" };
	for (int k = 0; k < 3; k++) {
		pthread_t lt;
		must(pthread_create(&lt, NULL, lock_waiter, (void *)(intptr_t)k), "pthread_create");
		usleep(100000);
		pthread_kill(lt, SIGUSR1);
		for (int i = 0; i < 2000 && !atomic_load(&ran_in[k]); i++)
			usleep(1000);
		usleep(50000);
		int early = atomic_load(&got_lock[k]);
		if (k == 0)
			pthread_mutex_unlock(&wm);
		else if (k == 1)
			pthread_rwlock_unlock(&wl);
		else
			pthread_barrier_wait(&wb);
		pthread_join(lt, NULL);
		printf("pthread_kill to a thread waiting for a %s: handler ran there: %s, still waiting after it: %s, "
		       "then got it: %s\n", kinds[k], atomic_load(&ran_in[k]) ? "yes" : "no", early ? "no" : "yes",
		       atomic_load(&got_lock[k]) ? "yes" : "no");
	}
	pthread_barrier_destroy(&wb);

	phase = "closefrom";
	int keep = dup(1);
	int p[2];
	must(pipe(p), "pipe");
	closefrom(p[1] + 1);
	printf("closefrom: the program's descriptors below stay: %s\n",
	       fd_open(p[0]) && fd_open(p[1]) && fd_open(keep) ? "yes" : "no");
	close_range((unsigned)p[1] + 1, ~0U, 0);
	install(SIGUSR1, 0);
	reset();
	kill(getpid(), SIGUSR1);
	for (int i = 0; i < 2000 && !atomic_load(&on_main); i++)
		usleep(1000);
	printf("after them: kill reaches main: %s\n", on_main == 1 ? "yes" : "no");
	must(pthread_create(&t2, NULL, pipe_reader, p), "pthread_create");
	usleep(50000);
	write(p[1], "x", 1);
	pthread_join(t2, &res);
	printf("after them: a thread reads a pipe: %s\n", res ? "yes" : "no");

	printf("all done\n");
	return 0;
}
