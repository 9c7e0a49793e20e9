/* sched/sysmon.c: the system monitor thread.
 *
 * Its own OS thread, holding no P (Go's sysmon).  It retakes Ps from Ms
 * blocked in system calls (retake below) and prints the schedtrace line
 * (MN_DEBUG=schedtrace=MS).  It polls every 20 us while something happens,
 * doubling the pause after 50 quiet rounds up to 10 ms, and sleeps on a
 * note while every P is idle (acquirep wakes it), so an idle program
 * costs no wake-ups.  While a P runs a G it looks at least every 1 ms,
 * and asks a G that has run a quantum (MN_DEBUG=preemptms, 10 ms) while
 * other work waits to yield (look_running; preempt.c sends the signal).
 * An M blocked in the kernel in a call nobody announced loses its P the
 * same way a syscall's does (look_running, orphan_p).  Each busy P's M
 * gets its CPU rate measured about every millisecond (cputime.c).
 * About once a second it lets the scavenger return Gs that sat unused in
 * the caches for MN_DEBUG=scavenge seconds (gfree.c, scavenge.c); while
 * every P is idle it sleeps until the next schedtrace line or the next
 * scavenge that has something to release.
 *
 * The line, one per period, on stderr:
 *   SCHED 1000ms: procs=2 idleprocs=1 threads=4 spinningthreads=0
 *   idlethreads=1 runqueue=0 gs=12 preempt=0 [3 0]
 * threads counts Ms (OS threads running the scheduler), runqueue is the
 * global queue, gs the live user threads, preempt the Gs switched out by
 * a preemption signal so far, [...] each P's local queue.
 */
#include "sysmon.h"
#include <sys/mman.h>
#include "gsig.h"
#include "cputime.h"
#include "deadlock.h"
#include "dump.h"
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include "env.h"
#include "gfree.h"
#include "netpoll.h"
#include "runq.h"
#include "m.h"
#include "kprops.h"
#include "preempt.h"
#include "syscall.h"
#include "tcb.h"
#include "timer.h"
#include "throw.h"
#include "sys.h"

static int64_t start_ns;

/* The pause between rounds: SYSMON_MIN_NS while something happens (20 us,
 * Go's: a P blocked in a system call is retaken about one pause later),
 * doubled after SYSMON_QUIET_ROUNDS rounds that retook nothing (about
 * 1 ms of quiet) up to SYSMON_MAX_NS (10 ms, Go's cap: a program whose
 * Ps are busy with nothing to retake costs sysmon 100 wake-ups a second;
 * once every P is idle too, it sleeps on its note). */
#define SYSMON_MIN_NS 20000
#define SYSMON_QUIET_ROUNDS 50
#define SYSMON_MAX_NS 10000000
/* Timer slack for sysmon's own naps: 1 us, so a 20 us pause is not
 * stretched to the default 50 us. */
#define SYSMON_TIMERSLACK_NS 1000
/* sysmon's OS thread stack: it runs retake, schedtrace's 1 KiB buffer
 * and thread dumps (dump.c: libunwind's walks and ELF symbol lookups,
 * a few KiB each; virtual memory, touched only as deep as used). */
#define SYSMON_STACK_SIZE (256 * 1024)

static void schedtrace(void)
{
	char buf[1024];
	int n = snprintf(buf, sizeof buf,
			 "SCHED %lldms: procs=%d idleprocs=%d threads=%d spinningthreads=%d "
			 "idlethreads=%d runqueue=%d gs=%lld preempt=%llu [",
			 (long long)((mn_nanotime() - start_ns) / 1000000), mn_sched.nprocs,
			 (int)atomic_load(&mn_sched.npidle), mn_sched.mcount,
			 (int)atomic_load(&mn_sched.nmspinning), mn_sched.nmidle,
			 (int)atomic_load(&mn_sched.runqsize), (long long)atomic_load(&mn_sched.ngalive),
			 (unsigned long long)atomic_load(&mn_preempt_count));
	for (int i = 0; i < mn_sched.nprocs && n < (int)sizeof buf - 16; i++) {
		struct p *pp = mn_allp(i);
		uint32_t len = atomic_load(&pp->runqtail) - atomic_load(&pp->runqhead);
		n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%u", i ? " " : "", len);
	}
	snprintf(buf + n, sizeof buf - (size_t)n, "]\n");
	mn_print(buf);
}

