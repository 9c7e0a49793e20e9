/* sched/cputime.h: each G's own CPU-time clock (cputime.c has the design).
 *
 * The scheduler stamps a G where it starts running on an M and where it
 * stops (one time-stamp read per switch, shared by the G that stops and
 * the G that starts); readers add the current run of a running G.
 */
#ifndef MN_CPUTIME_H
#define MN_CPUTIME_H
#include "runtime.h"
#include "sys.h"
#include "throw.h"

/* Ticks are TSC cycles (or CLOCK_MONOTONIC ns where the TSC is not
 * invariant), with bit 0 cleared: g->cputicks uses bit 0 as its flag. */
extern bool mn_cputime_tsc MN_HIDDEN;
static inline uint64_t mn_cputick(void)
{
	if (__builtin_expect(mn_cputime_tsc, 1))
		return arch_rdtsc() & ~1ull;
	return (uint64_t)mn_nanotime() & ~1ull;
}

/* g->cputicks, one word, so that a reader on another M never sees half an
 * update:
 *   stopped: the ticks the G has run, even;
 *   running: (ticks run - the tick its run began at) | 1, so that the
 *            ticks run by now are word - 1 + now (mod 2^64).
 * Written only by the M running the G (start, stop), read by anyone. */
static inline void mn_cputime_start(struct g *gp, uint64_t now)
{
	/* relaxed: a word only its M writes; readers take it whole */
	uint64_t w = atomic_load_explicit(&gp->cputicks, memory_order_relaxed);
	if (config_debug && (w & 1))
		mn_throw("cputime: G started twice");
	atomic_store_explicit(&gp->cputicks, (w - now) | 1, memory_order_relaxed);
}
static inline void mn_cputime_stop(struct g *gp, uint64_t now)
{
	/* relaxed: as in mn_cputime_start */
	uint64_t w = atomic_load_explicit(&gp->cputicks, memory_order_relaxed);
	if (config_debug && !(w & 1))
		mn_throw("cputime: G stopped twice");
	atomic_store_explicit(&gp->cputicks, w - 1 + now, memory_order_relaxed);
}
/* A switch from one G straight to another: one stamp for both. */
static inline void mn_cputime_switch(struct g *from, struct g *to)
{
	uint64_t now = mn_cputick();
	mn_cputime_stop(from, now);
	mn_cputime_start(to, now);
}

/* Context: mn_schedinit, before any G runs. */
MN_HIDDEN void mn_cputime_init(void);
/* The main G at start-up: it begins with the CPU time its OS thread has
 * used so far (the program's start-up), and runs from now. */
MN_HIDDEN void mn_cputime_attach_main(struct g *gp);
/* The child of fork: the forking G is a new thread there, whose CPU
 * time starts at 0 as the kernel's does. */
MN_HIDDEN void mn_cputime_fork_child(struct g *gp);
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
