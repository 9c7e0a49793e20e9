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
 * direct switch from one G to another uses the same stamp for both.  A
 * stamp is turned into the M's virtual clock (cputime.h: vnow): the
 * ticks since the M's last checkpoint in which it was not idle, scaled
 * by the share of them it is expected to be on a CPU, so that a G is
 * not charged for the time the kernel left its M waiting for a CPU.  The
 * G's word (g->cputicks) holds the virtual ticks it has run, or while it
 * runs that sum less the M's virtual tick its run began at, flagged in
 * bit 0, so a reader anywhere gets a consistent value from one load and
 * the M's clock, and the writer is a load and a store.  Ticks become ns
 * with a ratio measured once against CLOCK_MONOTONIC_RAW, at the first
 * read, from the stamp taken at start-up (a read in the first
 * CALIBRATE_MIN_NS of the process waits until then).  Without an
 * invariant TSC the ticks are CLOCK_MONOTONIC ns.
 *
 * Checkpoints: an M's clock is set from its thread's CPU clock (a system
 * call) at checkpoints: by sysmon about every millisecond while the M
 * runs a P (WINDOW_NS), by the M itself where a G starts or stops once
 * its window is SWITCH_WINDOW_NS old, and by any thread reading a G's
 * clock (the M running it: natively that read is a system call too).  A
 * checkpoint moves the M's exact clock (ck_exact) by the CPU time used
 * since the last one, sets the virtual clock to it (never below a value
 * already given: vfloor, the last checkpoint's) and sets the rate for the
 * next window to the share of the busy time just measured, less what the
 * clock is ahead.  Busy time leaves out the M's idle time (asleep on its
 * note, in the netpoller, its G in an announced system call: m->idleticks,
 * counted where those begin and end), so a rate is not diluted by sleep.
 * Between checkpoints the clock is a guess (at most a window's worth
 * off); at a checkpoint, and so at every read, it is the M's CPU time.
 * The writers (sysmon, the M, readers) take the seqlock m->cpuseq with a
 * CAS and never hold it across a system call.
 *
 * What counts: the time a G is the running G of an M, outside the system
 * calls the runtime announces (mn_entersyscall..mn_exitsyscall: blocking
 * I/O, waits for children, locks shared between processes), on a CPU;
 * the kernel's work inside an announced call is charged to the G running
 * at the M's next checkpoint (usually the caller).  Calls it does not
 * announce (getpid, a write to a terminal libc makes from inside fputs,
 * a futex glibc waits on) run as part of the G.  All of it is reported
 * as user time.
 *
 * Rejected:
 *  - reading the M's own CPU clock at each switch: a system call (1.5 us
 *    on this machine's VM), against a switch of tens of ns;
 *  - CLOCK_MONOTONIC at each switch where the TSC is usable: ~28 ns a
 *    read through the vDSO here, rdtsc ~10 (measured);
 *  - wall time while running (the first version): a G whose M the
 *    kernel descheduled was charged for the wait (3:1 work read 5.9:1
 *    at a load of 8 on 2 CPUs);
 *  - a rate alone, measured over a window and applied to the next (no
 *    exact clock): with the kernel's slices of a few ms an M is on or off
 *    a CPU for whole windows, and the guesses' errors added up to 30%;
 *  - the M's checkpoints only at switches: a G that runs 300 ms without
 *    one would be charged at the rate of before it started;
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

/* A G stopping on an M whose window is this old has the M take a
 * checkpoint (one system call, ~1.5 us here): at most 0.75% of a CPU for
 * a program that switches all the time; the G then leaves with an error
 * of at most this times the rate's error. */
#define SWITCH_WINDOW_NS 200000
_Atomic uint64_t mn_cputime_switch_ticks = UINT64_MAX;

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
	/* relaxed: a threshold; any value is safe */
	atomic_store_explicit(&mn_cputime_switch_ticks, (uint64_t)(((unsigned __int128)SWITCH_WINDOW_NS << 32) / m),
			      memory_order_relaxed);
	return m;
}

