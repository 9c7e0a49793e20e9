/* bench_sync: the cost of the blocking synchronisation primitives.
 *
 * Usage: bench_sync [SCALE [NAME...]]
 *   SCALE  multiplies every iteration count (default 1; 0.1 for a quick run)
 *   NAME   run only the benchmarks whose name starts with one of these
 *          (e.g. "bench_sync 1 sync_sem"); default all
 *
 * Every result is the median of several batches (the batch count is given
 * below), which keeps scheduler and virtual machine noise out of it.
 *
 * Results:
 *   BENCH sync_mutexcond_pingpong      two threads share `turn`, guarded by
 *                                      a mutex; each waits on its condition
 *                                      variable until turn is its own, gives
 *                                      it to the other and signals the
 *                                      other's condvar.  ns per round trip
 *                                      (two hand-offs); 5 batches.
 *   BENCH sync_mutexcond_pingpong_main the same between main and a thread
 *                                      (the shape of a main that feeds a
 *                                      worker).
 *   BENCH sync_sem_pingpong            the same with two semaphores:
 *                                      post(other); wait(mine).  ns per round
 *                                      trip; 5 batches.
 *   BENCH sync_sem_pingpong_main       the same between main and a thread.
 *   BENCH sync_mutex_contended_T       T = 2, 4, 16, 64 threads each do the
 *                                      same number of lock; ++counter;
 *                                      unlock on one mutex, all released at
 *                                      once.  ns per acquisition: wall time
 *                                      from the release to the last thread
 *                                      done, divided by all acquisitions;
 *                                      3 batches.
 *   BENCH sync_mutex_uncontended       lock+unlock pairs on a private mutex
 *                                      in a spawned thread while an extra
 *                                      idle thread exists (so glibc is in
 *                                      multi-threaded mode).  ns per pair;
 *                                      5 batches.  Under mnthread the
 *                                      spawned thread is an ordinary G.
 *   BENCH sync_mutex_uncontended_main  the same loop run by main (under
 *                                      mnthread an ordinary G; locked to
 *                                      the first OS thread only with
 *                                      MN_DEBUG=lockmain=1).
 *   BENCH sync_kill_roundtrip          a thread waits in sem_wait; another
 *                                      (not main) sends it SIGUSR1 with
 *                                      pthread_kill,
 *                                      whose handler (run on the waiting
 *                                      thread) posts a semaphore the sender
 *                                      waits on; the wait ends with EINTR
 *                                      and begins again.  ns per round
 *                                      trip; 5 batches.
 *
 * Every benchmark checks its result (counter values, turns, the handler
 * running on the signalled thread) and exits 1
 * with a message when it is wrong.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double scale = 1.0;
static int n_filters;
static char **filters;

/* Iteration counts at SCALE 1.  A native futex round trip costs 5-60 us
 * on a small virtual machine, so the ping-pongs (6 batches with the warm
 * up) take about 1.5 s each there. */
#define PINGPONG_N 5000        /* round trips per batch */
#define PINGPONG_BATCHES 5
#define CONTENDED_TOTAL 2000000 /* acquisitions per batch, all threads */
#define CONTENDED_BATCHES 3
#define UNCONTENDED_N 10000000 /* lock+unlock pairs per batch */
#define UNCONTENDED_BATCHES 5

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_sync: %s: %s\n", what, strerror(err));
	exit(1);
}

static void fail(const char *msg)
{
	fprintf(stderr, "bench_sync: %s\n", msg);
	exit(1);
}

static long scaled(long n)
{
	long v = (long)((double)n * scale);
	return v < 1 ? 1 : v;
}

