/* sched/cputime.c: each G's own CPU-time clock.
 *
 * What: a thread's CPU clock (CLOCK_THREAD_CPUTIME_ID, the clock of
 * pthread_getcpuclockid, getrusage(RUSAGE_THREAD)) is the kernel's clock
 * of the OS thread, which under mnthread is an M: it counts every G the M
 * ran.  Each G therefore keeps its own: the time it has run on an M.
 *
 * How: where a G starts running on an M (execute, a direct switch, the
 * return from a system call) and where it stops (a switch away, the entry
 * into a system call) the scheduler reads the time-stamp counter once: a
 * direct switch from one G to another uses the same stamp for both.  The
 * G's word (g->cputicks, cputime.h) holds the ticks it has run, or while
 * it runs that sum less the tick its run began at, flagged in bit 0, so a
 * reader anywhere gets a consistent value from one load and one rdtsc and
 * the writer is a load and a store.  Ticks become ns with a ratio
 * measured once against CLOCK_MONOTONIC_RAW, at the first read, from the
 * stamp taken at start-up (the longer the program has run, the better;
 * a read in the first CALIBRATE_MIN_NS of the process waits until then).
 * Without an invariant TSC the ticks are CLOCK_MONOTONIC ns (a vDSO read,
 * ~28 ns, instead of ~10 for rdtsc here).
 *
 * What counts: the time a G is the running G of an M, outside the system
 * calls the runtime announces (mn_entersyscall..mn_exitsyscall: blocking
 * I/O, waits for children, locks shared between processes).  The runtime
 * cannot tell, without a system call of its own, whether such a call
 * waited or worked in the kernel, and a thread blocked for seconds in
 * waitpid reporting seconds of CPU would be the worse lie, so none of it
 * counts; calls it does not announce (getpid, a write to a terminal
 * libc makes from inside fputs, a futex glibc waits on) run as part of
 * the G.  The time is wall time while running: if the kernel deschedules
 * the M in the middle of a G's run (more runnable threads than CPUs), the
 * G is charged for it.  All of it is reported as user time.
 *
 * Rejected:
 *  - reading the M's own CPU clock at each switch: a system call (1.5 us
 *    on this machine's VM), against a switch of tens of ns;
 *  - CLOCK_MONOTONIC at each switch where the TSC is usable: ~28 ns a
 *    read through the vDSO here, rdtsc ~10 (measured);
 *  - charging the M's CPU time only at points that already make a
 *    system call (the M's park, sysmon's looks at each M's CPU clock) to
 *    the G found running then: free per switch, but a statistical guess
 *    that gives two Gs handing off to each other anything from 0 to all
 *    of it, and a thread timing a few microseconds of its own work nothing;
 *  - the kernel's per-thread task clock through a perf_event mmap page
 *    (exact, no system call to read): perf_event_open is refused in many
 *    containers, and it would still be the M's clock, not the G's;
 *  - turning accounting on only when a program first asks for a CPU
 *    clock: the usual use reads a thread's clock once, at its end.
 *
 * Clock ids: a thread CPU clock id is ((~tid) << 3) | 6 (the kernel's
 * encoding: bit 2 per-thread, low bits 2 the "sched" clock, the rest the
 * complemented tid, so the id is negative).  Only 29 bits of the tid
 * survive the shift, and our fake tids (MN_FAKE_TID_MIN..END) need 30, so
 * a G's clock id carries its key instead: KEY_BASE plus its fake tid's
 * offset modulo KEY_SPAN, above PID_MAX_LIMIT (no kernel thread has such
 * a tid: the kernel answers EINVAL for it, never another thread's time)
 * and below 2^28 (the largest tid the encoding keeps).  Main, which keeps
 * its kernel tid, has KEY_MAIN.  Two live Gs whose fake tids are
 * KEY_SPAN (about 264 million) apart share a key; the lookup then finds
 * one of them.
 */
#include "cputime.h"
#include <errno.h>
#include "gfree.h"

bool mn_cputime_tsc;

/* The start-up stamp the ratio is measured from, and the ratio: ns per
 * tick, times 2^32 (0 until measured). */
static uint64_t tick0;
static int64_t raw0;
static _Atomic uint64_t mult;

/* The shortest span the ratio is measured over: a pair of reads is
 * good to about 30 ns, so 2 ms gives 15 ppm (15 us an hour of CPU). */
#define CALIBRATE_MIN_NS 2000000

#define PID_MAX_LIMIT (1 << 22) /* the kernel's upper bound on pid_max */
#define KEY_MAIN (PID_MAX_LIMIT + 1)
#define KEY_BASE (PID_MAX_LIMIT + 2)
#define KEY_SPAN ((1 << 28) - KEY_BASE)

/* The runtime's clock_gettime until preload/ hands down the C library's
 * (sched/hooks.h): the system call, answering as glibc does. */
