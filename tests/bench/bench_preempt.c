/* bench_preempt: what sysmon's preemption gives and what it costs
 * (issue 11).
 *
 * Usage: bench_preempt [SCALE]            run every case (SCALE multiplies
 *                                         the CPU work of the cpu cases)
 *        bench_preempt --case NAME ARG SCALE   one case (what the driver
 *                                         runs; ARG: cpu's thread count)
 *
 * The driver runs each case in a child process (fork, then exec of
 * itself) so that each gets the processors it is about: MN_PROCS=N in its
 * environment under mnthread and, natively, an affinity mask of N CPUs of
 * the driver's (sched_setaffinity), the fair comparison.  Under mnthread
 * the mask is left alone: sysmon and the other OS threads of the runtime
 * are not application threads.  The driver knows it runs under mnthread
 * when libmnthread is mapped in the process.
 *
 * Cases and results:
 *   lateness (1 processor): two spinners (a volatile counter, no calls)
 *     and a sleeper that sleeps 1 ms at a time for 2 s and measures how
 *     late each wake-up is:
 *       BENCH preempt_sleeper_late_avg    ms, the average lateness
 *       BENCH preempt_sleeper_late_worst  ms, the worst (the target
 *                                         under mnthread with the default
 *                                         10 ms quantum: under 12 ms; Go
 *                                         measured 39.7 ms)
 *   fairness (2 processors): eight spinners run for 2 s (they watch the
 *     clock themselves); each one's share is its count over the average:
 *       BENCH preempt_fair8on2_short   %, how far the least-served spinner
 *                                      fell below its fair share (100 -
 *                                      its share in %)
 *       BENCH preempt_fair8on2_excess  %, how far the best-served one went
 *                                      above it (the target: both at most
 *                                      10 %)
 *   cpu (MN_PROCS from the environment, no affinity change): a fixed
 *     amount of pure CPU work (an xorshift chain) split among T threads,
 *     the time from the first create to the last join, median of 3:
 *       BENCH preempt_cpu_2threads   ms (T = 2: nobody waits, sysmon's
 *                                    own cost)
 *       BENCH preempt_cpu_64threads  ms (T = 64: the threads are
 *                                    preempted every quantum; the
 *                                    target: at most 1 % slower than
 *                                    native)
 * A case that does not finish in its time (the lateness case hangs when
 * the spinners are never preempted) is killed and its rows show
 * "starved"; that is a result, not a failure.  A case that fails (a
 * crash, a wrong answer) shows "error" and makes the driver exit 1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fail(const char *what)
{
	fprintf(stderr, "bench_preempt: %s\n", what);
	exit(1);
}

static pthread_t start(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	if (pthread_create(&t, NULL, fn, arg))
		fail("pthread_create");
	return t;
}

/* A spinner's counter, alone on its cache line. */
struct spinner {
	volatile unsigned long count;
	char pad[64 - sizeof(unsigned long)];
};
static volatile int stop;

static void *spin(void *arg)
{
	struct spinner *s = arg;
	while (!stop)
		s->count++;
	return NULL;
}

/* ------------------------------------------------------------ lateness */
#define LATENESS_MS 2000
static struct spinner lat_spinners[2];
static uint64_t late_worst, late_total;
static long late_n;

static void *sleeper(void *arg)
{
	(void)arg;
	struct timespec ms = {0, 1000000};
	while (lat_spinners[0].count == 0 || lat_spinners[1].count == 0)
		nanosleep(&ms, NULL);
	uint64_t begin = now_ns();
	for (;;) {
		uint64_t t0 = now_ns();
		nanosleep(&ms, NULL);
		uint64_t t1 = now_ns();
		uint64_t late = t1 - t0 > 1000000 ? t1 - t0 - 1000000 : 0;
		if (late > late_worst)
			late_worst = late;
		late_total += late;
		late_n++;
		if (t1 - begin >= (uint64_t)LATENESS_MS * 1000000)
			return NULL;
	}
}

static void case_lateness(void)
{
	pthread_t sp[2];
	for (int i = 0; i < 2; i++)
		sp[i] = start(spin, &lat_spinners[i]);
	pthread_t sl = start(sleeper, NULL);
	pthread_join(sl, NULL);
	stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(sp[i], NULL);
	printf("BENCH preempt_sleeper_late_avg %.3f ms\n", (double)late_total / 1e6 / (double)late_n);
	printf("BENCH preempt_sleeper_late_worst %.3f ms\n", (double)late_worst / 1e6);
}

/* ------------------------------------------------------------ fairness */
#define FAIR_THREADS 8
#define FAIR_MS 2000

static uint64_t fair_deadline;

/* A spinner that looks at the clock once every 65,536 counts (a vDSO call,
 * not the runtime) and stops them all at the deadline: neither a signal
 * nor main has to get through for the case to end. */
static void *fair_spin(void *arg)
{
	struct spinner *s = arg;
	while (!stop) {
		s->count++;
		if ((s->count & 0xffff) == 0 && now_ns() >= fair_deadline)
			stop = 1;
	}
	return NULL;
}