/* Go's retake: a P seen in the same system call (syscalltick) on two
 * looks a tick apart is taken from its M when it has queued work, when no
 * P is idle and no M spins (someone may need it), or after 10 ms anyway.
 * Returns how many it took. */
#define RETAKE_ALWAYS_NS 10000000
/* While a P runs a G, sysmon looks at least this often: a G whose slice
 * is over is asked to yield within this of the quantum's end. */
#define SYSMON_RUNNING_NS 1000000

/* How often sysmon gives the scavenger (gfree.c) a turn: it releases
 * what has sat in the caches for MN_DEBUG=scavenge seconds. */
#define SCAVENGE_PERIOD_NS 1000000000

/* When the previous retake looked (0 after a sleep on the note). */
static int64_t prev_look;

static struct look {
	uint32_t tick;      /* syscalltick last seen */
	int64_t since;
	uint32_t schedtick; /* schedtick last seen */
	int64_t schedwhen;  /* when it was first seen: the slice's start, within a tick */
	struct m *cpum;     /* the M whose CPU clock cpu is */
	int64_t cpu;
	int64_t cpuwhen;    /* when cpu was read */
	int64_t still;      /* since when the M has not been running */
	bool reported;      /* MN_DEBUG=blockreport looked at this block */
} *looks;

/* The thread CPU clock of an OS thread (the kernel's per-thread
 * CPUCLOCK_SCHED clock id), in ns; -1 when it cannot be read. */
