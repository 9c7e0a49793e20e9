/* preempt_stress: threads doing ordinary work keep getting right answers
 * while sysmon preempts them (issue 11: the safety stress).
 *
 * For 1.5 s (then main sets a flag that each thread checks between its
 * rounds), these threads repeat rounds of work whose answer is known:
 *   - 2 x malloc/free: a pool of 64 live blocks of varying sizes, each
 *     filled with a pattern checked when it is freed;
 *   - 2 x fprintf: numbered, checksummed lines to one shared temporary
 *     file (the first 20,000 of each; the rest to /dev/null), read back
 *     and checked by main at the end;
 *   - qsort of 4,096 pseudo-random ints with a comparison callback: sorted
 *     and the same sum;
 *   - snprintf of 32 doubles ("%.17g %.6e %a"): the strings main made
 *     before the threads started;
 *   - AVX2 (preempt_stress_avx.c; only when the CPU has AVX2, else the
 *     line says it was skipped): the hash of 14 ymm accumulators equals
 *     main's, computed before;
 *   - 2 x C++ exceptions (preempt_stress_cxx.cc): thrown through frames
 *     with destructors and caught;
 *   - 2 x pure spinning: an xorshift and floating-point chain in registers,
 *     no calls, equal to main's result.
 * Run by preempt_stress.sh at MN_PROCS 1, 2 and 4, with
 * MN_DEBUG=schedtrace=250,preemptms=1 so that the threads are preempted as
 * often as the runtime can; that script reports the count.  The spinners
 * never enter the runtime: without preemption main never gets to set the
 * flag, and the watchdog fires.
 *
 * Proves: every thread did at least one round and every round gave the
 * right answer; the file holds exactly the lines written.
 *
 * Expects: exit 0 and a fixed list of lines.  A watchdog (SIGALRM, 4 s to
 * the end of the rounds, 15 s for the rest) prints "FAIL: watchdog: stuck
 * in PHASE".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "compat.h"
#include "preempt.h"

#define RUN_MS 1500

int stress_avx_supported(void);
uint64_t stress_avx(long iters);
long stress_exceptions_round(long seed);

static volatile int stop;

struct job {
	const char *what;
	void (*round)(struct job *);
	int id;
	long rounds, bad;
	long n; /* job-specific: lines written */
};

