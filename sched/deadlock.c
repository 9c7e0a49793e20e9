/* sched/deadlock.c: "all threads are asleep - deadlock!".
 *
 * A deadlock is a process where every thread waits on something only
 * another of its threads could end: a mutex, condvar, semaphore, rwlock,
 * barrier or join the runtime parks Gs in, and nothing outside the
 * runtime's view can wake any of them.  sysmon looks (mn_deadlock_look,
 * each loop, and when it would sleep while every P is idle) and reports
 * once, on stderr, with a thread dump (dump.c), MN_DEBUG=deadlock=1 (the
 * default); deadlock=abort
 * aborts after the report, deadlock=0 says nothing.
 *
 * What can wake a parked G, and what we look at for it:
 *  - a G that runs: a P busy or a queue not empty (npidle, run queues,
 *    spinning Ms);
 *  - a G or foreign M in the kernel: a system call whose P was handed off
 *    or retaken, or a P orphaned by silent blocking (nretaken, which
 *    counts all three; sysmon's orphans) -- sigwait, pause, waitpid,
 *    process-shared waits and every unannounced block are here;
 *  - a timer (sleeps, timed waits): mn_timers_next_all;
 *  - a descriptor: Gs parked in the netpoller (mn_netpoll_fdwaiters);
 *  - a thread the runtime does not know (glibc's timer and AIO helpers,
 *    raw clone): more tasks in /proc/self/task than Ms plus sysmon;
 *  - a signal from outside: a handler installed for any signal another
 *    process may send (the faults and glibc's own two excepted), since a
 *    handler may post a semaphore.  Such a program is never reported:
 *    Python, which always handles SIGINT, among them.
 * The cheap looks (the first four) must hold twice, GRACE apart, with no
 * G run in between (the Ps' schedtick and syscalltick sums unchanged);
 * only then does sysmon read /proc and the dispositions, once per quiet
 * state.  Context: sysmon's thread only, so the state below is its own.
 */
#include "deadlock.h"
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include "dump.h"
#include "env.h"
#include "m.h"
#include "netpoll.h"
#include "runq.h"
#include "signal.h"
#include "sys.h"
#include "throw.h"
#include "timer.h"

/* How long the process must stay quiet before it is looked at closely. */
#define GRACE_NS 200000000

static int64_t quiet_since;  /* 0: not quiet at the last look */
static uint64_t quiet_sig;   /* the tick sum then */
static uint64_t excused_sig; /* a quiet state the close look excused */
static int foreign_looks;    /* close looks that found a thread not ours */
static bool reported;

/* The cheap looks; *sig: the sum of the Ps' ticks. */
static bool quiet(uint64_t *sig)
{
	int nprocs = mn_sched.nprocs;
	/* relaxed throughout: hints, confirmed by a second look GRACE later with the same ticks */
	if (atomic_load_explicit(&mn_sched.npidle, memory_order_relaxed) != nprocs ||
	    atomic_load_explicit(&mn_sched.nmspinning, memory_order_relaxed) != 0 ||
	    atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed) != 0 ||
	    atomic_load_explicit(&mn_sched.nretaken, memory_order_relaxed) != 0 ||
	    atomic_load_explicit(&mn_sched.ngalive, memory_order_relaxed) <= 0)
		return false;
	uint64_t s = 0;
	for (int i = 0; i < nprocs; i++) {
		struct p *pp = mn_allp(i);
		if (!mn_runqempty(pp))
			return false;
		/* racy reads of owner-written counters: a signature only */
		s += *(volatile uint32_t *)&pp->schedtick;
		s += atomic_load_explicit(&pp->syscalltick, memory_order_relaxed);
		s += (uint64_t)(uintptr_t)pp; /* a P replaced by a retake changes it too */
	}
	if (mn_timers_next_all() != 0 || mn_netpoll_fdwaiters() != 0)
		return false;
	*sig = s;
	return true;
}