static void case_fairness(void)
{
	static struct spinner s[FAIR_THREADS];
	pthread_t t[FAIR_THREADS];
	fair_deadline = now_ns() + (uint64_t)FAIR_MS * 1000000;
	for (int i = 0; i < FAIR_THREADS; i++)
		t[i] = start(fair_spin, &s[i]);
	for (int i = 0; i < FAIR_THREADS; i++)
		pthread_join(t[i], NULL);
	double sum = 0, lo = 1e300, hi = 0;
	for (int i = 0; i < FAIR_THREADS; i++) {
		double c = (double)s[i].count;
		sum += c;
		lo = c < lo ? c : lo;
		hi = c > hi ? c : hi;
	}
	double fair = sum / FAIR_THREADS;
	if (fair <= 0)
		fail("fairness: no spinner counted");
	printf("BENCH preempt_fair8on2_short %.1f %%\n", 100.0 - 100.0 * lo / fair);
	printf("BENCH preempt_fair8on2_excess %.1f %%\n", 100.0 * hi / fair - 100.0);
}

/* ------------------------------------------------------------ cpu */
static long cpu_iters;

/* Pure CPU work, no calls: an xorshift chain. */
static void *cpu_work(void *arg)
{
	uint64_t x = 88172645463325252u + (uintptr_t)arg;
	for (long i = 0; i < cpu_iters; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return (void *)(uintptr_t)(x | 1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void case_cpu(int threads, double scale)
{
	const long total = (long)(1e9 * scale);
	double ms[3];
	pthread_t *t = malloc(sizeof *t * (size_t)threads);
	if (t == NULL)
		fail("malloc");
	cpu_iters = total / threads;
	for (int r = 0; r < 3; r++) {
		uint64_t t0 = now_ns();
		for (int i = 0; i < threads; i++)
			t[i] = start(cpu_work, (void *)(uintptr_t)i);
		for (int i = 0; i < threads; i++) {
			void *res;
			pthread_join(t[i], &res);
			if (res == NULL)
				fail("cpu: no result");
		}
		ms[r] = (double)(now_ns() - t0) / 1e6;
	}
	qsort(ms, 3, sizeof ms[0], cmp_double);
	printf("BENCH preempt_cpu_%dthreads %.1f ms\n", threads, ms[1]);
	free(t);
}

/* ------------------------------------------------------------ driver */
static int under_mnthread(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = 0;
	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, "libmnthread") != NULL;
	fclose(f);
	return found;
}

struct bcase {
	const char *name, *arg;
	int procs;       /* 0: as the environment says, no affinity change */
	int limit_s;     /* then the case is killed: "starved" */
	const char *rows[2], *unit;
};

static const struct bcase cases[] = {
	{"lateness", "", 1, LATENESS_MS / 1000 + 5,
	 {"preempt_sleeper_late_avg", "preempt_sleeper_late_worst"}, "ms"},
	{"fairness", "", 2, FAIR_MS / 1000 + 5, {"preempt_fair8on2_short", "preempt_fair8on2_excess"}, "%"},
	{"cpu", "2", 0, 120, {"preempt_cpu_2threads", NULL}, "ms"},
	{"cpu", "64", 0, 120, {"preempt_cpu_64threads", NULL}, "ms"},
};

/* In the child, before exec: N CPUs of the current mask, natively. */
static void pin(int n)
{
	cpu_set_t cur, want;
	if (sched_getaffinity(0, sizeof cur, &cur))
		return;
	CPU_ZERO(&want);
	int got = 0;
	for (int c = 0; c < CPU_SETSIZE && got < n; c++)
		if (CPU_ISSET(c, &cur)) {
			CPU_SET(c, &want);
			got++;
		}
	if (got < n)
		fprintf(stderr, "bench_preempt: only %d CPUs for a case that wants %d\n", got, n);
	sched_setaffinity(0, sizeof want, &want);
}

/* Returns 0 when the case ran (or starved), 1 when it failed. */
static int run_case(const struct bcase *c, const char *self, const char *scale, int mn)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		fail("fork");
	if (pid == 0) {
		if (c->procs) {
			char n[16];
			snprintf(n, sizeof n, "%d", c->procs);
			setenv("MN_PROCS", n, 1);
			if (!mn)
				pin(c->procs);
		}
		execl(self, self, "--case", c->name, c->arg, scale, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	uint64_t deadline = now_ns() + (uint64_t)c->limit_s * 1000000000u;
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			fail("waitpid");
		if (now_ns() > deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			fprintf(stderr, "bench_preempt: case %s%s%s did not finish in %d s: starved\n", c->name,
				c->arg[0] ? " " : "", c->arg, c->limit_s);
			for (int i = 0; i < 2 && c->rows[i]; i++)
				printf("BENCH %s starved %s\n", c->rows[i], c->unit);
			return 0;
		}
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	fprintf(stderr, "bench_preempt: case %s%s%s failed (status %#x)\n", c->name, c->arg[0] ? " " : "",
		c->arg, st);
	for (int i = 0; i < 2 && c->rows[i]; i++)
		printf("BENCH %s error %s\n", c->rows[i], c->unit);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "--case") == 0) {
		const char *arg = argc > 3 ? argv[3] : "";
		if (strcmp(argv[2], "lateness") == 0)
			case_lateness();
		else if (strcmp(argv[2], "fairness") == 0)
			case_fairness();
		else if (strcmp(argv[2], "cpu") == 0 && atoi(arg) > 0)
			case_cpu(atoi(arg), argc > 4 ? atof(argv[4]) : 1.0);
		else
			fail("usage: bench_preempt --case lateness|fairness|cpu THREADS [SCALE]");
		return 0;
	}
	const char *scale = argc > 1 ? argv[1] : "1";
	if (atof(scale) <= 0)
		fail("usage: bench_preempt [SCALE]");
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		fail("readlink /proc/self/exe");
	self[n] = 0;
	int mn = under_mnthread();
	int status = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		status |= run_case(&cases[i], self, scale, mn);
	return status;
}
