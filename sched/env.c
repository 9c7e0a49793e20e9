/* sched/env.c: MN_PROCS, MN_MAXTHREADS, MN_MAXGS and MN_DEBUG.  Runs before the
 * runtime exists, so it uses no malloc and no stdio: messages go out with
 * one write(2) each (mn_printf). */
#include "env.h"
#include "sys.h"
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include "runtime.h"
#include "throw.h"

struct mn_env mn_env;

bool mn_env_parse_int(const char *s, long lo, long hi, long *out)
{
	if (s == NULL || *s == '\0')
		return false;
	long v = 0;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return false;
		v = v * 10 + (*c - '0');
		if (v > hi)
			return false;
	}
	if (v < lo)
		return false;
	*out = v;
	return true;
}

static int ncpus(void)
{
	cpu_set_t set;
	CPU_ZERO(&set); /* the kernel fills only its own mask's size */
	/* raw: sched_getaffinity is interposed (preload/thread.c) */
	if (mn_sys6(SYS_sched_getaffinity, 0, sizeof set, (long)&set, 0, 0, 0) > 0) {
		int n = CPU_COUNT(&set);
		if (n > 0)
			return n > 1024 ? 1024 : n;
	}
	return 1;
}

static void get_int(const char *name, long lo, long hi, long dflt, int *dst)
{
	const char *s = getenv(name);
	long v = dflt;
	if (s != NULL && !mn_env_parse_int(s, lo, hi, &v)) {
		mn_printf("mnthread: ignoring %s=\"%.40s\": expected an integer from %ld to %ld; using %ld\n",
			  name, s, lo, hi, dflt);
		v = dflt;
	}
	*dst = (int)v;
}

/* A signal for preemption: a name (URG, SIGURG, USR2, RTMIN+3) or a
 * number.  Not one the kernel or glibc keeps for itself (KILL, STOP, 32,
 * 33), nor one that reports a fault (SEGV, BUS, ILL, FPE, TRAP) or that
 * the runtime already handles.  0 when s is none of those. */
static int parse_signal(const char *s)
{
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	long v = 0;
	if (!mn_env_parse_int(s, 1, 64, &v)) {
		v = 0;
		if (strncmp(s, "RTMIN+", 6) == 0) {
			long k;
			if (mn_env_parse_int(s + 6, 0, 30, &k))
				v = SIGRTMIN + k;
		} else if (strcmp(s, "RTMIN") == 0) {
			v = SIGRTMIN;
		} else {
			for (int i = 1; i < 32 && !v; i++) {
				const char *n = sigabbrev_np(i);
				if (n && strcmp(n, s) == 0)
					v = i;
			}
		}
	}
	switch (v) {
	case SIGKILL: case SIGSTOP: case SIGSEGV: case SIGBUS: case SIGILL:
	case SIGFPE: case SIGTRAP: case SIGABRT: case 32: case 33:
		return 0;
	default:
		return (int)v;
	}
}

