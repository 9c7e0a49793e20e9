/* sem_basic: POSIX semaphores behave as glibc's do.
 *
 * Proves:
 *   - sem_init/sem_post/sem_wait/sem_getvalue: values as expected;
 *     sem_trywait on 0 -> -1/EAGAIN;
 *   - sem_timedwait on 0: a past deadline and a 20 ms one -> -1/ETIMEDOUT;
 *     tv_nsec = 1e9 -> -1/EINVAL when it must wait, and (glibc checks the
 *     deadline first) also when the value is 1, which stays 1;
 *   - sem_clockwait with CLOCK_MONOTONIC / CLOCK_REALTIME -> ETIMEDOUT on 0
 *     and 0 when positive; CLOCK_PROCESS_CPUTIME_ID -> EINVAL, whatever the
 *     value;
 *   - a thread blocked in sem_wait, sem_timedwait or sem_clockwait is woken
 *     by sem_post (returns 0);
 *   - sem_post at SEM_VALUE_MAX -> -1/EOVERFLOW (value unchanged);
 *     sem_init with SEM_VALUE_MAX + 1 -> -1/EINVAL;
 *   - producer/consumer: 4 producers x 50000 items through a 16-slot ring
 *     guarded by "empty"/"full" semaphores and a mutex, 4 consumers taking
 *     50000 each; exact count, sum and xor; both semaphores end where they
 *     started;
 *   - a named semaphore (sem_open with O_CREAT|O_EXCL on a name made from
 *     the pid; a second sem_open of the name; O_EXCL again -> EEXIST): two
 *     threads ping-pong 1000 times over two named semaphores, each posting
 *     through one handle and waiting through the other; sem_close, then
 *     sem_unlink -> 0, sem_unlink again -> ENOENT, sem_open without
 *     O_CREAT -> ENOENT;
 *   - a process-shared unnamed semaphore pair in MAP_SHARED memory: 1000
 *     ping-pong rounds between two threads, then between a parent and the
 *     child of fork().
 *
 * Expects: exit 0 and a fixed list of "what: RESULT" lines.  A claim that
 * does not hold prints "FAIL: ..." and exits 1; a watchdog (SIGALRM, 90 s)
 * prints "FAIL: watchdog ..." if something hangs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "compat.h"

static char sem_name_a[64], sem_name_b[64];

/* A -1/errno call as "ERRNAME", a success as "0". */
static int res(int rc)
{
	return rc == 0 ? 0 : rc == -1 ? errno : -1000 - rc;
}

/* The watchdog's last act: no named semaphore left behind. */
static void unlink_names(void)
{
	if (sem_name_a[0])
		sem_unlink(sem_name_a);
	if (sem_name_b[0])
		sem_unlink(sem_name_b);
}

static long value(sem_t *s)
{
	int v = -12345;
	if (sem_getvalue(s, &v) != 0)
		return -99999;
	return v;
}

/* ---------------------------------------------------------- basics */
enum { B_WAIT, B_TIMED, B_CLOCK_MONO, B_CLOCK_REAL };
struct blocked {
	sem_t *s;
	int how;
	int rc;
};

static void *blocked_waiter(void *arg)
{
	struct blocked *b = arg;
	struct timespec ts;
	switch (b->how) {
	case B_WAIT:
		b->rc = res(sem_wait(b->s));
		break;
	case B_TIMED:
		ts = deadline(CLOCK_REALTIME, 20000);
		b->rc = res(sem_timedwait(b->s, &ts));
		break;
	case B_CLOCK_MONO:
		ts = deadline(CLOCK_MONOTONIC, 20000);
		b->rc = res(sem_clockwait(b->s, CLOCK_MONOTONIC, &ts));
		break;
	case B_CLOCK_REAL:
		ts = deadline(CLOCK_REALTIME, 20000);
		b->rc = res(sem_clockwait(b->s, CLOCK_REALTIME, &ts));
		break;
	}
	return NULL;
}

