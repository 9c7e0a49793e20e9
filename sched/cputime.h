/* sched/cputime.h: each G's own CPU-time clock (cputime.c has the design).
 *
 * The scheduler stamps a G where it starts running on an M and where it
 * stops (one time-stamp read per switch, shared by the G that stops and
 * the G that starts) in its M's virtual clock: the M's ticks scaled by the
 * share of them it was on a CPU, which sysmon measures about every
 * millisecond; readers add the current run of a running G.
 */
#ifndef MN_CPUTIME_H
#define MN_CPUTIME_H
#include "runtime.h"
#include "sys.h"
#include "throw.h"

/* Ticks are TSC cycles (or CLOCK_MONOTONIC ns where the TSC is not
 * invariant). */
extern bool mn_cputime_tsc MN_HIDDEN;
static inline uint64_t mn_cputick(void)
{
	if (__builtin_expect(mn_cputime_tsc, 1))
		return arch_rdtsc();
	return (uint64_t)mn_nanotime();
}

/* mp's virtual clock at tick now, from its checkpoint (cputime.c): the
 * ticks since then in which mp was not idle, scaled by the share of them
 * it is expected to be on a CPU (1 - ck_slow / 2^32). */
static inline uint64_t mn_cputime_vat(const struct m *mp, uint64_t now, uint64_t t, uint64_t v, uint64_t slow,
				      uint64_t idle0)
{
	/* relaxed: one word, written whole by mp */
	uint64_t w = atomic_load_explicit(&mp->idleticks, memory_order_relaxed);
	uint64_t idle = (w & 1) ? w - 1 + now : w;
	int64_t d = (int64_t)(now - t) - (int64_t)(idle - idle0);
	/* d < 0: a tick read before the checkpoint; the checkpoint's value */
	if (d <= 0)
		return v;
	return v + (uint64_t)d - (uint64_t)(((unsigned __int128)d * slow) >> 32);
}
/* mp's virtual clock at tick now: continuous between checkpoints, and
 * never going back.  A reader races only with a checkpoint (seqlock).
 * Context: any. */
static inline uint64_t mn_cputime_vnow(const struct m *mp, uint64_t now)
{
	for (;;) {
		/* acquire: pairs with the writer's release store of the even seq */
		uint32_t s = atomic_load_explicit(&mp->cpuseq, memory_order_acquire);
		/* relaxed: ordered by cpuseq */
		uint64_t t = atomic_load_explicit(&mp->ck_tick, memory_order_relaxed);
		uint64_t v = atomic_load_explicit(&mp->ck_vtick, memory_order_relaxed);
		uint64_t slow = atomic_load_explicit(&mp->ck_slow, memory_order_relaxed);
		uint64_t idle0 = atomic_load_explicit(&mp->ck_idle, memory_order_relaxed);
		/* acquire fence: the fields' loads before the second seq load */
		atomic_thread_fence(memory_order_acquire);
		if (__builtin_expect(!(s & 1) && atomic_load_explicit(&mp->cpuseq, memory_order_relaxed) == s, 1))
			return mn_cputime_vat(mp, now, t, v, slow, idle0);
	}
}
/* The same, by the writer holding the seqlock. */
static inline uint64_t vnow_locked(const struct m *mp, uint64_t now)
{
	/* relaxed: the writer's own fields */
	return mn_cputime_vat(mp, now, atomic_load_explicit(&mp->ck_tick, memory_order_relaxed),
			      atomic_load_explicit(&mp->ck_vtick, memory_order_relaxed),
			      atomic_load_explicit(&mp->ck_slow, memory_order_relaxed),
			      atomic_load_explicit(&mp->ck_idle, memory_order_relaxed));
}

/* g->cputicks, one word, so that a reader on another M never sees half an
 * update, in the virtual ticks of the M running the G:
 *   stopped: the ticks the G has run, even;
 *   running: (ticks run - the M's virtual tick its run began at) | 1, so
 *            that the ticks run by now are word - 1 + V(now) (mod 2^64).
 * Written only by the M running the G (start, stop), read by anyone. */
static inline void mn_cputime_start(struct g *gp, uint64_t vnow)
{
	/* relaxed: a word only its M writes; readers take it whole */
	uint64_t w = atomic_load_explicit(&gp->cputicks, memory_order_relaxed);
	if (config_debug && (w & 1))
		mn_throw("cputime: G started twice");
	/* release: gp->m before the running word (mn_cputime_ns reads it after) */
	atomic_store_explicit(&gp->cputicks, ((w - vnow) & ~1ull) | 1, memory_order_release);
}
static inline void mn_cputime_stop(struct g *gp, uint64_t vnow)
{
	/* relaxed: as in mn_cputime_start */
	uint64_t w = atomic_load_explicit(&gp->cputicks, memory_order_relaxed);
	if (config_debug && !(w & 1))
		mn_throw("cputime: G stopped twice");
	atomic_store_explicit(&gp->cputicks, (w - 1 + vnow) & ~1ull, memory_order_relaxed);
}
/* Where a G starts or stops on mp, a checkpoint by mp itself (a system
 * call) once mp's window is this many ticks old (cputime.c:
 * SWITCH_WINDOW_NS; ~0 until the ratio is known), so that the G starts
 * and leaves with its M's CPU time, not a rate's guess. */
