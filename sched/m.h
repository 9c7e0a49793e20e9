/* sched/m.h: Ms and the hand-over of Ps between them (m.c). */
#ifndef MN_M_H
#define MN_M_H
#include "runtime.h"

/* The stack of an M's g0 (its OS thread's stack, or M0's g0 mapping):
 * schedule, timers and wake-ups run there, application code never does,
 * so 256 KiB leaves a wide margin (spin_poll's arrays, the largest item,
 * take 12 bytes a P), and only the pages touched cost memory. */
#define MN_G0_STACK_SIZE (256 * 1024)

MN_HIDDEN void mn_startm(struct p *pp, bool spinning);
MN_HIDDEN void mn_stopm(void);
MN_HIDDEN uint64_t mn_m_sigmask(void); /* the kernel mask of every M */
MN_HIDDEN void mn_wakep(void);
MN_HIDDEN void mn_handoffp(struct p *pp);
MN_HIDDEN struct p *mn_pidleget(void);   /* sched.lock held */
MN_HIDDEN void mn_pidleput(struct p *pp); /* sched.lock held */
MN_HIDDEN struct m *mn_mget(void);       /* sched.lock held */
MN_HIDDEN void mn_mput(struct m *mp);    /* sched.lock held */
MN_HIDDEN void mn_acquirep(struct p *pp);
/* Give up the M's P; NULL when it was an orphan (see struct p), which is
 * then retired (its Gs queued globally).  _locked: sched.lock held. */
MN_HIDDEN struct p *mn_releasep(void);
MN_HIDDEN struct p *mn_releasep_locked(void);
MN_HIDDEN uint32_t mn_fastrand(void);
MN_HIDDEN struct m *mn_m0_setup(void);
MN_HIDDEN void mn_mexit(struct m *mp) __attribute__((noreturn));
/* Start the template thread that makes Ms for tainted ones (m.c), from
 * an OS thread whose state is still the process's.  Idempotent. */
MN_HIDDEN void mn_m_template_start(void);
MN_HIDDEN void mn_m_template_fork_child(void);
/* It exists (an OS thread of the runtime's, as sysmon). */
MN_HIDDEN bool mn_m_template_running(void);
#endif
