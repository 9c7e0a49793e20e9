/* sched/env.h: the environment variables that tune the runtime.
 * Each is read once at init; a bad value prints one line naming the
 * variable and the default is used.  README.md documents them all. */
#ifndef MN_ENV_H
#define MN_ENV_H
#include <stdbool.h>
struct mn_env {
	int procs;          /* MN_PROCS: 1..1024, default CPUs in the affinity mask */
	int maxthreads;     /* MN_MAXTHREADS: 1..1000000, default 10000 */
	int maxgs;          /* MN_MAXGS: live threads, 1..100000000 (env.c: its default) */
	int schedtrace_ms;  /* MN_DEBUG=schedtrace=MS: 0..3600000, default 0 (off) */
	bool guardinfo;     /* MN_DEBUG=guardinfo=1 */
	int preempt_ms;     /* MN_DEBUG=preemptms=N: 1..1000, default 10 (the quantum) */
	int preempt_sig;    /* MN_DEBUG=preemptsig=NAME: default SIGURG */
	bool asyncpreemptoff; /* MN_DEBUG=asyncpreemptoff=1: no preemption signals */
	int scavenge_s;     /* MN_DEBUG=scavenge=SECONDS: 0..86400, default 300 (0: never) */
	bool lockmain;      /* MN_DEBUG=lockmain=1: main stays on the initial OS thread */
	int deadlock;       /* MN_DEBUG=deadlock=0|1|abort: MN_DEADLOCK_*, default 1 (report) */
	bool lockthreads;   /* MN_DEBUG=lockthreads=1: every thread an OS thread of its own (and lockmain) */
	int blockreport_ms; /* MN_DEBUG=blockreport=MS: 0..3600000, default 0 (off) */
	bool scheddetail;   /* MN_DEBUG=scheddetail=1: schedtrace adds a line per P, M and G */
	bool summary;       /* MN_DEBUG=summary=1: one line of counts at exit */
	int dumpsig;        /* MN_DEBUG=dumpsig=NAME: that signal dumps the threads (0: none) */
	char tmpdir[256];   /* $TMPDIR at start-up (thread dumps for mnrun --dump), "" if unset */
};
enum { MN_DEADLOCK_OFF, MN_DEADLOCK_REPORT, MN_DEADLOCK_ABORT };
extern struct mn_env mn_env __attribute__((visibility("hidden")));
void mn_env_init(void) __attribute__((visibility("hidden")));
/* Parse a decimal in [lo, hi]; false on anything else.  Exposed for tests. */
bool mn_env_parse_int(const char *s, long lo, long hi, long *out) __attribute__((visibility("hidden")));
#endif