/* MN_DEBUG is a comma-separated list of key=value. */
static void parse_debug(const char *s)
{
	char key[32], val[32];
	while (s && *s) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		const char *eq = memchr(s, '=', len);
		size_t kl = eq ? (size_t)(eq - s) : len;
		size_t vl = eq ? len - kl - 1 : 0;
		if (kl >= sizeof key || vl >= sizeof val) {
			mn_printf("mnthread: ignoring MN_DEBUG item \"%.*s\": too long\n", (int)(len > 40 ? 40 : len), s);
		} else {
			memcpy(key, s, kl);
			key[kl] = 0;
			memcpy(val, eq ? eq + 1 : "", vl);
			val[vl] = 0;
			long v;
			if (strcmp(key, "schedtrace") == 0) {
				if (mn_env_parse_int(val, 0, 3600000, &v))
					mn_env.schedtrace_ms = (int)v;
				else
					mn_printf("mnthread: ignoring MN_DEBUG schedtrace=\"%s\": expected milliseconds "
						  "from 0 to 3600000; using 0 (off)\n", val);
			} else if (strcmp(key, "guardinfo") == 0) {
				if (mn_env_parse_int(val, 0, 1, &v))
					mn_env.guardinfo = v;
				else
					mn_printf("mnthread: ignoring MN_DEBUG guardinfo=\"%s\": expected 0 or 1; using 0\n", val);
			} else if (strcmp(key, "preemptms") == 0) {
				if (mn_env_parse_int(val, 1, 1000, &v))
					mn_env.preempt_ms = (int)v;
				else
					mn_printf("mnthread: ignoring MN_DEBUG preemptms=\"%s\": expected milliseconds "
						  "from 1 to 1000; using 10\n", val);
			} else if (strcmp(key, "preemptsig") == 0) {
				int sig = parse_signal(val);
				if (sig)
					mn_env.preempt_sig = sig;
				else
					mn_printf("mnthread: ignoring MN_DEBUG preemptsig=\"%s\": expected a signal name "
						  "or number other than KILL, STOP, SEGV, BUS, ILL, FPE, TRAP, ABRT, 32, 33; "
						  "using URG\n", val);
			} else if (strcmp(key, "asyncpreemptoff") == 0) {
				if (mn_env_parse_int(val, 0, 1, &v))
					mn_env.asyncpreemptoff = v;
				else
					mn_printf("mnthread: ignoring MN_DEBUG asyncpreemptoff=\"%s\": expected 0 or 1; "
						  "using 0\n", val);
			} else if (strcmp(key, "scavenge") == 0) {
				if (mn_env_parse_int(val, 0, 86400, &v))
					mn_env.scavenge_s = (int)v;
				else
					mn_printf("mnthread: ignoring MN_DEBUG scavenge=\"%s\": expected seconds "
						  "from 0 to 86400; using 300\n", val);
			} else if (strcmp(key, "lockmain") == 0) {
				if (mn_env_parse_int(val, 0, 1, &v))
					mn_env.lockmain = v;
				else
					mn_printf("mnthread: ignoring MN_DEBUG lockmain=\"%s\": expected 0 or 1; using 0\n", val);
			} else if (strcmp(key, "lockthreads") == 0) {
				if (mn_env_parse_int(val, 0, 1, &v))
					mn_env.lockthreads = v;
				else
					mn_printf("mnthread: ignoring MN_DEBUG lockthreads=\"%s\": expected 0 or 1; using 0\n",
						  val);
			} else if (strcmp(key, "deadlock") == 0) {
				if (strcmp(val, "abort") == 0)
					mn_env.deadlock = MN_DEADLOCK_ABORT;
				else if (mn_env_parse_int(val, 0, 1, &v))
					mn_env.deadlock = (int)v;
				else
					mn_printf("mnthread: ignoring MN_DEBUG deadlock=\"%s\": expected 0, 1 or abort; "
						  "using 1\n", val);
			} else if (strcmp(key, "blockreport") == 0) {
				if (mn_env_parse_int(val, 0, 3600000, &v))
					mn_env.blockreport_ms = (int)v;
				else
					mn_printf("mnthread: ignoring MN_DEBUG blockreport=\"%s\": expected milliseconds "
						  "from 0 to 3600000; using 0 (off)\n", val);
			} else if (strcmp(key, "scheddetail") == 0) {
				if (mn_env_parse_int(val, 0, 1, &v))
					mn_env.scheddetail = v;
				else
					mn_printf("mnthread: ignoring MN_DEBUG scheddetail=\"%s\": expected 0 or 1; using 0\n",
						  val);
			} else if (strcmp(key, "summary") == 0) {
				if (mn_env_parse_int(val, 0, 1, &v))
					mn_env.summary = v;
				else
					mn_printf("mnthread: ignoring MN_DEBUG summary=\"%s\": expected 0 or 1; using 0\n", val);
			} else if (strcmp(key, "dumpsig") == 0) {
				int sig = parse_signal(val);
				if (sig && sig != mn_env.preempt_sig)
					mn_env.dumpsig = sig;
				else
					mn_printf("mnthread: ignoring MN_DEBUG dumpsig=\"%s\": expected a signal name "
						  "or number other than KILL, STOP, SEGV, BUS, ILL, FPE, TRAP, ABRT, 32, 33 "
						  "and the preemption signal; using none\n", val);
			} else {
				mn_printf("mnthread: ignoring unknown MN_DEBUG key \"%s\" (known: schedtrace, guardinfo, "
					  "preemptms, preemptsig, asyncpreemptoff, scavenge, lockmain, lockthreads, "
					  "deadlock, blockreport, scheddetail, summary, dumpsig)\n", key);
			}
		}
		s = end ? end + 1 : NULL;
	}
}

/* MN_MAXGS's default: the machine's memory over 16 KiB, twice what a
 * blocked thread costs (about 8 KiB: a page of TCB and TLS, a page of
 * stack), so that a program making threads until pthread_create fails
 * gets EAGAIN with half the memory still free (1,000,000 threads per
 * 16 GiB), and at least 10,000 (glibc's own limit is the kernel's,
 * about 32,000 with default stacks). */
static long default_maxgs(void)
{
	struct sysinfo si;
	if (mn_sys6(SYS_sysinfo, (long)&si, 0, 0, 0, 0, 0) < 0)
		return 1000000;
	unsigned long long mem = (unsigned long long)si.totalram * (si.mem_unit ? si.mem_unit : 1);
	unsigned long long n = mem / 16384;
	return n < 10000 ? 10000 : n > 100000000 ? 100000000 : (long)n;
}

void mn_env_init(void)
{
	get_int("MN_PROCS", 1, 1024, ncpus(), &mn_env.procs);
	get_int("MN_MAXTHREADS", 1, 1000000, 10000, &mn_env.maxthreads);
	get_int("MN_MAXGS", 1, 100000000, default_maxgs(), &mn_env.maxgs);
	mn_env.preempt_ms = 10;
	mn_env.preempt_sig = SIGURG;
	mn_env.scavenge_s = 300;
	mn_env.deadlock = MN_DEADLOCK_REPORT;
	parse_debug(getenv("MN_DEBUG"));
	if (mn_env.lockthreads)
		mn_env.lockmain = true; /* every thread, main too */
	/* preemptsig may come after dumpsig in the list */
	if (mn_env.dumpsig == mn_env.preempt_sig) {
		mn_printf("mnthread: ignoring MN_DEBUG dumpsig: it is the preemption signal; using none\n");
		mn_env.dumpsig = 0;
	}
	const char *t = getenv("TMPDIR");
	if (t && strlen(t) < sizeof mn_env.tmpdir)
		memcpy(mn_env.tmpdir, t, strlen(t) + 1);
}