static int wanted(const char *name)
{
	if (n_filters == 0)
		return 1;
	for (int i = 0; i < n_filters; i++)
		if (strncmp(name, filters[i], strlen(filters[i])) == 0)
			return 1;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void report(const char *name, double ns)
{
	printf("BENCH %s %.1f ns/op\n", name, ns);
	fflush(stdout);
}

static pthread_t spawn(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int err = pthread_create(&t, NULL, fn, arg);

	if (err)
		die("pthread_create", err);
	return t;
}

static void join(pthread_t t)
{
	int err = pthread_join(t, NULL);

	if (err)
		die("pthread_join", err);
}

/* ------------------------------------------------------------ ping-pongs */

/* Thread 0 starts every round trip and times the batches; thread 1 only
 * answers.  Both run warm-up + batches * n round trips. */
static struct {
	long n, warmup;
	double batch_ns[PINGPONG_BATCHES];
} pp;

static pthread_mutex_t pp_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_cond[2] = {PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER};
static int pp_turn;
static sem_t pp_sem[2];

/* One hand-off by thread `me`: wait for my turn, give it to the other. */
static inline void mc_step(int me)
{
	pthread_mutex_lock(&pp_mutex);
	while (pp_turn != me)
		pthread_cond_wait(&pp_cond[me], &pp_mutex);
	pp_turn = 1 - me;
	pthread_cond_signal(&pp_cond[1 - me]);
	pthread_mutex_unlock(&pp_mutex);
}

static void *mc_player(void *arg)
{
	int me = (int)(intptr_t)arg;

	for (long i = 0; i < pp.warmup; i++)
		mc_step(me);
	for (int b = 0; b < PINGPONG_BATCHES; b++) {
		uint64_t t0 = now_ns();
		for (long i = 0; i < pp.n; i++)
			mc_step(me);
		/* n steps of thread 0, each waiting for the turn to come
		 * back: n round trips. */
		if (me == 0)
			pp.batch_ns[b] = (double)(now_ns() - t0) / (double)pp.n;
	}
	return NULL;
}

static inline void sem_wait_or_die(sem_t *s)
{
	while (sem_wait(s) != 0)
		if (errno != EINTR)
			die("sem_wait", errno);
}

static void *sem_player(void *arg)
{
	int me = (int)(intptr_t)arg;
	long total = pp.warmup + PINGPONG_BATCHES * pp.n;

	if (me == 1) {
		for (long i = 0; i < total; i++) {
			sem_wait_or_die(&pp_sem[1]);
			sem_post(&pp_sem[0]);
		}
		return NULL;
	}
	for (long i = 0; i < pp.warmup; i++) {
		sem_post(&pp_sem[1]);
		sem_wait_or_die(&pp_sem[0]);
	}
	for (int b = 0; b < PINGPONG_BATCHES; b++) {
		uint64_t t0 = now_ns();
		for (long i = 0; i < pp.n; i++) {
			sem_post(&pp_sem[1]);
			sem_wait_or_die(&pp_sem[0]);
		}
		pp.batch_ns[b] = (double)(now_ns() - t0) / (double)pp.n;
	}
	return NULL;
}

/* on_main: main plays side 0 (the timed one) itself. */
static void pingpong(const char *name, void *(*player)(void *), int on_main)
{
	pthread_t t[2];

	pp.n = scaled(PINGPONG_N);
	pp.warmup = pp.n / 5 > 0 ? pp.n / 5 : 1;
	pp_turn = 0;
	for (int i = on_main; i < 2; i++)
		t[i] = spawn(player, (void *)(intptr_t)i);
	if (on_main)
		player((void *)(intptr_t)0);
	for (int i = on_main; i < 2; i++)
		join(t[i]);
	if (pp_turn != 0)
		fail("mutex+cond ping-pong: turn is not back to 0");
	if (player == sem_player) {
		int v0, v1;
		sem_getvalue(&pp_sem[0], &v0);
		sem_getvalue(&pp_sem[1], &v1);
		if (v0 != 0 || v1 != 0)
			fail("semaphore ping-pong: semaphores not back to 0");
	}
	report(name, median(pp.batch_ns, PINGPONG_BATCHES));
}

/* ------------------------------------------------------ contended mutex */

static struct {
	pthread_mutex_t m;      /* the contended one */
	pthread_mutex_t gate_m; /* start gate */
	pthread_cond_t gate_c;
	int ready, go;
	long per_thread;
	long counter;
	uint64_t end_ns; /* when the last thread finished (max over threads) */
} ct = {
	.m = PTHREAD_MUTEX_INITIALIZER,
	.gate_m = PTHREAD_MUTEX_INITIALIZER,
	.gate_c = PTHREAD_COND_INITIALIZER,
};

static void *ct_worker(void *arg)
{
	uint64_t end, old;

	(void)arg;
	pthread_mutex_lock(&ct.gate_m);
	ct.ready++;
	pthread_cond_broadcast(&ct.gate_c);
	while (!ct.go)
		pthread_cond_wait(&ct.gate_c, &ct.gate_m);
	pthread_mutex_unlock(&ct.gate_m);

	for (long i = 0; i < ct.per_thread; i++) {
		pthread_mutex_lock(&ct.m);
		ct.counter++;
		pthread_mutex_unlock(&ct.m);
	}

	end = now_ns();
	old = __atomic_load_n(&ct.end_ns, __ATOMIC_RELAXED);
	while (old < end &&
	       !__atomic_compare_exchange_n(&ct.end_ns, &old, end, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return NULL;
}

/* One batch with n threads; returns ns per acquisition. */
static double contended_batch(int n)
{
	pthread_t t[64];
	uint64_t t0;

	ct.per_thread = scaled(CONTENDED_TOTAL) / n;
	if (ct.per_thread < 1)
		ct.per_thread = 1;
	ct.counter = 0;
	ct.ready = 0;
	ct.go = 0;
	ct.end_ns = 0;
	for (int i = 0; i < n; i++)
		t[i] = spawn(ct_worker, NULL);

	pthread_mutex_lock(&ct.gate_m);
	while (ct.ready < n)
		pthread_cond_wait(&ct.gate_c, &ct.gate_m);
	ct.go = 1;
	t0 = now_ns();
	pthread_cond_broadcast(&ct.gate_c);
	pthread_mutex_unlock(&ct.gate_m);

	for (int i = 0; i < n; i++)
		join(t[i]);
	if (ct.counter != ct.per_thread * n) {
		fprintf(stderr, "bench_sync: contended mutex, %d threads: counter %ld, expected %ld\n",
			n, ct.counter, ct.per_thread * n);
		exit(1);
	}
	return (double)(ct.end_ns - t0) / (double)(ct.per_thread * n);
}

static void contended(int n)
{
	char name[64];
	double v[CONTENDED_BATCHES];

	snprintf(name, sizeof name, "sync_mutex_contended_%d", n);
	if (!wanted(name))
		return;
	for (int b = 0; b < CONTENDED_BATCHES; b++)
		v[b] = contended_batch(n);
	report(name, median(v, CONTENDED_BATCHES));
}

/* ---------------------------------------------------- uncontended mutex */

static pthread_mutex_t idle_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_c = PTHREAD_COND_INITIALIZER;
static int idle_quit;

/* The extra thread: blocks until told to quit. */
static void *idler(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&idle_m);
	while (!idle_quit)
		pthread_cond_wait(&idle_c, &idle_m);
	pthread_mutex_unlock(&idle_m);
	return NULL;
}

/* The median over batches of ns per lock+unlock pair. */
static void *uncontended_loop(void *arg)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	double v[UNCONTENDED_BATCHES];
	long n = scaled(UNCONTENDED_N);
	volatile long sum = 0;

	for (int b = 0; b < UNCONTENDED_BATCHES; b++) {
		uint64_t t0 = now_ns();
		for (long i = 0; i < n; i++) {
			pthread_mutex_lock(&m);
			sum++;
			pthread_mutex_unlock(&m);
		}
		v[b] = (double)(now_ns() - t0) / (double)n;
	}
	if (sum != n * UNCONTENDED_BATCHES)
		fail("uncontended mutex: wrong count");
	*(double *)arg = median(v, UNCONTENDED_BATCHES);
	return NULL;
}

static void uncontended(void)
{
	pthread_t idle;
	double ns;

	if (!wanted("sync_mutex_uncontended") && !wanted("sync_mutex_uncontended_main"))
		return;
	idle = spawn(idler, NULL);
	if (wanted("sync_mutex_uncontended")) {
		join(spawn(uncontended_loop, &ns));
		report("sync_mutex_uncontended", ns);
	}
	if (wanted("sync_mutex_uncontended_main")) {
		uncontended_loop(&ns);
		report("sync_mutex_uncontended_main", ns);
	}
	pthread_mutex_lock(&idle_m);
	idle_quit = 1;
	pthread_cond_signal(&idle_c);
	pthread_mutex_unlock(&idle_m);
	join(idle);
}

/* ---------------------------------------------------------- pthread_kill */
static sem_t kr_ack, kr_never;
static pthread_t kr_target;
static volatile sig_atomic_t kr_wrong, kr_quit;

static void kr_handler(int sig)
{
	(void)sig;
	if (!pthread_equal(pthread_self(), kr_target))
		kr_wrong = 1;
	sem_post(&kr_ack);
}

static void *kr_waiter(void *arg)
{
	(void)arg;
	sem_post(&kr_ack); /* started */
	while (!kr_quit) {
		if (sem_wait(&kr_never) == 0)
			break;
		if (errno != EINTR)
			die("sem_wait", errno);
	}
	return NULL;
}

static void *kr_sender(void *arg)
{
	double *v = arg;
	long n = scaled(20000);
	for (int b = 0; b < 5; b++) {
		uint64_t t0 = now_ns();
		for (long i = 0; i < n; i++) {
			int e = pthread_kill(kr_target, SIGUSR1);
			if (e)
				die("pthread_kill", e);
			sem_wait_or_die(&kr_ack);
		}
		v[b] = (double)(now_ns() - t0) / (double)n;
	}
	return NULL;
}

static void kill_roundtrip(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = kr_handler; /* no SA_RESTART: each sem_wait ends */
	sigaction(SIGUSR1, &sa, NULL);
	if (sem_init(&kr_ack, 0, 0) || sem_init(&kr_never, 0, 0))
		die("sem_init", errno);
	kr_target = spawn(kr_waiter, NULL);
	sem_wait_or_die(&kr_ack);
	/* The sender is a thread too: two threads, not main. */
	double v[5];
	join(spawn(kr_sender, v));
	kr_quit = 1;
	sem_post(&kr_never);
	join(kr_target);
	if (kr_wrong)
		fail("sync_kill_roundtrip: the handler ran on another thread");
	report("sync_kill_roundtrip", median(v, 5));
}

int main(int argc, char **argv)
{
	static const int contended_n[] = {2, 4, 16, 64};
	char *end;

	if (argc > 1) {
		scale = strtod(argv[1], &end);
		if (*end || !(scale > 0)) {
			fprintf(stderr, "usage: bench_sync [SCALE [NAME...]]\n");
			return 2;
		}
	}
	n_filters = argc > 2 ? argc - 2 : 0;
	filters = argv + 2;

	for (int i = 0; i < 2; i++)
		if (sem_init(&pp_sem[i], 0, 0))
			die("sem_init", errno);

	if (wanted("sync_mutexcond_pingpong"))
		pingpong("sync_mutexcond_pingpong", mc_player, 0);
	if (wanted("sync_mutexcond_pingpong_main"))
		pingpong("sync_mutexcond_pingpong_main", mc_player, 1);
	if (wanted("sync_sem_pingpong"))
		pingpong("sync_sem_pingpong", sem_player, 0);
	if (wanted("sync_sem_pingpong_main"))
		pingpong("sync_sem_pingpong_main", sem_player, 1);
	for (size_t i = 0; i < sizeof contended_n / sizeof contended_n[0]; i++)
		contended(contended_n[i]);
	uncontended();
	if (wanted("sync_kill_roundtrip"))
		kill_roundtrip();
	return 0;
}