static int64_t thread_cpu(int tid)
{
	struct timespec ts;
	long id = (long)((~(unsigned long)tid) << 3) | 6;
	if (mn_sys6(SYS_clock_gettime, id, (long)&ts, 0, 0, 0, 0) < 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Did a thread whose CPU clock read cpu0 at wall time t0 and cpu1 at t1
 * run in between?  Running means a quarter of the time or more: a thread
 * blocked in the kernel still spends a few microseconds in our signal
 * handler when a preemption request reaches it (its system call then
 * restarts), which must not make it look busy. */
static bool running_since(int64_t cpu0, int64_t t0, int64_t cpu1, int64_t t1)
{
	return cpu0 < 0 || (cpu1 - cpu0) * 4 > t1 - t0;
}

/* Is there anything for pp's M to run instead of its G? */
static bool work_waiting(struct p *pp, int64_t now)
{
	if (!mn_runqempty(pp) || atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed) != 0)
		return true;
	int64_t t = mn_timers_next_p(pp->id);
	return t != 0 && t <= now;
}

/* ---------------------------------------------------------------- silent blocking */
/* An M whose thread CPU clock stood still this long while its P says it
 * runs a G (and the kernel says the thread sleeps) is blocked in a call
 * nobody announced: glibc's own read inside fgets, a raw futex. */
#define SILENT_NS 1000000

/* Orphans (see struct p) whose M has not retired them yet, and retired
 * ones kept for reuse: never freed, since a thief may still hold a
 * pointer read from allp before the swap (its CASes on the drained queue
 * then fail harmlessly). */
static struct orphan {
	struct p *p;
	int64_t cpu; /* its M's CPU clock at the last look */
	int64_t when;
	int64_t still;  /* since when its M has not run (MN_DEBUG=blockreport) */
	bool reported;  /* blockreport looked at this block */
} *orphans;
static int norphans, orphcap;
static struct p *spare;

/* The kernel's state letter of thread tid (R, S, D, ...), '?' if unknown. */
static char thread_state(int tid)
{
	char path[48], buf[512];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
	long fd = mn_sys6(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return '?';
	long n = mn_sys6(SYS_read, fd, (long)buf, sizeof buf - 1, 0, 0, 0);
	mn_sys6(SYS_close, fd, 0, 0, 0, 0, 0);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	char *r = strrchr(buf, ')');
	return r && r[1] == ' ' && r[2] ? r[2] : '?';
}

/* The P to put in allp[i] in place of an orphan: a retired orphan (its
 * free-G cache and counters kept), or a new one. */
static struct p *fresh_p(int id)
{
	struct p *np = spare;
	if (np)
		spare = np->link;
	else {
		/* not calloc: see m.c, allocm */
		long a = mn_sys6(SYS_mmap, 0, (long)sizeof *np, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (a < 0 && a > -4096)
			return NULL;
		np = (struct p *)a;
	}
	np->id = id;
	np->m = NULL;
	np->link = NULL;
	/* relaxed: published by the release store into allp */
	atomic_store_explicit(&np->status, P_IDLE, memory_order_relaxed);
	atomic_store_explicit(&np->preempt, false, memory_order_relaxed);
	atomic_store_explicit(&np->orphaned, P_RELEASED, memory_order_relaxed);
	return np;
}

static void drain_to_global(struct p *pp)
{
	struct g *head, *tail;
	int n = mn_runqdrain(pp, &head, &tail);
	if (n == 0)
		return;
	mn_lock(&mn_sched.lock);
	mn_globrunqputbatch(head, tail, n);
	mn_unlock(&mn_sched.lock);
	mn_wakep(); /* every P may be idle */
}

/* Give allp[i]'s place to a fresh P and run it on another M; pp becomes
 * its M's orphan.  False if its M gave it up first. */
static bool orphan_p(int i, struct p *pp)
{
	if (norphans == orphcap) {
		int cap = orphcap ? 2 * orphcap : 16;
		struct orphan *o = realloc(orphans, (size_t)cap * sizeof *o);
		if (!o)
			return false;
		orphans = o;
		orphcap = cap;
	}
	struct p *np = fresh_p(i);
	if (!np)
		return false;
	int own = P_OWNED;
	/* acq_rel: against the M's releasep CAS; one of us gives pp away */
	if (!atomic_compare_exchange_strong_explicit(&pp->orphaned, &own, P_ORPHANED, memory_order_acq_rel,
						     memory_order_relaxed)) {
		np->link = spare;
		spare = np;
		return false;
	}
	/* relaxed: a count startm reads as a hint */
	atomic_fetch_add_explicit(&mn_sched.nretaken, 1, memory_order_relaxed);
	/* release: np's fields before thieves and acquirers see it */
	atomic_store_explicit(&mn_sched.allp[i], np, memory_order_release);
	drain_to_global(pp);
	orphans[norphans++] = (struct orphan){ pp, -1, 0, 0, false };
	mn_handoffp(np);
	return true;
}

/* Each tick: retired orphans go to the spare list; a live one's queued
 * Gs (its M readied them before it noticed) go to the global queue, and
 * its M, once running again (its CPU clock moves), is asked to yield so
 * that its G waits for a real P like everyone else. */
static void look_orphans(void)
{
	for (int k = 0; k < norphans;) {
		struct orphan *o = &orphans[k];
		struct p *pp = o->p;
		/* acquire: pairs with the M's release store of P_RETIRED (its last use) */
		if (atomic_load_explicit(&pp->orphaned, memory_order_acquire) == P_RETIRED) {
			pp->link = spare;
			spare = pp;
			orphans[k] = orphans[--norphans];
			continue;
		}
		drain_to_global(pp);
		struct m *mp = *(struct m *volatile *)&pp->m;
		if (mp) {
			int64_t cpu = thread_cpu(mp->tid), now = mn_nanotime();
			if (o->cpu >= 0 && cpu >= 0 && running_since(o->cpu, o->when, cpu, now)) {
				mn_preempt_send(mp, *(volatile uint32_t *)&pp->schedtick);
				o->still = now;
				o->reported = false;
			} else if (mn_env.blockreport_ms && !o->reported && o->still &&
				   now - o->still >= (int64_t)mn_env.blockreport_ms * 1000000) {
				struct g *cg = *(struct g *volatile *)&mp->curg;
				char st = thread_state(mp->tid);
				if (cg && cg->magic == G_MAGIC && !(cg->flags & G_G0) && (st == 'S' || st == 'D')) {
					o->reported = true;
					mn_dump_blocked(mp, cg, now - o->still);
				}
			}
			o->cpu = cpu;
			o->when = now;
		}
		k++;
	}
}

/* A P running the same G: after the quantum, while other work waits, flag
 * it (the G yields at its next runtime call) and signal its M, every tick
 * until the G is gone, but only while the M's CPU clock advances (an M
 * blocked in the kernel would see EINTR).  An M whose clock stands still
 * for SILENT_NS in a sleeping thread is blocked silently: its P is given
 * to another M (orphan_p) on the same terms as a syscall retake. */
static void look_running(int i, struct p *pp, struct look *lk, int64_t now, int64_t quantum)
{
	/* schedtick and m: written by the owner M, read racily here */
	uint32_t t = *(volatile uint32_t *)&pp->schedtick;
	struct m *mp = *(struct m *volatile *)&pp->m;
	if (mp == NULL)
		return;
	/* A pending asynchronous cancellation is delivered by the same
	 * signal, at once (Gs are never freed: a stale pointer is safe). */
	struct g *cg = *(struct g *volatile *)&mp->curg;
	if (cg && cg->magic == G_MAGIC && !(cg->flags & G_G0) && cg->tcb && mn_tcb_async_cancel_pending(cg->tcb) &&
	    mn_preempt_signal() && !(cg->sigmask & (1ULL << (mn_preempt_signal() - 1))))
		mn_preempt_send(mp, t);
	if (lk->schedtick != t || lk->schedwhen == 0) {
		/* The slice began after our previous look: count from that
		 * look, so it ends at most a quantum after it began (a little
		 * early rather than a tick late). */
		lk->schedtick = t;
		lk->schedwhen = prev_look && prev_look < now ? prev_look : now;
		lk->cpum = NULL;
		return;
	}
	int64_t cpu = thread_cpu(mp->tid);
	bool advanced = lk->cpum != mp || cpu < 0 || running_since(lk->cpu, lk->cpuwhen, cpu, now);
	lk->cpum = mp;
	lk->cpu = cpu;
	lk->cpuwhen = now;
	if (advanced) {
		lk->still = now;
		lk->reported = false;
	} else if (mn_env.blockreport_ms && !lk->reported && now - lk->still >= (int64_t)mn_env.blockreport_ms * 1000000 &&
		   cg && cg->magic == G_MAGIC && !(cg->flags & G_G0) && *(struct g *volatile *)&mp->curg == cg) {
		char st = thread_state(mp->tid);
		if (st == 'S' || st == 'D') {
			lk->reported = true;
			mn_dump_blocked(mp, cg, now - lk->still);
		}
	}
	else if (now - lk->still >= SILENT_NS && *(struct g *volatile *)&mp->curg != NULL &&
		   !atomic_load_explicit(&mp->spinning, memory_order_relaxed) &&
		   (!mn_runqempty(pp) || atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed) != 0 ||
		    atomic_load_explicit(&mn_sched.nmspinning, memory_order_relaxed) +
				    atomic_load_explicit(&mn_sched.npidle, memory_order_relaxed) == 0 ||
		    now - lk->still >= RETAKE_ALWAYS_NS)) {
		char st = thread_state(mp->tid);
		if ((st == 'S' || st == 'D') && orphan_p(i, pp)) {
			orphans[norphans - 1].still = lk->still;
			orphans[norphans - 1].reported = lk->reported;
			lk->schedwhen = 0;
			return;
		}
	}
	if (now - lk->schedwhen < quantum || !advanced || !work_waiting(pp, now))
		return;
	/* A G that blocks the signal is never preempted: do not leave ours
	 * pending on its thread for sigpending or sigwait to see. */
	if (cg && cg->magic == G_MAGIC && (cg->sigmask & (1ULL << (mn_preempt_signal() - 1))))
		return;
	/* Nor a real-time G: the kernel schedules it (kprops.h). */
	if (cg && cg->magic == G_MAGIC && mn_kprops_rt(cg))
		return;
	/* relaxed: a hint; a stale flag costs one early or late yield */
	atomic_store_explicit(&pp->preempt, true, memory_order_relaxed);
	mn_preempt_send(mp, t);
}

/* The earliest end of a running slice seen by the last retake (0: none):
 * sysmon wakes for it, so a G is asked to yield within a few microseconds
 * of its quantum, not up to a tick later. */
static int64_t next_slice_end;

static int retake(int64_t now, bool *running)
{
	int n = 0;
	next_slice_end = 0;
	if (norphans) {
		*running = true;
		look_orphans();
	}
	int64_t quantum = (int64_t)mn_env.preempt_ms * 1000000;
	for (int i = 0; i < mn_sched.nprocs; i++) {
		struct p *pp = mn_allp(i);
		struct look *lk = &looks[i];
		uint32_t st = atomic_load_explicit(&pp->status, memory_order_acquire);
		if (st == P_RUNNING) {
			*running = true;
			struct m *mp = *(struct m *volatile *)&pp->m; /* Ms are never freed */
			if (mp)
				mn_cputime_look(mp);
			look_running(i, pp, lk, now, quantum);
			int64_t end = lk->schedwhen + quantum;
			if (lk->schedwhen && end > now && (next_slice_end == 0 || end < next_slice_end))
				next_slice_end = end;
			continue;
		}
		if (st != P_SYSCALL)
			continue;
		uint32_t t = atomic_load_explicit(&pp->syscalltick, memory_order_relaxed);
		if (lk->tick != t || lk->since == 0) {
			lk->tick = t;
			lk->since = now;
			continue;
		}
		if (mn_runqempty(pp) && atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed) == 0 &&
		    atomic_load_explicit(&mn_sched.nmspinning, memory_order_relaxed) +
				    atomic_load_explicit(&mn_sched.npidle, memory_order_relaxed) >
			    0 &&
		    now - lk->since < RETAKE_ALWAYS_NS)
			continue;
		if (mn_retake_syscall(pp)) {
			lk->since = 0;
			n++;
		}
	}
	return n;
}

_Atomic int mn_sysmon_sleeping;
static struct mn_note sysmon_note;

void mn_sysmon_wake_slow(void)
{
	if (atomic_exchange_explicit(&mn_sysmon_sleeping, 0, memory_order_acq_rel))
		mn_notewakeup(&sysmon_note);
}

/* Sleep until a P goes busy, or until the next schedtrace line is due. */
static void sleep_while_idle(int64_t until)
{
	mn_noteclear(&sysmon_note);
	atomic_store_explicit(&mn_sysmon_sleeping, 1, memory_order_seq_cst);
	/* A P that went busy before we set the flag did not see it; a poller
	 * that left epoll_wait since our look wakes us (mn_netpoll). */
	if (atomic_load_explicit(&mn_sched.npidle, memory_order_seq_cst) == mn_sched.nprocs &&
	    (mn_netpoll_waiters() == 0 || mn_netpoll_blocked()))
		mn_notetsleep(&sysmon_note, until);
	atomic_store_explicit(&mn_sysmon_sleeping, 0, memory_order_relaxed);
}

/* 10 ms: how long ready descriptors may wait while every P is busy. */
#define NETPOLL_STALE_NS 10000000

static void *sysmon(void *arg)
{
	(void)arg;
	/* Its 20 us ticks end on time (sysmon is ours, not a thread the
	 * program made or can inherit from). */
	mn_sys6(SYS_prctl, PR_SET_TIMERSLACK, SYSMON_TIMERSLACK_NS, 0, 0, 0, 0);
	/* Not the mask or policy of the thread that started us (main's,
	 * pinned to one CPU, say): ours must run when the program's cannot. */
	mn_kprops_minit();
	int64_t period = (int64_t)mn_env.schedtrace_ms * 1000000;
	int64_t next_trace = period ? start_ns + period : 0;
	int64_t delay = SYSMON_MIN_NS;
	int idle = 0;
	int64_t next_second = mn_nanotime() + 1000000000;
	int64_t next_scavenge = next_second;
	bool running = false;
	for (;;) {
		if (idle == 0)
			delay = SYSMON_MIN_NS;
		else if (idle > SYSMON_QUIET_ROUNDS && delay < SYSMON_MAX_NS)
			delay = delay * 2 > SYSMON_MAX_NS ? SYSMON_MAX_NS : delay * 2;
		int64_t nap = running && delay > SYSMON_RUNNING_NS ? SYSMON_RUNNING_NS : delay;
		if (next_slice_end) {
			int64_t left = next_slice_end - mn_nanotime();
			if (left < nap)
				nap = left > SYSMON_MIN_NS ? left : SYSMON_MIN_NS;
		}
		struct timespec ts = { 0, nap };
		mn_sys6(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0);
		int64_t now = mn_nanotime();
		/* Not while Gs wait in the netpoller and no M blocks there (a
		 * safety net: the 10 ms poll below then goes on). */
		if (atomic_load_explicit(&mn_sched.npidle, memory_order_relaxed) == mn_sched.nprocs &&
		    delay >= SYSMON_MAX_NS && (mn_netpoll_waiters() == 0 || mn_netpoll_blocked())) {
			/* Idle: wake for the next schedtrace line or the next
			 * scavenge that has something to give back, nothing else
			 * (an idle program with nothing cached makes no wake-ups). */
			int64_t until = next_trace, sc = mn_scavenge_next();
			if (sc && sc < next_scavenge)
				sc = next_scavenge;
			if (sc && (until == 0 || sc < until))
				until = sc;
			/* Every thread asleep: a second look after a while. */
			int64_t dl = mn_deadlock_look(now, norphans > 0);
			if (dl && (until == 0 || dl < until))
				until = dl;
			sleep_while_idle(until);
			idle = 0;
			prev_look = 0;
			now = mn_nanotime();
		}
		mn_dump_sysmon(); /* a thread dump asked for (mnrun --dump, dumpsig) */
		running = false;
		if (retake(now, &running))
			idle = 0;
		else
			idle++;
		prev_look = now;
		/* A signal for a G that a ring found inside the runtime. */
		mn_gsig_sysmon();
		/* Descriptors nobody polled for NETPOLL_STALE_NS (every P busy):
		 * their Gs go to the global queue. */
		if (mn_netpoll_waiters() > 0 && now - mn_netpoll_lastpoll() > NETPOLL_STALE_NS) {
			struct g *list;
			if (mn_netpoll(0, &list) && list) {
				mn_netpoll_inject(list);
				idle = 0;
			}
		}
		if (now >= next_second) {
			mn_preempt_sysmon_tick();
			next_second = now + 1000000000;
		}
		if (now >= next_scavenge) {
			mn_scavenge(now);
			next_scavenge = now + SCAVENGE_PERIOD_NS;
		}
		if (next_trace && now >= next_trace) {
			schedtrace();
			if (mn_env.scheddetail)
				mn_dump_scheddetail();
			next_trace += period;
		}
	}
	return NULL;
}

_Atomic int mn_sysmon_started;

/* At init: the schedtrace clock starts; sysmon itself starts with the
 * first thread the program creates (a program with one thread has nothing
 * to retake, and stays single-threaded for glibc), or now for schedtrace. */
void mn_sysmon_init(void)
{
	start_ns = mn_nanotime();
	/* dumpsig: a dump is made by sysmon, which must be there to make it */
	if (mn_env.schedtrace_ms || mn_env.dumpsig)
		mn_sysmon_start_slow();
}

/* The child of fork: a new sysmon if the parent had one. */
void mn_sysmon_fork_child(void)
{
	/* The parent's orphans belong to Ms the child does not have: forgotten
	 * (the forking M's own P is the child's again: fork.c). */
	norphans = 0;
	prev_look = 0;
	next_slice_end = 0;
	mn_deadlock_fork_child();
	if (!atomic_load(&mn_sysmon_started))
		return;
	atomic_store(&mn_sysmon_started, 0);
	mn_sysmon_start_slow();
}

void mn_sysmon_start_slow(void)
{
	int z = 0;
	if (!atomic_compare_exchange_strong(&mn_sysmon_started, &z, 1))
		return;
	atomic_store(&mn_sysmon_sleeping, 0); /* a fork child's copy may say otherwise */
	atomic_store(&sysmon_note.key, 0);
	mn_preempt_init();
	if (!looks) /* a fork child has its parent's */
		looks = calloc((size_t)mn_sched.nprocs, sizeof *looks);
	if (!looks)
		mn_throw("sysmon: out of memory");
	/* Ms are made by the template thread from now on (m.c). */
	mn_m_template_start();
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, SYSMON_STACK_SIZE);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t th;
	sigset_t all, old;
	sigfillset(&all);
	mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8, 0, 0);
	if (mn_os.thread_create(&th, &attr, sysmon, NULL) != 0)
		mn_throw("cannot start the sysmon thread");
	mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
	pthread_attr_destroy(&attr);
}
