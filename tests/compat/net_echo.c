/* net_echo: a thread-per-connection echo server on loopback TCP with N
 * client threads in the same process (issue 12: under mnthread every
 * thread blocked in accept, read or write is a G parked in the netpoller,
 * so the process needs only a few OS threads).
 *
 * Usage: net_echo [CLIENTS [ROUNDS]]   (default 1000 clients, 50 rounds)
 *
 * An acceptor thread accepts CLIENTS connections and starts a server
 * thread for each, which echoes what it reads until EOF.  Each client
 * thread connects, then ROUNDS times writes a message (1 to 300 bytes, its
 * content a function of client, round and offset) and reads it back,
 * checking every byte.  CLIENTS is lowered when RLIMIT_NOFILE's hard limit
 * cannot hold two descriptors per client (the soft limit is raised to the
 * hard one first); the lines printed say the count used, the same natively
 * and under mnthread on one machine.
 *
 * Under mnthread (LD_PRELOAD names libmnthread and MN_PROCS is set) a
 * monitor thread counts /proc/self/task every 2 ms and the program fails
 * when the peak is above MN_PROCS + 8; the peak goes to stderr, with the
 * peak once every client had connected (connect's own waits apart).  Natively
 * the line about it is printed without the check, so that the output is
 * the same.
 *
 * Expects: exit 0 and "wrong bytes: 0"; a watchdog (SIGALRM, NET_ECHO_
 * TIMEOUT seconds, default 100) prints "FAIL: watchdog: stuck in PHASE".
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
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include "compat.h"

#define STACK (64 * 1024)
#define MAXMSG 300

static int nclients = 1000, rounds = 50;
static struct sockaddr_in addr;
static int lsock;

static atomic_long wrong, checked, trips, accepted, errors;
static atomic_int done_clients, connected;

static unsigned char byte_of(int client, int round, int i)
{
	return (unsigned char)(client * 131 + round * 17 + i * 7 + (i >> 3));
}

static int msglen(int client, int round) { return 1 + (client * 37 + round * 101) % MAXMSG; }

static int write_all(int fd, const unsigned char *p, int n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, (size_t)n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (int)w;
	}
	return 0;
}

static void *server(void *arg)
{
	int fd = (int)(intptr_t)arg;
	unsigned char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		if (write_all(fd, buf, (int)n) != 0) {
			atomic_fetch_add(&errors, 1);
			break;
		}
	if (n < 0)
		atomic_fetch_add(&errors, 1);
	close(fd);
	return NULL;
}

static pthread_attr_t small;

static void *acceptor(void *arg)
{
	(void)arg;
	for (int i = 0; i < nclients; i++) {
		int fd = accept(lsock, NULL, NULL);
		if (fd < 0) {
			printf("FAIL: accept: %s\n", errname(errno));
			exit(1);
		}
		pthread_t t;
		if (pthread_create(&t, &small, server, (void *)(intptr_t)fd) != 0) {
			printf("FAIL: pthread_create (server %d)\n", i);
			exit(1);
		}
		pthread_detach(t);
		atomic_fetch_add(&accepted, 1);
	}
	return NULL;
}

static void *client(void *arg)
{
	int me = (int)(intptr_t)arg;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
		printf("FAIL: client %d: connect: %s\n", me, errname(errno));
		exit(1);
	}
	atomic_fetch_add(&connected, 1);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	unsigned char out[MAXMSG], in[MAXMSG];
	for (int r = 0; r < rounds; r++) {
		int n = msglen(me, r);
		for (int i = 0; i < n; i++)
			out[i] = byte_of(me, r, i);
		if (write_all(fd, out, n) != 0) {
			atomic_fetch_add(&errors, 1);
			break;
		}
		int got = 0;
		while (got < n) {
			ssize_t k = read(fd, in + got, (size_t)(n - got));
			if (k <= 0)
				break;
			got += (int)k;
		}
		if (got < n) {
			atomic_fetch_add(&errors, 1);
			break;
		}
		long bad = 0;
		for (int i = 0; i < n; i++)
			bad += in[i] != byte_of(me, r, i);
		atomic_fetch_add(&wrong, bad);
		atomic_fetch_add(&checked, n);
		atomic_fetch_add(&trips, 1);
	}
	close(fd);
	atomic_fetch_add(&done_clients, 1);
	return NULL;
}

/* ---------------------------------------------------------------- the OS thread count */