/* ------------------------------------------------------------ malloc */
static uint32_t xs32(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

#define POOL 64
struct pool {
	unsigned char *p[POOL];
	size_t n[POOL];
	uint32_t rng;
};
static struct pool pools[2];

static void malloc_round(struct job *j)
{
	struct pool *pl = &pools[j->id];
	unsigned char tag = (unsigned char)(0x40 + j->id);
	for (int k = 0; k < 256; k++) {
		int slot = (int)(xs32(&pl->rng) % POOL);
		if (pl->p[slot]) {
			size_t n = pl->n[slot];
			unsigned char *p = pl->p[slot];
			if (p[0] != tag || p[n / 2] != (unsigned char)n || p[n - 1] != tag)
				j->bad++;
			free(p);
		}
		size_t n = 4 + xs32(&pl->rng) % 8192;
		unsigned char *p = malloc(n);
		if (p == NULL) {
			j->bad++;
			pl->p[slot] = NULL;
			continue;
		}
		memset(p, tag, n);
		p[n / 2] = (unsigned char)n;
		pl->p[slot] = p;
		pl->n[slot] = n;
	}
}

/* ------------------------------------------------------------ fprintf */
/* The first FILE_LINES lines of each writer go to the file, the rest to
 * /dev/null (through one shared FILE too), which keeps the file small. */
#define FILE_LINES 20000
static FILE *shared_file, *shared_null;

static uint32_t line_sum(int id, long seq)
{
	uint32_t x = (uint32_t)(seq * 2654435761u) ^ (uint32_t)(id + 1) * 40503u;
	return xs32(&x) | 1;
}

static void fprintf_round(struct job *j)
{
	for (int k = 0; k < 64; k++) {
		long seq = j->n;
		FILE *f = seq < FILE_LINES ? shared_file : shared_null;
		if (fprintf(f, "writer %d line %ld sum %08" PRIx32 "\n", j->id, seq, line_sum(j->id, seq)) < 0)
			j->bad++;
		j->n++;
	}
}

/* Read the file back: every line well formed, each writer's lines in
 * order and all there. */
static void check_file(struct job *w0, struct job *w1)
{
	struct job *w[2] = {w0, w1};
	long next[2] = {0, 0};
	long badlines = 0;
	char line[128];
	fflush(shared_file);
	rewind(shared_file);
	while (fgets(line, sizeof line, shared_file)) {
		int id;
		long seq;
		uint32_t sum;
		if (sscanf(line, "writer %d line %ld sum %" SCNx32, &id, &seq, &sum) != 3 || id < 0 || id > 1 ||
		    seq != next[id] || sum != line_sum(id, seq)) {
			badlines++;
			continue;
		}
		next[id]++;
	}
	for (int i = 0; i < 2; i++)
		if (next[i] != (w[i]->n < FILE_LINES ? w[i]->n : FILE_LINES))
			badlines++;
	expect_val("fprintf: lines in the file that are wrong or missing", badlines, 0);
}

/* ------------------------------------------------------------ qsort */
static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static void qsort_round(struct job *j)
{
	enum { N = 4096 };
	static int v[N];
	uint32_t x = 12345u + (uint32_t)j->rounds;
	long long sum = 0;
	for (int i = 0; i < N; i++) {
		v[i] = (int)(xs32(&x) % 100000) - 50000;
		sum += v[i];
	}
	qsort(v, N, sizeof v[0], cmp_int);
	long long after = 0;
	for (int i = 0; i < N; i++) {
		after += v[i];
		if (i && v[i - 1] > v[i]) {
			j->bad++;
			return;
		}
	}
	if (after != sum)
		j->bad++;
}

/* ------------------------------------------------------------ snprintf */
#define NDOUBLES 32
static double doubles[NDOUBLES];
static char expected[NDOUBLES][96];

static void format_double(char *buf, size_t n, double d)
{
	snprintf(buf, n, "%.17g %.6e %a", d, d, d);
}

static void snprintf_round(struct job *j)
{
	char buf[96];
	for (int i = 0; i < NDOUBLES; i++) {
		format_double(buf, sizeof buf, doubles[i]);
		if (strcmp(buf, expected[i]) != 0)
			j->bad++;
	}
}

/* ------------------------------------------------------------ AVX2 */
#define AVX_ITERS 20000
static uint64_t avx_expected;

static void avx_round(struct job *j)
{
	if (stress_avx(AVX_ITERS) != avx_expected)
		j->bad++;
}

/* ------------------------------------------------------------ C++ */
static void exceptions_round(struct job *j)
{
	j->bad += stress_exceptions_round(j->rounds + j->id);
}

/* ------------------------------------------------------------ spinning */
#define SPIN_ITERS 200000
static uint64_t spin_expected_x;
static double spin_expected_d;

/* No calls: an xorshift chain and a floating-point chain in registers. */
static void spin_work(uint64_t *xo, double *dout)
{
	uint64_t x = 88172645463325252u;
	double d = 1.0;
	for (long i = 0; i < SPIN_ITERS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		d = d * 1.0000001 + (double)(x & 0xff) * 1e-9;
	}
	*xo = x;
	*dout = d;
}

static void spin_round(struct job *j)
{
	uint64_t x;
	double d;
	spin_work(&x, &d);
	if (x != spin_expected_x || d != spin_expected_d)
		j->bad++;
}

/* ------------------------------------------------------------ driver */
static void *run_job(void *arg)
{
	struct job *j = arg;
	do {
		j->round(j);
		j->rounds++;
	} while (!stop);
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(4);

	phase = "the known answers";
	for (int i = 0; i < NDOUBLES; i++) {
		doubles[i] = (i - 16) * 1234.5678 / (i + 1.5) + (i % 3 ? 1e-300 * i : 1e300 / (i + 1));
		format_double(expected[i], sizeof expected[i], doubles[i]);
	}
	int have_avx = stress_avx_supported();
	if (have_avx)
		avx_expected = stress_avx(AVX_ITERS);
	spin_work(&spin_expected_x, &spin_expected_d);
	pools[0].rng = 1;
	pools[1].rng = 2;
	shared_file = tmpfile();
	must(shared_file == NULL ? errno : 0, "tmpfile");
	shared_null = fopen("/dev/null", "w");
	must(shared_null == NULL ? errno : 0, "fopen /dev/null");

	struct job jobs[] = {
		{"malloc/free", malloc_round, 0, 0, 0, 0},
		{"malloc/free", malloc_round, 1, 0, 0, 0},
		{"fprintf", fprintf_round, 0, 0, 0, 0},
		{"fprintf", fprintf_round, 1, 0, 0, 0},
		{"qsort", qsort_round, 0, 0, 0, 0},
		{"snprintf of doubles", snprintf_round, 0, 0, 0, 0},
		{"AVX2", avx_round, 0, 0, 0, 0},
		{"C++ exceptions", exceptions_round, 0, 0, 0, 0},
		{"C++ exceptions", exceptions_round, 1, 0, 0, 0},
		{"spinning", spin_round, 0, 0, 0, 0},
		{"spinning", spin_round, 1, 0, 0, 0},
	};
	enum { NJOBS = sizeof jobs / sizeof jobs[0] };
	pthread_t t[NJOBS];

	phase = "the threads' rounds";
	for (int i = 0; i < NJOBS; i++)
		if (jobs[i].round != avx_round || have_avx)
			t[i] = spawn(run_job, &jobs[i]);
	sleep_ms(RUN_MS);
	phase = "stopping the threads";
	alarm(15);
	stop = 1;
	for (int i = 0; i < NJOBS; i++)
		if (jobs[i].round != avx_round || have_avx)
			must(pthread_join(t[i], NULL), "pthread_join");

	for (int i = 0; i < NJOBS; i++) {
		struct job *j = &jobs[i];
		if (j->round == avx_round && !have_avx) {
			printf("%s: skipped (the CPU has no AVX2)\n", j->what);
			continue;
		}
		fprintf(stderr, "preempt_stress: %s %d: %ld rounds, %ld wrong\n", j->what, j->id, j->rounds, j->bad);
		int ok = j->rounds >= 1 && j->bad == 0;
		printf("%s %d: every round right: %s\n", j->what, j->id, ok ? "yes" : "no");
		if (!ok)
			failures++;
	}
	phase = "reading the file back";
	check_file(&jobs[2], &jobs[3]);
	fclose(shared_file);
	fclose(shared_null);
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < POOL; i++)
			free(pools[k].p[i]);
	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