extern _Atomic uint64_t mn_cputime_switch_ticks MN_HIDDEN;
MN_HIDDEN void mn_cputime_mcheck(struct m *mp, int tid);
static inline uint64_t mn_cputime_vstop(struct m *mp)
{
	uint64_t now = mn_cputick();
	/* relaxed: a hint; the checkpoint takes the seqlock */
	if (__builtin_expect(now - atomic_load_explicit(&mp->ck_tick, memory_order_relaxed) >=
				     atomic_load_explicit(&mn_cputime_switch_ticks, memory_order_relaxed),
			     0)) {
		mn_cputime_mcheck(mp, 0);
		now = mn_cputick();
	}
	return mn_cputime_vnow(mp, now);
}
/* A G starts or stops at virtual tick v: a checkpoint never sets the
 * clock below it. */
static inline uint64_t mn_cputime_floor(struct m *mp, uint64_t v)
{
	/* relaxed: one word only mp writes; checkpoints read it whole */
	atomic_store_explicit(&mp->vfloor, v, memory_order_relaxed);
	return v;
}
/* A switch from one G straight to another on mp: one stamp for both. */
static inline void mn_cputime_switch(struct m *mp, struct g *from, struct g *to)
{
	uint64_t v = mn_cputime_floor(mp, mn_cputime_vstop(mp));
	mn_cputime_stop(from, v);
	mn_cputime_start(to, v);
}
/* Where a G starts or stops running on mp (not a direct switch). */
static inline void mn_cputime_gstart(struct m *mp, struct g *gp)
{
	mn_cputime_start(gp, mn_cputime_floor(mp, mn_cputime_vstop(mp)));
}
static inline void mn_cputime_gstop(struct m *mp, struct g *gp)
{
	mn_cputime_stop(gp, mn_cputime_floor(mp, mn_cputime_vstop(mp)));
}

/* mp goes idle (asleep on its note, in the netpoller, or its G in an
 * announced system call) and back: the time between is left out of the
 * windows its rate is measured over.  Context: mp's own thread. */
static inline void mn_cputime_midle(struct m *mp, uint64_t now)
{
	/* relaxed: a word only mp writes; sysmon takes it whole */
	uint64_t w = atomic_load_explicit(&mp->idleticks, memory_order_relaxed);
	if (config_debug && (w & 1))
		mn_throw("cputime: M idle twice");
	atomic_store_explicit(&mp->idleticks, ((w - now) & ~1ull) | 1, memory_order_relaxed);
}
static inline void mn_cputime_mbusy(struct m *mp, uint64_t now)
{
	/* relaxed: as in mn_cputime_midle */
	uint64_t w = atomic_load_explicit(&mp->idleticks, memory_order_relaxed);
	if (config_debug && !(w & 1))
		mn_throw("cputime: M busy twice");
	atomic_store_explicit(&mp->idleticks, (w - 1 + now) & ~1ull, memory_order_relaxed);
}
/* An announced system call: gp stops and mp idles, at one stamp, which
 * it returns (the call's start, for dumps: g->waitsince). */
static inline uint64_t mn_cputime_enter(struct m *mp, struct g *gp)
{
	uint64_t now = mn_cputick();
	mn_cputime_stop(gp, mn_cputime_floor(mp, mn_cputime_vnow(mp, now)));
	mn_cputime_midle(mp, now);
	return now;
}
/* ticks (mn_cputick's) in ns.  Context: any. */
MN_HIDDEN int64_t mn_cputime_ticks_ns(uint64_t ticks);

/* Context: mp's own thread, before any other thread knows mp (minit):
 * its window starts now. */
MN_HIDDEN void mn_cputime_minit(struct m *mp);
/* Context: sysmon.  mp runs a P: when its window is a millisecond old,
 * read its thread's CPU clock and set its rate from the window
 * (cputime.c: checkpoint). */
MN_HIDDEN void mn_cputime_look(struct m *mp);
/* Context: mn_schedinit, before any G runs. */
MN_HIDDEN void mn_cputime_init(void);
/* The main G at start-up: it begins with the CPU time its OS thread has
 * used so far (the program's start-up), and runs from now. */
MN_HIDDEN void mn_cputime_attach_main(struct g *gp);
/* The child of fork: the forking G is a new thread there, whose CPU
 * time starts at 0 as the kernel's does; so does its M's window. */
MN_HIDDEN void mn_cputime_fork_child(struct g *gp);
/* The calling G's CPU time in ns, after a checkpoint of its M (a system
 * call).  Context: a G. */
MN_HIDDEN int64_t mn_cputime_self_ns(void);
/* gp's CPU time in ns.  gp must stay allocated during the call (the
 * caller's own G, or one found under the allg lock).  Context: any. */
MN_HIDDEN int64_t mn_cputime_ns(const struct g *gp);

/* The key that names a G's CPU clock (a clock id's tid field; see
 * cputime.c): above any kernel tid, unique among live Gs. */
MN_HIDDEN int mn_cputime_key(const struct g *gp);
/* The CPU time of the live G whose key is key: 0 and *ns, or -EINVAL
 * when no live G has it (it exited, or never was).  Context: any. */
MN_HIDDEN int mn_cputime_of_key(int key, int64_t *ns);
/* Is key in the range mn_cputime_key uses? */
MN_HIDDEN bool mn_cputime_is_key(int key);
#endif