int mn_sys_clock_gettime(clockid_t clock, struct timespec *ts)
{
	long r = mn_sys6(SYS_clock_gettime, clock, (long)ts, 0, 0, 0, 0);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return 0;
}

static int64_t raw_ns(void)
{
	struct timespec ts;
	mn_clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A tick and the raw clock read at the same moment: the raw read between
 * two ticks, taken again if something came between them. */
static void stamp(uint64_t *tick, int64_t *raw)
{
	for (int i = 0;; i++) {
		uint64_t a = mn_cputick();
		int64_t r = raw_ns();
		uint64_t b = mn_cputick();
		/* 2^14 ticks: a few us at any TSC rate; a read takes ~100 */
		if (b - a < (1u << 14) || i == 8) {
			*tick = a + (b - a) / 2;
			*raw = r;
			return;
		}
	}
}

void mn_cputime_init(void)
{
	mn_cputime_tsc = arch_tsc_invariant();
	if (!mn_cputime_tsc)
		atomic_store_explicit(&mult, 1ull << 32, memory_order_relaxed); /* ticks are ns */
	stamp(&tick0, &raw0);
}

static uint64_t ratio(void)
{
	/* acquire: pairs with the CAS below (tick0/raw0 are immutable) */
	uint64_t m = atomic_load_explicit(&mult, memory_order_acquire);
	if (__builtin_expect(m != 0, 1))
		return m;
	uint64_t t;
	int64_t r;
	do
		stamp(&t, &r);
	while (r - raw0 < CALIBRATE_MIN_NS);
	if (t == tick0) /* a counter that stands still: count ns as ticks */
		t = tick0 + (uint64_t)(r - raw0);
	m = (uint64_t)(((unsigned __int128)(r - raw0) << 32) / (t - tick0));
	uint64_t none = 0;
	/* acq_rel: whoever measured first wins; everyone uses its value */
	if (!atomic_compare_exchange_strong_explicit(&mult, &none, m, memory_order_acq_rel,
						     memory_order_acquire))
		m = none;
	return m;
}

static int64_t ticks_to_ns(uint64_t ticks)
{
	return (int64_t)(((unsigned __int128)ticks * ratio()) >> 32);
}

void mn_cputime_attach_main(struct g *gp)
{
	struct timespec ts;
	if (mn_sys6(SYS_clock_gettime, CLOCK_THREAD_CPUTIME_ID, (long)&ts, 0, 0, 0, 0) == 0)
		gp->cpubase = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	mn_cputime_start(gp, mn_cputick());
}

void mn_cputime_fork_child(struct g *gp)
{
	gp->cpubase = 0;
	/* relaxed: no other thread in the child */
	atomic_store_explicit(&gp->cputicks, 0, memory_order_relaxed);
	mn_cputime_start(gp, mn_cputick());
}

int64_t mn_cputime_ns(const struct g *gp)
{
	/* relaxed: one word, written whole by gp's M */
	uint64_t w = atomic_load_explicit(&gp->cputicks, memory_order_relaxed);
	uint64_t ticks = (w & 1) ? w - 1 + mn_cputick() : w;
	return gp->cpubase + ticks_to_ns(ticks);
}

int mn_cputime_key(const struct g *gp)
{
	if (gp->flags & G_MAIN)
		return KEY_MAIN;
	return KEY_BASE + (int)((unsigned)(gp->fake_tid - MN_FAKE_TID_MIN) % KEY_SPAN);
}

bool mn_cputime_is_key(int key)
{
	return key >= KEY_MAIN && key < KEY_BASE + KEY_SPAN;
}

static bool live(const struct g *gp)
{
	/* acquire: a live G's fields before its status */
	uint32_t st = atomic_load_explicit(&gp->status, memory_order_acquire);
	return st != G_IDLE && st != G_DEAD;
}

int mn_cputime_of_key(int key, int64_t *ns)
{
	struct g *self = mn_getg();
	if (self && !(self->flags & G_G0) && mn_cputime_key(self) == key) {
		*ns = mn_cputime_ns(self);
		return 0;
	}
	if (key == KEY_MAIN) {
		struct g *mg = mn_sched.maing;
		if (!mg || !live(mg))
			return -EINVAL;
		*ns = mn_cputime_ns(mg);
		return 0;
	}
	int r = -EINVAL;
	(void)ratio(); /* measured, if not yet, before the lock is taken */
	/* The lock keeps a found G's memory (the scavenger frees it off the
	 * list) while we read its clock. */
	mn_allg_lock();
	for (struct g *gp = mn_allg_first(); gp; gp = gp->allnext) {
		if (!live(gp) || mn_cputime_key(gp) != key)
			continue;
		*ns = mn_cputime_ns(gp);
		r = 0;
		break;
	}
	mn_allg_unlock();
	return r;
}
