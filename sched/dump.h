/* sched/dump.h: seeing inside (dump.c): thread dumps with backtraces,
 * schedtrace's per-P/M/G detail, the exit summary, and the counters it
 * sums. */
#ifndef MN_DUMP_H
#define MN_DUMP_H
#include "runtime.h"

/* si_value's high half of a backtrace request to an M (the preemption
 * signal from this process; the low half: the request's number). */
#define DUMP_BT_COOKIE 0x6d6e4254ULL /* "mnBT" */
/* The same of a dump request from outside (mnrun --dump, scripts/mndump.c):
 * the preemption signal sigqueue'd to the process by a process of the
 * same user; bit 0 of the low half: JSON.  The dump goes to the FIFO
 * $TMPDIR/mnthread-dump.PID.SENDER that the sender made. */
#define DUMP_REQ_COOKIE 0x6d6e4452ULL /* "mnDR" */

/* Every thread (G) of the process, on fd: id, kernel-visible id, name,
 * status, what it waits for and since when, its M, and a symbolised
 * backtrace (a parked G's from its saved context, a running one's from
 * its M, which the preemption signal asks; "no backtrace" when it does
 * not answer in time).  Plain text, or one JSON object.  Takes the allg
 * lock only to copy the list; no malloc; one dump at a time.  Context:
 * any thread (sysmon, an M without a P, a G) holding no runtime lock;
 * not a signal handler. */
MN_HIDDEN void mn_dump_all(int fd, bool json);
/* Load libunwind for backtraces (idempotent).  Context: the thread that
 * starts sysmon (mn_preempt_init), never a signal handler. */
MN_HIDDEN void mn_dump_init(void);
/* The preemption signal's handler found a backtrace request for the G
 * running here: answer it.  Context: signal handler. */
MN_HIDDEN void mn_dump_answer(void *ucv, uint32_t req);
/* Ask sysmon for a dump: to stderr (sender 0, MN_DEBUG=dumpsig) or to
 * sender's FIFO.  Context: any, async-signal-safe. */
MN_HIDDEN void mn_dump_post(int sender, bool json);
/* sysmon: make the dump posted, if any. */
MN_HIDDEN void mn_dump_sysmon(void);
/* After the schedtrace line (MN_DEBUG=scheddetail=1): one line per P, M
 * and G.  Context: sysmon. */
MN_HIDDEN void mn_dump_scheddetail(void);
/* MN_DEBUG=blockreport: gp has held mp in the kernel ns without telling
 * the runtime: say where, once per call site, on stderr.  Context:
 * sysmon. */
MN_HIDDEN void mn_dump_blocked(struct m *mp, struct g *gp, int64_t ns);
/* The backtrace of a fault's context, on stderr (the stack overflow
 * report).  Context: the fault handler, on the M's sigaltstack. */
MN_HIDDEN void mn_dump_fault(void *ucv);

/* MN_DEBUG=summary: the peak of live Gs and the Gs created where no P
 * counted them (mn_stat_created).  The rest is per P (struct p). */
extern _Atomic int64_t mn_stat_peakg MN_HIDDEN;
extern _Atomic uint64_t mn_stat_created_nop MN_HIDDEN;
/* A G was created and live Gs are now live.  Context: the creator. */
static inline void mn_stat_created(int64_t live)
{
	struct g *cur = mn_tls_g;
	struct p *pp = cur && cur->m ? cur->m->p : NULL;
	if (pp)
		pp->ncreated++;
	else /* relaxed: a statistic; rare (a foreign thread or a call without P) */
		atomic_fetch_add_explicit(&mn_stat_created_nop, 1, memory_order_relaxed);
	/* relaxed: a statistic; the CAS runs only at a new peak */
	int64_t peak = atomic_load_explicit(&mn_stat_peakg, memory_order_relaxed);
	while (live > peak && !atomic_compare_exchange_weak_explicit(&mn_stat_peakg, &peak, live,
								     memory_order_relaxed, memory_order_relaxed))
		;
}
#endif