/* Tasks in /proc/self/task, -1 if unreadable.  Raw calls: sched/ must not
 * reach the interposed names. */
static int count_tasks(void)
{
	int fd = (int)mn_sys6(SYS_openat, AT_FDCWD, (long)"/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0,
			      0, 0);
	if (fd < 0)
		return -1;
	char buf[4096] __attribute__((aligned(8)));
	int n = 0;
	for (;;) {
		long r = mn_sys6(SYS_getdents64, fd, (long)buf, sizeof buf, 0, 0, 0);
		if (r <= 0) {
			if (r < 0)
				n = -1;
			break;
		}
		for (long off = 0; off < r;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			if (d->d_name[0] != '.')
				n++;
			off += d->d_reclen;
		}
	}
	mn_sys6(SYS_close, fd, 0, 0, 0, 0, 0);
	return n;
}

/* A thread the runtime does not know is alive: it may wake anyone. */
static bool foreign_threads(void)
{
	int n = count_tasks();
	mn_lock(&mn_sched.lock);
	int ours = mn_sched.mcount + 1 + mn_m_template_running(); /* the Ms, sysmon, the template thread */
	mn_unlock(&mn_sched.lock);
	return n < 0 || n > ours;
}

/* A handler for a signal another process may send. */
static bool signal_handlers(void)
{
	for (int sig = 1; sig < 65; sig++) {
		switch (sig) {
		case SIGKILL:
		case SIGSTOP:
		/* The program's own faults: nobody runs to make one. */
		case SIGSEGV:
		case SIGBUS:
		case SIGFPE:
		case SIGILL:
		case SIGTRAP:
			continue;
		default:
			break;
		}
		if (sig == 32 || sig == 33) /* glibc's own (cancellation, setxid) */
			continue;
		struct sigaction sa;
		struct kernel_sigaction {
			void *handler;
			unsigned long flags;
			void *restorer;
			uint64_t mask;
		} k;
		void *h;
		if (mn_signal_app_peek(sig, &sa))
			h = (void *)sa.sa_handler;
		else if (mn_sys6(SYS_rt_sigaction, sig, 0, (long)&k, 8, 0, 0) == 0)
			h = k.handler;
		else
			continue;
		if (h != (void *)SIG_DFL && h != (void *)SIG_IGN)
			return true;
	}
	return false;
}

static void report(void)
{
	reported = true;
	mn_print("mnthread: all threads are asleep - deadlock!\n");
	mn_dump_all(2, false); /* every thread, what it waits for, where */
	if (mn_env.deadlock == MN_DEADLOCK_ABORT)
		mn_throw("deadlock (MN_DEBUG=deadlock=abort)");
}

int64_t mn_deadlock_look(int64_t now, bool orphans)
{
	if (mn_env.deadlock == MN_DEADLOCK_OFF || reported)
		return 0;
	uint64_t sig;
	if (orphans || !quiet(&sig)) {
		quiet_since = 0;
		return 0;
	}
	if (sig == excused_sig)
		return 0;
	if (quiet_since == 0 || sig != quiet_sig) {
		foreign_looks = 0;
		quiet_since = now;
		quiet_sig = sig;
		return now + GRACE_NS;
	}
	if (now - quiet_since < GRACE_NS)
		return quiet_since + GRACE_NS;
	if (signal_handlers()) {
		excused_sig = sig;
		return 0;
	}
	if (foreign_threads()) {
		/* An M that just exited (mn_mexit) may still be listed: look
		 * again a few times, further apart, before giving up on it. */
		if (++foreign_looks > 3) {
			excused_sig = sig;
			return 0;
		}
		quiet_since = now + (int64_t)GRACE_NS * (1 << foreign_looks);
		return quiet_since + GRACE_NS;
	}
	report();
	return 0;
}

void mn_deadlock_fork_child(void)
{
	quiet_since = 0;
	excused_sig = 0;
	foreign_looks = 0;
	reported = false;
}