static void basics(void)
{
	sem_t s;
	struct timespec ts;

	phase = "basics";
	expect("sem_init 0", res(sem_init(&s, 0, 0)), 0);
	expect_val("value", value(&s), 0);
	expect("trywait on 0", res(sem_trywait(&s)), EAGAIN);
	expect("post", res(sem_post(&s)), 0);
	expect("post", res(sem_post(&s)), 0);
	expect_val("value after 2 posts", value(&s), 2);
	expect("trywait on 2", res(sem_trywait(&s)), 0);
	expect("wait on 1", res(sem_wait(&s)), 0);
	expect_val("value", value(&s), 0);

	phase = "timeouts";
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec -= 1;
	expect("timedwait past deadline on 0", res(sem_timedwait(&s, &ts)), ETIMEDOUT);
	ts = deadline(CLOCK_REALTIME, 20);
	expect("timedwait 20ms on 0", res(sem_timedwait(&s, &ts)), ETIMEDOUT);
	ts = deadline(CLOCK_REALTIME, 1000);
	ts.tv_nsec = 1000000000;
	expect("timedwait tv_nsec=1e9 on 0", res(sem_timedwait(&s, &ts)), EINVAL);
	ts.tv_nsec = -1;
	expect("timedwait tv_nsec=-1 on 0", res(sem_timedwait(&s, &ts)), EINVAL);
	ts = deadline(CLOCK_MONOTONIC, 20);
	expect("clockwait monotonic 20ms on 0",
	       res(sem_clockwait(&s, CLOCK_MONOTONIC, &ts)), ETIMEDOUT);
	ts = deadline(CLOCK_REALTIME, 20);
	expect("clockwait realtime 20ms on 0", res(sem_clockwait(&s, CLOCK_REALTIME, &ts)),
	       ETIMEDOUT);
	ts = deadline(CLOCK_REALTIME, 1000);
	expect("clockwait CLOCK_PROCESS_CPUTIME_ID on 0",
	       res(sem_clockwait(&s, CLOCK_PROCESS_CPUTIME_ID, &ts)), EINVAL);
	ts = deadline(CLOCK_MONOTONIC, 1000);
	ts.tv_nsec = 1000000000;
	expect("clockwait monotonic tv_nsec=1e9 on 0",
	       res(sem_clockwait(&s, CLOCK_MONOTONIC, &ts)), EINVAL);
	expect_val("value", value(&s), 0);

	expect("post", res(sem_post(&s)), 0);
	ts = deadline(CLOCK_REALTIME, 1000);
	ts.tv_nsec = 1000000000;
	/* (An unexpected success is undone, so that later checks still run.) */
	int rc;
	expect("timedwait tv_nsec=1e9 on 1", rc = res(sem_timedwait(&s, &ts)), EINVAL);
	expect_val("value after it", value(&s), 1);
	if (rc == 0)
		sem_post(&s);
	ts = deadline(CLOCK_REALTIME, 1000);
	expect("clockwait CLOCK_PROCESS_CPUTIME_ID on 1",
	       rc = res(sem_clockwait(&s, CLOCK_PROCESS_CPUTIME_ID, &ts)), EINVAL);
	expect_val("value after it", value(&s), 1);
	if (rc == 0)
		sem_post(&s);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec -= 1;
	expect("timedwait past deadline on 1", res(sem_timedwait(&s, &ts)), 0);
	expect("post", res(sem_post(&s)), 0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec -= 1;
	expect("clockwait monotonic past deadline on 1",
	       res(sem_clockwait(&s, CLOCK_MONOTONIC, &ts)), 0);
	expect("post", res(sem_post(&s)), 0);
	ts = deadline(CLOCK_REALTIME, 1000);
	expect("clockwait realtime on 1", res(sem_clockwait(&s, CLOCK_REALTIME, &ts)), 0);
	expect_val("value", value(&s), 0);

	phase = "blocked waiters woken by post";
	static const char *const hows[] = {"sem_wait", "sem_timedwait",
					   "sem_clockwait monotonic",
					   "sem_clockwait realtime"};
	for (int h = B_WAIT; h <= B_CLOCK_REAL; h++) {
		char w[96];
		struct blocked b = {&s, h, -1};
		pthread_t t = spawn(blocked_waiter, &b);
		sleep_ms(10);
		sem_post(&s);
		pthread_join(t, NULL);
		snprintf(w, sizeof w, "blocked %s woken by post", hows[h]);
		expect(w, b.rc, 0);
	}
	expect_val("value", value(&s), 0);
	expect("destroy", res(sem_destroy(&s)), 0);

	phase = "limits";
	expect("sem_init SEM_VALUE_MAX", res(sem_init(&s, 0, SEM_VALUE_MAX)), 0);
	expect_val("value is SEM_VALUE_MAX", value(&s) == SEM_VALUE_MAX, 1);
	expect("post at SEM_VALUE_MAX", res(sem_post(&s)), EOVERFLOW);
	expect_val("value still SEM_VALUE_MAX", value(&s) == SEM_VALUE_MAX, 1);
	expect("trywait", res(sem_trywait(&s)), 0);
	expect("post back to SEM_VALUE_MAX", res(sem_post(&s)), 0);
	expect("post at SEM_VALUE_MAX again", res(sem_post(&s)), EOVERFLOW);
	expect("destroy", res(sem_destroy(&s)), 0);
	expect("sem_init SEM_VALUE_MAX + 1",
	       res(sem_init(&s, 0, (unsigned)SEM_VALUE_MAX + 1u)), EINVAL);
	expect("sem_init UINT_MAX, pshared", res(sem_init(&s, 1, UINT_MAX)), EINVAL);
}

/* ---------------------------------------------------------- producer/consumer */
#define PRODUCERS 4
#define CONSUMERS 4
#define ITEMS 50000
#define SLOTS 16

static struct {
	sem_t empty, full;
	pthread_mutex_t m;
	unsigned long buf[SLOTS];
	int in, out;
	unsigned long sum, xor;
	long got, errors;
} pc;

static void *producer(void *arg)
{
	unsigned long p = (uintptr_t)arg;
	long errors = 0;
	for (unsigned long i = 0; i < ITEMS; i++) {
		unsigned long v = p * 1000003UL + i * 7919UL + 1;
		errors += sem_wait(&pc.empty) != 0;
		pthread_mutex_lock(&pc.m);
		pc.buf[pc.in] = v;
		pc.in = (pc.in + 1) % SLOTS;
		pthread_mutex_unlock(&pc.m);
		errors += sem_post(&pc.full) != 0;
	}
	__atomic_add_fetch(&pc.errors, errors, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *consumer(void *arg)
{
	unsigned long sum = 0, xor = 0;
	long got = 0, errors = 0;
	for (long i = 0; i < (long)PRODUCERS * ITEMS / CONSUMERS; i++) {
		errors += sem_wait(&pc.full) != 0;
		pthread_mutex_lock(&pc.m);
		unsigned long v = pc.buf[pc.out];
		pc.out = (pc.out + 1) % SLOTS;
		pthread_mutex_unlock(&pc.m);
		errors += sem_post(&pc.empty) != 0;
		sum += v;
		xor ^= v;
		got++;
	}
	pthread_mutex_lock(&pc.m);
	pc.sum += sum;
	pc.xor ^= xor;
	pc.got += got;
	pc.errors += errors;
	pthread_mutex_unlock(&pc.m);
	return NULL;
}

static void producer_consumer(void)
{
	pthread_t p[PRODUCERS], c[CONSUMERS];
	unsigned long want_sum = 0, want_xor = 0;

	phase = "producer/consumer";
	must(sem_init(&pc.empty, 0, SLOTS), "sem_init");
	must(sem_init(&pc.full, 0, 0), "sem_init");
	pthread_mutex_init(&pc.m, NULL);
	for (unsigned long i = 0; i < CONSUMERS; i++)
		c[i] = spawn(consumer, NULL);
	for (unsigned long i = 0; i < PRODUCERS; i++)
		p[i] = spawn(producer, (void *)(uintptr_t)i);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(p[i], NULL);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(c[i], NULL);
	for (unsigned long p = 0; p < PRODUCERS; p++)
		for (unsigned long i = 0; i < ITEMS; i++) {
			unsigned long v = p * 1000003UL + i * 7919UL + 1;
			want_sum += v;
			want_xor ^= v;
		}
	expect_val("producer/consumer: items", pc.got, (long)PRODUCERS * ITEMS);
	printf("producer/consumer: sum %lu xor %lu\n", pc.sum, pc.xor);
	if (pc.sum != want_sum || pc.xor != want_xor) {
		printf("FAIL: producer/consumer: expected sum %lu xor %lu\n", want_sum, want_xor);
		failures++;
	}
	expect_val("producer/consumer: errors", pc.errors, 0);
	expect_val("producer/consumer: empty's value", value(&pc.empty), SLOTS);
	expect_val("producer/consumer: full's value", value(&pc.full), 0);
	sem_destroy(&pc.empty);
	sem_destroy(&pc.full);
}

/* ---------------------------------------------------------- ping-pong */
#define PINGS 1000
struct pingpong {
	sem_t *ping, *pong;   /* the other side's handles */
	long errors;
};

static long pong_side(sem_t *ping, sem_t *pong)
{
	long errors = 0;
	for (int i = 0; i < PINGS; i++) {
		errors += sem_wait(ping) != 0;
		errors += sem_post(pong) != 0;
	}
	return errors;
}

static long ping_side(sem_t *ping, sem_t *pong)
{
	long errors = 0;
	for (int i = 0; i < PINGS; i++) {
		errors += sem_post(ping) != 0;
		errors += sem_wait(pong) != 0;
	}
	return errors;
}

static void *pong_thread(void *arg)
{
	struct pingpong *pp = arg;
	pp->errors = pong_side(pp->ping, pp->pong);
	return NULL;
}

static void named(void)
{
	sem_t *a, *b, *a2, *b2, *x;

	phase = "named";
	snprintf(sem_name_a, sizeof sem_name_a, "/mnthread_sem_basic_%ld_a", (long)getpid());
	snprintf(sem_name_b, sizeof sem_name_b, "/mnthread_sem_basic_%ld_b", (long)getpid());
	sem_unlink(sem_name_a);   /* left over from a killed run with our pid */
	sem_unlink(sem_name_b);
	a = sem_open(sem_name_a, O_CREAT | O_EXCL, 0600, 0);
	b = sem_open(sem_name_b, O_CREAT | O_EXCL, 0600, 0);
	if (a == SEM_FAILED || b == SEM_FAILED) {
		printf("FAIL: sem_open O_CREAT|O_EXCL: %s\n", errname(errno));
		sem_unlink(sem_name_a);
		sem_unlink(sem_name_b);
		exit(1);
	}
	printf("named: sem_open O_CREAT|O_EXCL: ok\n");
	a2 = sem_open(sem_name_a, 0);
	b2 = sem_open(sem_name_b, 0);
	expect_val("named: second sem_open of each name succeeds",
		   a2 != SEM_FAILED && b2 != SEM_FAILED, 1);
	if (a2 == SEM_FAILED || b2 == SEM_FAILED)
		exit(1);
	x = sem_open(sem_name_a, O_CREAT | O_EXCL, 0600, 0);
	expect("named: O_CREAT|O_EXCL of an existing name",
	       x == SEM_FAILED ? errno : 0, EEXIST);

	expect("named: post through one handle", res(sem_post(a)), 0);
	expect_val("named: value through the other", value(a2), 1);
	expect("named: trywait through the other", res(sem_trywait(a2)), 0);
	expect("named: trywait on 0", res(sem_trywait(a)), EAGAIN);
	struct timespec ts = deadline(CLOCK_REALTIME, 20);
	expect("named: timedwait 20ms on 0", res(sem_timedwait(a2, &ts)), ETIMEDOUT);

	struct pingpong pp = {a2, b2, -1};
	pthread_t t = spawn(pong_thread, &pp);
	long errors = ping_side(a, b);
	pthread_join(t, NULL);
	expect_val("named: ping-pong errors", errors + pp.errors, 0);
	expect_val("named: value of a", value(a), 0);
	expect_val("named: value of b", value(b2), 0);

	expect("named: sem_close", res(sem_close(a2)), 0);
	expect("named: sem_close", res(sem_close(b2)), 0);
	expect("named: sem_close", res(sem_close(a)), 0);
	expect("named: sem_close", res(sem_close(b)), 0);
	expect("named: sem_unlink", res(sem_unlink(sem_name_a)), 0);
	expect("named: sem_unlink", res(sem_unlink(sem_name_b)), 0);
	expect("named: sem_unlink again", res(sem_unlink(sem_name_a)), ENOENT);
	x = sem_open(sem_name_a, 0);
	expect("named: sem_open without O_CREAT after unlink", x == SEM_FAILED ? errno : 0,
	       ENOENT);
	sem_name_a[0] = sem_name_b[0] = 0;
}

static void process_shared(void)
{
	sem_t *s;
	int status;

	phase = "process-shared";
	s = mmap(NULL, 2 * sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED) {
		printf("FAIL: mmap\n");
		exit(1);
	}
	expect("pshared: sem_init", res(sem_init(&s[0], 1, 0)), 0);
	expect("pshared: sem_init", res(sem_init(&s[1], 1, 0)), 0);

	struct pingpong pp = {&s[0], &s[1], -1};
	pthread_t t = spawn(pong_thread, &pp);
	long errors = ping_side(&s[0], &s[1]);
	pthread_join(t, NULL);
	expect_val("pshared, threads: ping-pong errors", errors + pp.errors, 0);

	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		printf("FAIL: fork\n");
		exit(1);
	}
	if (pid == 0)
		_exit(pong_side(&s[0], &s[1]) ? 1 : 0);
	errors = ping_side(&s[0], &s[1]);
	waitpid(pid, &status, 0);
	expect_val("pshared, fork: parent's errors", errors, 0);
	expect_val("pshared, fork: child exit status",
		   WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status), 0);
	expect_val("pshared: values", value(&s[0]) + value(&s[1]), 0);
	expect("pshared: destroy", res(sem_destroy(&s[0])), 0);
	expect("pshared: destroy", res(sem_destroy(&s[1])), 0);
	munmap(s, 2 * sizeof *s);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	compat_alarm_hook = unlink_names;
	signal(SIGALRM, on_alarm);
	alarm(90);

	basics();
	producer_consumer();
	named();
	process_shared();

	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
