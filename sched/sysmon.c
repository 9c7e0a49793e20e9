/* sched/sysmon.c: the system monitor thread.
 *
 * Its own OS thread, holding no P (Go's sysmon).  Today it only prints
 * the schedtrace line (MN_DEBUG=schedtrace=MS), so it is started only when
 * asked.  TODO(blocking capability): retake Ps from Ms stuck in syscalls
 * (handoffp), poll the network; TODO(preemption capability): preempt Gs
 * that ran longer than the quantum; TODO(scavenger): return cold stacks.
 *
 * The line, one per period, on stderr:
 *   SCHED 1000ms: procs=2 idleprocs=1 threads=4 spinningthreads=0
 *   idlethreads=1 runqueue=0 gs=12 [3 0]
 * threads counts Ms (OS threads running the scheduler), runqueue is the
 * global queue, gs the live user threads, [...] each P's local queue.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "runtime.h"
#include "env.h"
#include "sys.h"

static int64_t start_ns;

static void schedtrace(void)
{
	char buf[1024];
	int n = snprintf(buf, sizeof buf,
			 "SCHED %lldms: procs=%d idleprocs=%d threads=%d spinningthreads=%d "
			 "idlethreads=%d runqueue=%d gs=%lld [",
			 (long long)((mn_nanotime() - start_ns) / 1000000), mn_sched.nprocs,
			 (int)atomic_load(&mn_sched.npidle), mn_sched.mcount,
			 (int)atomic_load(&mn_sched.nmspinning), mn_sched.nmidle,
			 (int)atomic_load(&mn_sched.runqsize), (long long)atomic_load(&mn_sched.ngalive));
	for (int i = 0; i < mn_sched.nprocs && n < (int)sizeof buf - 16; i++) {
		struct p *pp = &mn_sched.allp[i];
		uint32_t len = atomic_load(&pp->runqtail) - atomic_load(&pp->runqhead);
		n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%u", i ? " " : "", len);
	}
	snprintf(buf + n, sizeof buf - (size_t)n, "]\n");
	mn_print(buf);
}

static void *sysmon(void *arg)
{
	(void)arg;
	int64_t period = (int64_t)mn_env.schedtrace_ms * 1000000;
	int64_t next = start_ns + period;
	for (;;) {
		struct timespec ts = { next / 1000000000, next % 1000000000 };
		mn_sys6(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, (long)&ts, 0, 0, 0);
		if (mn_nanotime() >= next) {
			schedtrace();
			next += period;
		}
	}
	return NULL;
}

void mn_sysmon_start(void)
{
	start_ns = mn_nanotime();
	if (mn_env.schedtrace_ms == 0)
		return;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t th;
	sigset_t all, old;
	sigfillset(&all);
	mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8, 0, 0);
	if (mn_libc.pthread_create(&th, &attr, sysmon, NULL) != 0)
		mn_print("mnthread: cannot start sysmon; schedtrace is off\n");
	mn_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
	pthread_attr_destroy(&attr);
}