static int64_t ticks_to_ns(uint64_t ticks)
{
	return (int64_t)(((unsigned __int128)ticks * ratio()) >> 32);
}

int64_t mn_cputime_ticks_ns(uint64_t ticks) { return ticks_to_ns(ticks); }

/* The thread CPU clock of OS thread tid, or the caller's own (tid 0), in
 * ns; -1 when it cannot be read.  A raw system call: sysmon and minit
 * must not go through the C library's (preload/ interposes it). */
static int64_t thread_cpu(int tid)
{
	struct timespec ts;
	long id = tid ? (long)((~(unsigned long)tid) << 3) | 6 : CLOCK_THREAD_CPUTIME_ID;
	if (mn_sys6(SYS_clock_gettime, id, (long)&ts, 0, 0, 0, 0) < 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------------ M rates */

/* sysmon takes a checkpoint of an M running a P once its window is this
 * old: sysmon looks at a busy P every 1 ms (sysmon.c), so windows are
 * 1-2 ms, each costing one system call (~1.5 us) of sysmon's. */
#define WINDOW_NS 900000
/* A window in which the M was busy less than this keeps the old rate:
 * its reads are too close for a share (a few us of skew each). */
#define WINDOW_BUSY_MIN_NS 200000

/* mp's idle ticks by tick now. */
static uint64_t idle_at(const struct m *mp, uint64_t now)
{
	/* relaxed: one word, written whole by mp */
	uint64_t w = atomic_load_explicit(&mp->idleticks, memory_order_relaxed);
	return (w & 1) ? w - 1 + now : w;
}

/* The seqlock's writers, sysmon and mp's own thread reading its clock,
 * take it by moving cpuseq from even to odd; one that finds it taken
 * skips its checkpoint.  True if taken. */
static bool ck_lock(struct m *mp)
{
	/* relaxed: re-read by the CAS */
	uint32_t s = atomic_load_explicit(&mp->cpuseq, memory_order_relaxed);
	/* acquire: the previous writer's fields (its release store) before ours */
	if ((s & 1) || !atomic_compare_exchange_strong_explicit(&mp->cpuseq, &s, s + 1, memory_order_acquire,
								 memory_order_relaxed))
		return false;
	/* release fence: the odd seq before the fields (pairs with the
	 * readers' acquire fence, mn_cputime_vnow) */
	atomic_thread_fence(memory_order_release);
	return true;
}

/* Write mp's checkpoint and release the seqlock. */
static void ck_unlock(struct m *mp, uint64_t tick, uint64_t vtick, uint64_t slow, uint64_t idle)
{
	atomic_store_explicit(&mp->ck_tick, tick, memory_order_relaxed);
	atomic_store_explicit(&mp->ck_vtick, vtick, memory_order_relaxed);
	atomic_store_explicit(&mp->ck_slow, slow, memory_order_relaxed);
	atomic_store_explicit(&mp->ck_idle, idle, memory_order_relaxed);
	/* relaxed: we hold it */
	uint32_t s = atomic_load_explicit(&mp->cpuseq, memory_order_relaxed);
	/* release: the fields before the even seq (readers' acquire load) */
	atomic_store_explicit(&mp->cpuseq, s + 1, memory_order_release);
}

void mn_cputime_minit(struct m *mp)
{
	int64_t cpu = thread_cpu(0);
	atomic_store_explicit(&mp->idleticks, 0, memory_order_relaxed);
	mp->ck_cpu = cpu < 0 ? 0 : cpu;
	mp->ck_exact = 0;
	atomic_store_explicit(&mp->vfloor, 0, memory_order_relaxed);
	if (!ck_lock(mp))
		mn_throw("cputime: minit: checkpoint held");
	ck_unlock(mp, mn_cputick(), 0, 0, 0);
}

/* The ratio, without waiting: 0 until CALIBRATE_MIN_NS after start-up. */
static uint64_t ratio_now(void)
{
	/* relaxed: ratio() reads it again with acquire */
	if (atomic_load_explicit(&mult, memory_order_relaxed) == 0 && raw_ns() - raw0 < CALIBRATE_MIN_NS)
		return 0;
	return ratio();
}

/* A checkpoint of mp at tick now, when its thread's CPU clock read cpu
 * (both read before the seqlock is taken: a writer never holds it across
 * a system call).  The window since the last one had `busy' ticks in
 * which mp was not idle and used `used' of them on a CPU: the exact
 * clock (ck_exact) goes forward by used.  The virtual clock goes to the
 * exact one, but never below a value it has given (the last checkpoint's,
 * the last G start or stop on mp: vfloor); the next window's rate is
 * this window's share on a CPU, less what the clock is now ahead, so
 * that it is paid back within a window.  Returns the clock's value at the
 * checkpoint (a later one, if a later reading got there first). */
static uint64_t checkpoint(struct m *mp, uint64_t m, uint64_t now, int64_t cpu)
{
	while (!ck_lock(mp))
		arch_pause();
	/* relaxed: we hold the seqlock */
	uint64_t t = atomic_load_explicit(&mp->ck_tick, memory_order_relaxed);
	uint64_t v0 = atomic_load_explicit(&mp->ck_vtick, memory_order_relaxed);
	uint64_t slow = atomic_load_explicit(&mp->ck_slow, memory_order_relaxed);
	uint64_t idle0 = atomic_load_explicit(&mp->ck_idle, memory_order_relaxed);
	if ((int64_t)(now - t) <= 0 || cpu < mp->ck_cpu) {
		/* An older reading than the checkpoint's: nothing new; the
		 * clock's value now is past any value given so far. */
		uint64_t v = vnow_locked(mp, mn_cputick());
		ck_unlock(mp, t, v0, slow, idle0);
		return v;
	}
	uint64_t idle = idle_at(mp, now);
	int64_t busy = (int64_t)(now - t) - (int64_t)(idle - idle0);
	int64_t used_t = (int64_t)(((unsigned __int128)(cpu - mp->ck_cpu) << 32) / m);
	/* All of it counts (the kernel's work in announced calls included,
	 * which the G on mp at the next checkpoint gets: usually the caller),
	 * so that none is lost; for the rate, more than busy (that work, or
	 * the skew of the two reads) means the M ran throughout. */
	mp->ck_exact += (uint64_t)used_t;
	if (used_t > busy)
		used_t = busy > 0 ? busy : 0;
	/* relaxed: a word mp writes whole; a start or stop after our read
	 * uses the clock we write (mp reads it after) */
	uint64_t floor = atomic_load_explicit(&mp->vfloor, memory_order_relaxed);
	uint64_t v = mp->ck_exact;
	if ((int64_t)(floor - v) > 0)
		v = floor;
	if ((int64_t)(v0 - v) > 0)
		v = v0;
	if (busy >= (int64_t)(((unsigned __int128)WINDOW_BUSY_MIN_NS << 32) / m)) {
		int64_t want = used_t - (int64_t)(v - mp->ck_exact);
		want = want < 0 ? 0 : want;
		slow = (uint64_t)(((unsigned __int128)(busy - want) << 32) / (uint64_t)busy);
	}
	mp->ck_cpu = cpu;
	ck_unlock(mp, now, v, slow, idle);
	return v;
}

void mn_cputime_look(struct m *mp)
{
	uint64_t m = ratio_now();
	if (m == 0)
		return;
	/* relaxed: a hint; the checkpoint re-reads it under the lock */
	uint64_t t = atomic_load_explicit(&mp->ck_tick, memory_order_relaxed);
	if (mn_cputick() - t < (uint64_t)(((unsigned __int128)WINDOW_NS << 32) / m))
		return;
	int64_t cpu = thread_cpu(mp->tid);
	if (cpu >= 0)
		checkpoint(mp, m, mn_cputick(), cpu);
}

/* A checkpoint of mp by a thread (tid; 0: mp's own) that reads a clock:
 * true and *v, mp's virtual clock now. */
static bool mcheck(struct m *mp, int tid, uint64_t *v)
{
	uint64_t m = ratio_now();
	if (m == 0)
		return false;
	int64_t cpu = thread_cpu(tid);
	if (cpu < 0)
		return false;
	*v = checkpoint(mp, m, mn_cputick(), cpu);
	return true;
}

void mn_cputime_mcheck(struct m *mp, int tid)
{
	uint64_t v;
	(void)mcheck(mp, tid, &v);
}

/* gp's CPU time in ns, with a checkpoint of the M running it (a system
 * call natively too): a rate's guess only between checkpoints. */
static int64_t checked_ns(const struct g *gp, int tid_self)
{
	/* acquire: pairs with mn_cputime_start's release (gp->m first) */
	uint64_t w = atomic_load_explicit(&gp->cputicks, memory_order_acquire);
	if (w & 1) {
		struct m *mp = *(struct m *volatile *)&gp->m;
		uint64_t v;
		if (mp && mcheck(mp, tid_self ? 0 : mp->tid, &v) &&
		    atomic_load_explicit(&gp->cputicks, memory_order_acquire) == w)
			return gp->cpubase + ticks_to_ns(w - 1 + v);
	}
	return mn_cputime_ns(gp);
}

int64_t mn_cputime_self_ns(void)
{
	return checked_ns(mn_getg(), 1);
}

void mn_cputime_attach_main(struct g *gp)
{
	int64_t cpu = thread_cpu(0);
	if (cpu >= 0)
		gp->cpubase = cpu;
	mn_cputime_gstart(gp->m, gp);
}

void mn_cputime_fork_child(struct g *gp)
{
	struct m *mp = gp->m;
	/* sysmon, which is not in the child, may have been in the middle of
	 * a checkpoint: end it (relaxed: no other thread in the child). */
	uint32_t s = atomic_load_explicit(&mp->cpuseq, memory_order_relaxed);
	atomic_store_explicit(&mp->cpuseq, (s + 1) & ~1u, memory_order_relaxed);
	uint64_t now = mn_cputick();
	mp->ck_cpu = 0;
	mp->ck_exact = 0;
	atomic_store_explicit(&mp->vfloor, 0, memory_order_relaxed);
	if (!ck_lock(mp))
		mn_throw("cputime: fork child: checkpoint held");
	ck_unlock(mp, now, 0, atomic_load_explicit(&mp->ck_slow, memory_order_relaxed), idle_at(mp, now));
	gp->cpubase = 0;
	atomic_store_explicit(&gp->cputicks, 0, memory_order_relaxed);
	mn_cputime_start(gp, mn_cputime_floor(mp, mn_cputime_vnow(mp, now)));
}

int64_t mn_cputime_ns(const struct g *gp)
{
	for (;;) {
		/* acquire: pairs with mn_cputime_start's release (gp->m first) */
		uint64_t w = atomic_load_explicit(&gp->cputicks, memory_order_acquire);
		if (!(w & 1))
			return gp->cpubase + ticks_to_ns(w);
		const struct m *mp = *(struct m *const volatile *)&gp->m;
		uint64_t v = mn_cputime_vnow(mp, mn_cputick());
		/* acquire fence: the M's clock read before the word again; the
		 * same word means the same run, on mp */
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&gp->cputicks, memory_order_relaxed) == w)
			return gp->cpubase + ticks_to_ns(w - 1 + v);
	}
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

/* Another thread's clock. */
static int64_t other_ns(const struct g *gp)
{
	return checked_ns(gp, 0);
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
		*ns = mn_cputime_self_ns();
		return 0;
	}
	if (key == KEY_MAIN) {
		struct g *mg = mn_sched.maing;
		if (!mg || !live(mg))
			return -EINVAL;
		*ns = other_ns(mg);
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
		*ns = other_ns(gp);
		r = 0;
		break;
	}
	mn_allg_unlock();
	return r;
}
