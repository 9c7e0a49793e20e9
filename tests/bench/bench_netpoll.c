/* bench_netpoll: threads blocked on pipes and sockets, and sleeping
 * threads (issue 12: the netpoller and the timers).
 *
 * Usage: bench_netpoll [SCALE]   SCALE multiplies the iteration counts
 *
 * Results:
 *   BENCH np_pipe_pingpong      two threads pass a byte back and forth
 *                               through two pipes; us per round trip
 *                               (median of 5 batches)
 *   BENCH np_pipe_main          the same between main and a thread
 *   BENCH np_echo_1000          a thread-per-connection echo server on
 *                               loopback TCP, 1,000 client threads doing
 *                               20 round trips each; round trips per second
 *   BENCH np_echo_max           the same with as many clients as the
 *                               descriptor limit allows (up to 10,000;
 *                               the count is printed on stderr)
 *   BENCH np_echo_threads       the most OS threads the 1,000-client run
 *                               had at once (/proc/self/task)
 *   BENCH np_sleep_wakeups      NSLEEP threads (10,000; 1,000 natively:
 *                               BENCH_NETPOLL_SLEEPERS sets both) each
 *                               sleeping 1 ms in a loop for 2 s: wake-ups
 *                               per thread per second (median thread)
 *   BENCH np_sleep_cpu_us       process CPU time per wake-up, us
 *   BENCH np_handoff_us         a thread reads an empty pipe while another
 *                               is runnable: us from the read's call to
 *                               the other thread running (median)
 * Each checks its data and exits 1 with a message when it is wrong.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double scale = 1.0;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fail(const char *what)
{
	fprintf(stderr, "bench_netpoll: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static pthread_t spawn(void *(*fn)(void *), void *arg, size_t stack)
{
	pthread_attr_t a;
	pthread_attr_init(&a);
	if (stack)
		pthread_attr_setstacksize(&a, stack);
	pthread_t t;
	errno = pthread_create(&t, &a, fn, arg);
	if (errno)
		fail("pthread_create");
	pthread_attr_destroy(&a);
	return t;
}

/* ------------------------------------------------------------ ping-pong */
struct pp {
	int a[2], b[2];
	long n;
};

static void *pp_peer(void *arg)
{
	struct pp *p = arg;
	char c;
	for (long i = 0; i < p->n; i++) {
		if (read(p->a[0], &c, 1) != 1 || write(p->b[1], &c, 1) != 1)
			fail("peer");
	}
	return NULL;
}

static double pp_run(struct pp *p)
{
	char c = 'x';
	uint64_t t0 = now_ns();
	for (long i = 0; i < p->n; i++) {
		if (write(p->a[1], &c, 1) != 1 || read(p->b[0], &c, 1) != 1 || c != 'x')
			fail("driver");
	}
	return (double)(now_ns() - t0) / (double)p->n / 1000.0;
}

static void *pp_driver(void *arg)
{
	struct pp *p = arg;
	double *out = malloc(sizeof *out);
	*out = pp_run(p);
	return out;
}

static double pingpong(bool from_main)
{
	double v[5];
	for (int k = 0; k < 5; k++) {
		struct pp p = { .n = (long)(20000 * scale) };
		if (pipe(p.a) || pipe(p.b))
			fail("pipe");
		pthread_t peer = spawn(pp_peer, &p, 0);
		if (from_main) {
			v[k] = pp_run(&p);
		} else {
			void *r;
			pthread_join(spawn(pp_driver, &p, 0), &r);
			v[k] = *(double *)r;
			free(r);
		}
		pthread_join(peer, NULL);
		close(p.a[0]), close(p.a[1]), close(p.b[0]), close(p.b[1]);
	}
	qsort(v, 5, sizeof *v, cmpd);
	return v[2];
}

/* ---------------------------------------------------------------- echo */
static int lfd;
static struct sockaddr_in addr;
static int rounds;
static atomic_int peak, monitor_done;

static int count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void *monitor(void *arg)
{
	(void)arg;
	while (!atomic_load(&monitor_done)) {
		int n = count_tasks();
		if (n > atomic_load(&peak))
			atomic_store(&peak, n);
		usleep(2000);
	}
	return NULL;
}

static void *conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[256];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t o = 0; o < n;) {
			ssize_t w = write(fd, buf + o, (size_t)(n - o));
			if (w <= 0)
				fail("server write");
			o += w;
		}
	}
	close(fd);
	return NULL;
}

static void *server(void *arg)
{
	long n = (long)(intptr_t)arg;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	for (long i = 0; i < n; i++) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			fail("accept");
		pthread_t t;
		if ((errno = pthread_create(&t, &a, conn, (void *)(intptr_t)fd)))
			fail("pthread_create");
	}
	return NULL;
}

static void *client(void *arg)
{
	long id = (long)(intptr_t)arg;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (fd < 0)
		fail("socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	while (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		if (errno != EAGAIN && errno != ECONNREFUSED && errno != EINTR)
			fail("connect");
		usleep(1000);
	}
	char out[64], in[64];
	for (int r = 0; r < rounds; r++) {
		int len = snprintf(out, sizeof out, "client %ld round %d", id, r);
		if (write(fd, out, (size_t)len) != len)
			fail("client write");
		for (int got = 0; got < len;) {
			ssize_t n = read(fd, in + got, (size_t)(len - got));
			if (n <= 0)
				fail("client read");
			got += (int)n;
		}
		if (memcmp(in, out, (size_t)len) != 0) {
			fprintf(stderr, "bench_netpoll: echo: wrong bytes\n");
			exit(1);
		}
	}
	close(fd);
	return NULL;
}

