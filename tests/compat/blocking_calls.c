/* blocking_calls: threads blocked in system calls do not stop the others.
 *
 * Proves, with more threads blocked in the kernel than mnthread has
 * processors in the test runs (MN_PROCS 1, 2, 4):
 *   - 8 threads each block in read() on a pipe of their own; meanwhile
 *     main and 4 more threads do mutex and condvar work to completion
 *     (exact counts), then main writes one byte to each pipe and every
 *     reader returns it;
 *   - the same with poll() (no time-out) on the pipes, and with readers
 *     that one writer thread serves after sleeping (so the writer needs a
 *     processor while every reader blocks);
 *   - a thread blocked in waitpid() for a child that sleeps 50 ms, and
 *     one blocked in fcntl(F_SETLKW) on a record lock that child holds,
 *     while 8 threads are blocked in read(); the status and the lock come;
 *   - a thread that loops on quick waiting calls (poll with no time to
 *     wait) until a flag is set lets the thread that sets the flag run,
 *     even with one processor;
 *   - errno from a failing read (EBADF) and a read interrupted by nothing
 *     at all come back as natively.
 *
 * Expects: exit 0 and a fixed list of lines; a watchdog (SIGALRM, 60 s)
 * prints "FAIL: watchdog ..." if something hangs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "compat.h"

#define READERS 8
#define WORKERS 4
#define ROUNDS 20000

static int pipes[READERS][2];
static int use_poll;

static void *reader(void *arg)
{
	int i = (int)(intptr_t)arg;
	char c = 0;
	if (use_poll) {
		struct pollfd pfd = { .fd = pipes[i][0], .events = POLLIN };
		if (poll(&pfd, 1, -1) != 1 || !(pfd.revents & POLLIN))
			return (void *)(intptr_t)-1;
	}
	if (read(pipes[i][0], &c, 1) != 1)
		return (void *)(intptr_t)-2;
	return (void *)(intptr_t)c;
}

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn;

static void *worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	for (int r = 0; r < ROUNDS / WORKERS; r++) {
		pthread_mutex_lock(&m);
		while (turn % WORKERS != me)
			pthread_cond_wait(&cv, &m);
		counter++;
		turn++;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&m);
	}
	return NULL;
}

static void start_readers(pthread_t *t)
{
	for (int i = 0; i < READERS; i++) {
		must(pipe(pipes[i]), "pipe");
		must(pthread_create(&t[i], NULL, reader, (void *)(intptr_t)i), "pthread_create");
	}
	sleep_ms(20); /* let them block */
}