static atomic_int stop_monitor;
static int peak, peak_connected; /* overall; once every client connected */

static int count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void *monitor(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop_monitor)) {
		int all = atomic_load(&connected) == nclients;
		int n = count_tasks();
		if (n > peak)
			peak = n;
		if (all && n > peak_connected)
			peak_connected = n;
		sleep_ms(2);
	}
	return NULL;
}

static int under_mnthread(void)
{
	const char *pre = getenv("LD_PRELOAD");
	return pre && strstr(pre, "libmnthread") && getenv("MN_PROCS");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	const char *to = getenv("NET_ECHO_TIMEOUT");
	alarm(to ? (unsigned)atoi(to) : 100);
	if (argc > 1)
		nclients = atoi(argv[1]);
	if (argc > 2)
		rounds = atoi(argv[2]);
	if (nclients < 1 || rounds < 1) {
		fprintf(stderr, "usage: net_echo [CLIENTS [ROUNDS]]\n");
		return 2;
	}

	/* Two descriptors a client (its socket and the server's), and room. */
	struct rlimit rl;
	must(getrlimit(RLIMIT_NOFILE, &rl), "getrlimit");
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < 2L * nclients + 100) {
		int fit = ((int)rl.rlim_cur - 100) / 2;
		if (fit < 10) {
			printf("SKIP: RLIMIT_NOFILE %ld is too low\n", (long)rl.rlim_cur);
			return 77;
		}
		fprintf(stderr, "net_echo: RLIMIT_NOFILE %ld: %d clients instead of %d\n", (long)rl.rlim_cur, fit,
			nclients);
		nclients = fit;
	}
	printf("clients: %d, rounds: %d\n", nclients, rounds);

	int check = under_mnthread();
	int limit = check ? atoi(getenv("MN_PROCS")) + 8 : 0;
	pthread_t mon;
	if (check)
		mon = spawn(monitor, NULL);

	pthread_attr_init(&small);
	pthread_attr_setstacksize(&small, STACK);

	phase = "listen";
	lsock = socket(AF_INET, SOCK_STREAM, 0);
	must(lsock < 0 ? -1 : 0, "socket");
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	must(bind(lsock, (struct sockaddr *)&addr, sizeof addr), "bind");
	socklen_t len = sizeof addr;
	must(getsockname(lsock, (struct sockaddr *)&addr, &len), "getsockname");
	must(listen(lsock, SOMAXCONN), "listen");

	phase = "echo";
	pthread_t acc = spawn(acceptor, NULL);
	pthread_t *cl = malloc(sizeof *cl * (size_t)nclients);
	for (int i = 0; i < nclients; i++)
		if (pthread_create(&cl[i], &small, client, (void *)(intptr_t)i) != 0) {
			printf("FAIL: pthread_create (client %d)\n", i);
			return 1;
		}
	for (int i = 0; i < nclients; i++)
		pthread_join(cl[i], NULL);
	pthread_join(acc, NULL);
	free(cl);
	close(lsock);

	if (check) {
		atomic_store(&stop_monitor, 1);
		pthread_join(mon, NULL);
		fprintf(stderr, "net_echo: peak OS threads %d (limit MN_PROCS + 8 = %d); %d once every client had connected\n",
			peak, limit, peak_connected);
	}

	long want = 0;
	for (int c = 0; c < nclients; c++)
		for (int r = 0; r < rounds; r++)
			want += msglen(c, r);
	expect_val("connections accepted", atomic_load(&accepted), nclients);
	expect_val("round trips", atomic_load(&trips), (long)nclients * rounds);
	expect_val("bytes checked", atomic_load(&checked), want);
	expect_val("wrong bytes", atomic_load(&wrong), 0);
	expect_val("errors", atomic_load(&errors), 0);
	/* Natively: printed unchecked (the same line). */
	printf("OS threads at peak within MN_PROCS + 8: %s\n", !check || peak <= limit ? "yes" : "no");
	if (check && peak > limit)
		failures++;
	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