/* Round trips per second with n clients; *threads: the peak OS threads. */
static double echo(long n, int *threads)
{
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof addr;
	if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) || listen(lfd, 4096) ||
	    getsockname(lfd, (struct sockaddr *)&addr, &al))
		fail("listen");
	atomic_store(&peak, 0);
	atomic_store(&monitor_done, 0);
	pthread_t mon = spawn(monitor, NULL, 0);
	pthread_t srv = spawn(server, (void *)(intptr_t)n, 0);
	pthread_t *c = malloc((size_t)n * sizeof *c);
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++)
		c[i] = spawn(client, (void *)(intptr_t)i, 64 * 1024);
	for (long i = 0; i < n; i++)
		pthread_join(c[i], NULL);
	double secs = (double)(now_ns() - t0) / 1e9;
	pthread_join(srv, NULL);
	atomic_store(&monitor_done, 1);
	pthread_join(mon, NULL);
	close(lfd);
	free(c);
	if (threads)
		*threads = atomic_load(&peak);
	return (double)n * rounds / secs;
}

/* ------------------------------------------------------------ sleepers */
static atomic_int sleep_stop;
static long *wakeups;

static void *sleeper(void *arg)
{
	long i = (long)(intptr_t)arg, n = 0;
	struct timespec ms = { 0, 1000000 };
	while (!atomic_load_explicit(&sleep_stop, memory_order_relaxed)) {
		nanosleep(&ms, NULL);
		n++;
	}
	wakeups[i] = n;
	return NULL;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void sleepers(long n, double *per_s, double *cpu_us)
{
	wakeups = calloc((size_t)n, sizeof *wakeups);
	pthread_t *t = malloc((size_t)n * sizeof *t);
	atomic_store(&sleep_stop, 0);
	for (long i = 0; i < n; i++)
		t[i] = spawn(sleeper, (void *)(intptr_t)i, 64 * 1024);
	usleep(200000); /* all started (their first 0.2 s count too) */
	double c0 = cpu_s();
	uint64_t t0 = now_ns();
	struct timespec two = { 2, 0 };
	nanosleep(&two, NULL);
	atomic_store(&sleep_stop, 1);
	double secs = (double)(now_ns() - t0) / 1e9 + 0.2;
	for (long i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	double cpu = cpu_s() - c0;
	double *v = malloc((size_t)n * sizeof *v);
	long total = 0;
	for (long i = 0; i < n; i++) {
		v[i] = (double)wakeups[i] / secs;
		total += wakeups[i];
	}
	qsort(v, (size_t)n, sizeof *v, cmpd);
	*per_s = v[n / 2];
	*cpu_us = total ? cpu / (double)total * 1e6 : 0;
	free(v);
	free(t);
	free(wakeups);
}

/* ------------------------------------------------------------- hand-off */
static int hp[2];
static atomic_uint_fast64_t entered;
static atomic_int hand_stop;
static double *hand_v;
static long hand_n, hand_k;

static void *blocker(void *arg)
{
	(void)arg;
	char c;
	for (long i = 0; i < hand_n; i++) {
		atomic_store(&entered, now_ns());
		if (read(hp[0], &c, 1) != 1)
			fail("hand-off read");
	}
	atomic_store(&hand_stop, 1);
	return NULL;
}

static void *runner(void *arg)
{
	(void)arg;
	while (!atomic_load(&hand_stop)) {
		uint64_t e = atomic_exchange(&entered, 0);
		if (e) {
			if (hand_k < hand_n)
				hand_v[hand_k++] = (double)(now_ns() - e) / 1000.0;
			char c = 'h';
			if (write(hp[1], &c, 1) != 1)
				fail("hand-off write");
		}
		sched_yield();
	}
	return NULL;
}

static double handoff(void)
{
	hand_n = (long)(2000 * scale);
	hand_v = calloc((size_t)hand_n, sizeof *hand_v);
	hand_k = 0;
	if (pipe(hp))
		fail("pipe");
	pthread_t r = spawn(runner, NULL, 0), b = spawn(blocker, NULL, 0);
	pthread_join(b, NULL);
	pthread_join(r, NULL);
	close(hp[0]), close(hp[1]);
	qsort(hand_v, (size_t)hand_k, sizeof *hand_v, cmpd);
	double m = hand_k ? hand_v[hand_k / 2] : 0;
	free(hand_v);
	return m;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		scale = atof(argv[1]);
	bool mn = getenv("LD_PRELOAD") && strstr(getenv("LD_PRELOAD"), "mnthread");
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);

	printf("BENCH np_pipe_pingpong %.2f us\n", pingpong(false));
	printf("BENCH np_pipe_main %.2f us\n", pingpong(true));
	fflush(stdout);
	rounds = 20;
	int threads = 0;
	printf("BENCH np_echo_1000 %.0f rt/s\n", echo(1000, &threads));
	printf("BENCH np_echo_threads %d threads\n", threads);
	fflush(stdout);
	long maxc = ((long)rl.rlim_cur - 200) / 2;
	if (maxc > 10000)
		maxc = 10000;
	rounds = 10;
	fprintf(stderr, "bench_netpoll: echo_max with %ld clients\n", maxc);
	printf("BENCH np_echo_max %.0f rt/s\n", echo(maxc, NULL));
	fflush(stdout);
	const char *s = getenv("BENCH_NETPOLL_SLEEPERS");
	long ns = s ? atol(s) : mn ? 10000 : 1000;
	fprintf(stderr, "bench_netpoll: %ld sleepers\n", ns);
	double per_s, cpu_us;
	sleepers(ns, &per_s, &cpu_us);
	printf("BENCH np_sleep_wakeups %.0f /thread/s\n", per_s);
	printf("BENCH np_sleep_cpu_us %.2f us\n", cpu_us);
	printf("BENCH np_handoff_us %.2f us\n", handoff());
	return 0;
}