static void finish_readers(pthread_t *t, const char *what)
{
	long sum = 0, bad = 0;
	for (int i = 0; i < READERS; i++) {
		void *r;
		pthread_join(t[i], &r);
		long v = (long)(intptr_t)r;
		if (v < 0)
			bad++;
		else
			sum += v;
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
	char w[128];
	snprintf(w, sizeof w, "%s: readers' bytes", what);
	expect_val(w, sum, READERS * (READERS + 1) / 2);
	snprintf(w, sizeof w, "%s: readers that failed", what);
	expect_val(w, bad, 0);
}

static void work_while_blocked(const char *what)
{
	pthread_t t[READERS], wk[WORKERS];
	start_readers(t);
	counter = turn = 0;
	for (int i = 0; i < WORKERS; i++)
		must(pthread_create(&wk[i], NULL, worker, (void *)(intptr_t)i), "pthread_create");
	for (int i = 0; i < WORKERS; i++)
		pthread_join(wk[i], NULL);
	char w[128];
	snprintf(w, sizeof w, "%s: condvar rounds while readers block", what);
	expect_val(w, counter, ROUNDS);
	for (int i = 0; i < READERS; i++) {
		char c = (char)(i + 1);
		must(write(pipes[i][1], &c, 1) == 1 ? 0 : errno, "write");
	}
	finish_readers(t, what);
}

static void *late_writer(void *arg)
{
	(void)arg;
	sleep_ms(30);
	for (int i = 0; i < READERS; i++) {
		char c = (char)(i + 1);
		if (write(pipes[i][1], &c, 1) != 1)
			return (void *)1;
	}
	return NULL;
}

static void *waiter(void *arg)
{
	pid_t pid = (pid_t)(intptr_t)arg;
	int st = 0;
	if (waitpid(pid, &st, 0) != pid)
		return (void *)(intptr_t)-1;
	return (void *)(intptr_t)(WIFEXITED(st) ? WEXITSTATUS(st) : -2);
}

static void *locker(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	return (void *)(intptr_t)(fcntl(fd, F_SETLKW, &l) == 0 ? 0 : errno);
}

static atomic_int flag;

static void *syscall_looper(void *arg)
{
	(void)arg;
	long calls = 0;
	while (!atomic_load(&flag)) {
		if (poll(NULL, 0, 0) != 0)
			return (void *)-1;
		calls++;
	}
	return (void *)(intptr_t)(calls > 0);
}

static void *flag_setter(void *arg)
{
	(void)arg;
	atomic_store(&flag, 1);
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(60);

	phase = "read";
	work_while_blocked("read");
	phase = "poll";
	use_poll = 1;
	work_while_blocked("poll");
	use_poll = 0;

	phase = "late writer";
	pthread_t t[READERS], w;
	start_readers(t);
	must(pthread_create(&w, NULL, late_writer, NULL), "pthread_create");
	void *wr;
	pthread_join(w, &wr);
	expect_val("late writer: write errors", (long)(intptr_t)wr, 0);
	finish_readers(t, "late writer");

	phase = "waitpid";
	start_readers(t);
	char lockpath[] = "/tmp/mn_blocking_calls.XXXXXX";
	int lfd = mkstemp(lockpath);
	must(lfd < 0 ? errno : 0, "mkstemp");
	unlink(lockpath);
	int ready[2];
	must(pipe(ready), "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		/* Hold a record lock for 50 ms, then exit 7. */
		struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		if (fcntl(lfd, F_SETLK, &l) != 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		usleep(50000);
		_exit(7);
	}
	char r1;
	must(read(ready[0], &r1, 1) == 1 ? 0 : errno, "read");
	pthread_t lk;
	must(pthread_create(&lk, NULL, locker, (void *)(intptr_t)lfd), "pthread_create");
	pthread_t wt;
	must(pthread_create(&wt, NULL, waiter, (void *)(intptr_t)pid), "pthread_create");
	void *st;
	pthread_join(wt, &st);
	expect_val("waitpid in a thread: child's status", (long)(intptr_t)st, 7);
	void *lr0;
	pthread_join(lk, &lr0);
	expect_val("fcntl(F_SETLKW) in a thread, after the child let go", (long)(intptr_t)lr0, 0);
	close(lfd);
	close(ready[0]);
	close(ready[1]);
	for (int i = 0; i < READERS; i++) {
		char c = (char)(i + 1);
		must(write(pipes[i][1], &c, 1) == 1 ? 0 : errno, "write");
	}
	finish_readers(t, "waitpid");

	phase = "syscall loop";
	pthread_t lp, fs;
	must(pthread_create(&lp, NULL, syscall_looper, NULL), "pthread_create");
	sleep_ms(20);
	must(pthread_create(&fs, NULL, flag_setter, NULL), "pthread_create");
	pthread_join(fs, NULL);
	void *lr;
	pthread_join(lp, &lr);
	expect_val("a loop of quick calls saw the flag", (long)(intptr_t)lr, 1);

	phase = "errno";
	char c;
	errno = 0;
	expect_val("read on a closed fd", (long)read(9999, &c, 1), -1);
	expect("read on a closed fd: errno", errno, EBADF);
	int p[2];
	must(pipe(p), "pipe");
	must(write(p[1], "x", 1) == 1 ? 0 : errno, "write");
	expect_val("read of a ready pipe", (long)read(p[0], &c, 1), 1);
	close(p[0]);
	close(p[1]);

	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
