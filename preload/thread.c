/* preload/thread.c: the pthread_* thread-lifecycle interposers. */
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include "preload/preload.h"
#include "sched/signal.h"
#include "shims/cpuclock.h"

MN_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	if (!mn_preload_start())
		return REAL(pthread_create)(t, attr, fn, arg);
	return -mn_thread_create(t, attr, fn, arg);
}

MN_EXPORT int pthread_join(pthread_t t, void **res)
{
	if (!mn_shim_active() || !mn_thread_is_g(t))
		return REAL(pthread_join)(t, res);
	return -mn_thread_join(t, res);
}

MN_EXPORT int pthread_tryjoin_np(pthread_t t, void **res)
{
	if (!mn_shim_active() || !mn_thread_is_g(t))
		return REAL(pthread_tryjoin_np)(t, res);
	return -mn_thread_tryjoin(t, res);
}

MN_EXPORT int pthread_timedjoin_np(pthread_t t, void **res, const struct timespec *abstime)
{
	if (!mn_shim_active() || !mn_thread_is_g(t))
		return REAL(pthread_timedjoin_np)(t, res, abstime);
	return -mn_thread_clockjoin(t, res, CLOCK_REALTIME, abstime);
}

MN_EXPORT int pthread_clockjoin_np(pthread_t t, void **res, clockid_t clock, const struct timespec *abstime)
{
	if (!mn_shim_active() || !mn_thread_is_g(t))
		return REAL(pthread_clockjoin_np)(t, res, clock, abstime);
	return -mn_thread_clockjoin(t, res, clock, abstime);
}

MN_EXPORT int pthread_detach(pthread_t t)
{
	if (!mn_shim_active() || !mn_thread_is_g(t))
		return REAL(pthread_detach)(t);
	return -mn_thread_detach(t);
}

MN_EXPORT void pthread_exit(void *res)
{
	REAL(pthread_exit)(res);
	__builtin_unreachable();
}

MN_EXPORT int sched_yield(void)
{
	if (!mn_shim_active() || !mn_is_g())
		return REAL(sched_yield)();
	mn_thread_yield();
	return 0;
}

/* <pthread.h> redirects pthread_yield to sched_yield; define the old
 * exported name under its own assembler name. */
MN_EXPORT int mn_pthread_yield(void) __asm__("pthread_yield");
MN_EXPORT int mn_pthread_yield(void)
{
	return sched_yield();
}

MN_EXPORT int pthread_getattr_np(pthread_t t, pthread_attr_t *attr)
{
	if (!mn_shim_active() || !mn_thread_is_g(t))
		return REAL(pthread_getattr_np)(t, attr);
	return -mn_thread_getattr(t, attr);
}

MN_EXPORT int pthread_setname_np(pthread_t t, const char *name)
{
	if (!mn_shim_active() || !mn_thread_is_g(t))
		return REAL(pthread_setname_np)(t, name);
	return -mn_thread_setname(t, name);
}

MN_EXPORT int pthread_getname_np(pthread_t t, char *buf, size_t len)
{
	if (!mn_shim_active() || !mn_thread_is_g(t))
		return REAL(pthread_getname_np)(t, buf, len);
	return -mn_thread_getname(t, buf, len);
}

/* prctl's per-thread answers that name the calling thread: its name and
 * its clear-child-tid address are the G's, not its M's.  Everything else
 * is the kernel's. */
MN_EXPORT int prctl(int option, ...)
{
	va_list ap;
	va_start(ap, option);
	unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long);
	unsigned long a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
	va_end(ap);
	if (mn_shim_active() && mn_is_g()) {
		switch (option) {
		case PR_SET_NAME: {
			/* The kernel takes the first 15 bytes, silently. */
			char name[16];
			strncpy(name, (const char *)a2, 15);
			name[15] = 0;
			int e = mn_thread_setname(pthread_self(), name);
			if (e) {
				errno = -e;
				return -1;
			}
			return 0;
		}
		case PR_GET_NAME:
			return mn_thread_getname(pthread_self(), (char *)a2, 16) ? (errno = EFAULT, -1) : 0;
		case PR_GET_TID_ADDRESS:
			*(int **)a2 = mn_thread_tid_address();
			return 0;
		}
		long r;
		if (mn_thread_kstate(SYS_prctl, option, (long)a2, (long)a3, (long)a4, (long)a5, &r))
			return r < 0 ? (errno = (int)-r, -1) : (int)r;
	}
	return REAL(prctl)(option, a2, a3, a4, a5);
}

/* Namespaces, capabilities: the calling thread's own (Linux), so the G
 * keeps the OS thread it made the call on, and that OS thread exits with
 * it (shims/thread.c: mn_thread_kstate).  glibc's wrappers of these are
 * the plain system calls, which is what a thread that is not a G gets. */
static int kstate(long nr, long a1, long a2)
{
	long r;
	if (!mn_shim_active() || !mn_thread_kstate(nr, a1, a2, 0, 0, 0, &r))
		r = REAL(syscall)(nr, a1, a2) < 0 ? -errno : 0;
	return r < 0 ? (errno = (int)-r, -1) : (int)r;
}
MN_EXPORT int unshare(int flags) { return kstate(SYS_unshare, flags, 0); }
MN_EXPORT int setns(int fd, int type) { return kstate(SYS_setns, fd, type); }
/* No header of glibc's declares these two (libcap's does). */
int capset(void *hdr, const void *data);
int capget(void *hdr, void *data);
MN_EXPORT int capset(void *hdr, const void *data) { return kstate(SYS_capset, (long)hdr, (long)data); }
MN_EXPORT int capget(void *hdr, void *data) { return kstate(SYS_capget, (long)hdr, (long)data); }

MN_EXPORT int pthread_setschedparam(pthread_t t, int policy, const struct sched_param *sp)
{
	if (!mn_shim_active() || !mn_thread_is_g(t))
		return REAL(pthread_setschedparam)(t, policy, sp);
	return -mn_thread_setschedparam(t, policy, sp);
}

MN_EXPORT int pthread_getschedparam(pthread_t t, int *policy, struct sched_param *sp)
{
	if (!mn_shim_active() || !mn_thread_is_g(t))
		return REAL(pthread_getschedparam)(t, policy, sp);
	return -mn_thread_getschedparam(t, policy, sp);
}

MN_EXPORT int pthread_setschedprio(pthread_t t, int prio)
{
	if (!mn_shim_active() || !mn_thread_is_g(t))
		return REAL(pthread_setschedprio)(t, prio);
	int policy;
	struct sched_param sp;
	mn_thread_getschedparam(t, &policy, &sp);
	sp.sched_priority = prio;
	return -mn_thread_setschedparam(t, policy, &sp);
}

MN_EXPORT int pthread_once(pthread_once_t *once, void (*init)(void))
{
	/* Foreign threads too: they must see a G's init finish. */
	if (!mn_shim_active())
		return REAL(pthread_once)(once, init);
	return -mn_once(once, init);
}

MN_EXPORT int pthread_kill(pthread_t t, int sig)
{
	if (!mn_shim_active() || !mn_thread_is_g(t))
		return REAL(pthread_kill)(t, sig);
	return -mn_thread_kill(t, sig, NULL);
}

MN_EXPORT int pthread_sigqueue(pthread_t t, int sig, const union sigval value)
{
	if (!mn_shim_active() || !mn_thread_is_g(t))
		return REAL(pthread_sigqueue)(t, sig, value);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value = value;
	return -mn_thread_kill(t, sig, &si);
}

MN_EXPORT int pthread_cancel(pthread_t t)
{
	if (!mn_shim_active() || !mn_thread_is_g(t))
		return REAL(pthread_cancel)(t);
	return -mn_thread_cancel(t);
}

/* raise is pthread_kill of oneself (glibc's, which sends to the OS
 * thread: under mnthread an M, which blocks asynchronous signals). */
MN_EXPORT int raise(int sig)
{
	if (!mn_shim_active() || !mn_is_g())
		return REAL(raise)(sig);
	int e = mn_thread_kill(pthread_self(), sig, NULL);
	if (e) {
		errno = -e;
		return -1;
	}
	return 0;
}

/* kill of one's own process by a thread that does not block the signal:
 * POSIX has it delivered to the caller before kill returns (when no
 * other thread takes it; otherwise to any of them, the caller too), as
 * Linux does.  Through the router it would arrive a moment later: the
 * caller takes it itself, as raise would (its si_code is then SI_TKILL,
 * not SI_USER).  The rest is the kernel's, and so are the signals the
 * runtime keeps a handler for (sched/signal.c). */
MN_EXPORT int kill(pid_t pid, int sig)
{
	if (sig > 0 && sig < 32 && sig != SIGKILL && sig != SIGSTOP && mn_shim_active() && mn_is_g() &&
	    mn_sched.mainfree && pid == getpid() && !mn_signal_owned(sig)) {
		sigset_t cur;
		if (pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0 && !sigismember(&cur, sig))
			return raise(sig);
	}
	return REAL(kill)(pid, sig);
}

MN_EXPORT int pthread_getaffinity_np(pthread_t t, size_t size, cpu_set_t *set)
{
	if (!mn_shim_active() || !mn_thread_is_g(t))
		return REAL(pthread_getaffinity_np)(t, size, set);
	return -mn_thread_getaffinity(t, size, set);
}

MN_EXPORT int pthread_setaffinity_np(pthread_t t, size_t size, const cpu_set_t *set)
{
	if (!mn_shim_active() || !mn_thread_is_g(t))
		return REAL(pthread_setaffinity_np)(t, size, set);
	return -mn_thread_setaffinity(t, size, set);
}

/* The same by kernel id (0: the caller; the process's id: main; a
 * thread's gettid), Linux's per-thread meaning: a G gets an OS thread of
 * its own with that mask (sched/kprops.c).  Anything else: the kernel's. */
MN_EXPORT int sched_setaffinity(pid_t id, size_t size, const cpu_set_t *set)
{
	struct g *gp = mn_shim_active() ? mn_thread_by_id(id) : NULL;
	if (!gp)
		return REAL(sched_setaffinity)(id, size, set);
	int e = mn_thread_setaffinity_g(gp, size, set);
	if (e) {
		errno = -e;
		return -1;
	}
	return 0;
}

MN_EXPORT int sched_getaffinity(pid_t id, size_t size, cpu_set_t *set)
{
	struct g *gp = mn_shim_active() ? mn_thread_by_id(id) : NULL;
	if (!gp || gp == mn_getg() || !gp->affinity)
		return REAL(sched_getaffinity)(gp ? 0 : id, size, set);
	if (size < sizeof(long)) {
		errno = EINVAL;
		return -1;
	}
	memset(set, 0, size);
	memcpy(set, gp->affinity, size < sizeof(cpu_set_t) ? size : sizeof(cpu_set_t));
	return 0;
}

/* sched_setscheduler and the rest by kernel id: Linux's per-thread
 * meaning, as pthread_setschedparam (the G's own OS thread, sched/
 * kprops.c).  Anything else: the kernel's. */
static int setsched_g(struct g *gp, int policy, const struct sched_param *sp)
{
	if (!sp) {
		errno = EINVAL;
		return -1;
	}
	int e = mn_thread_setsched_g(gp, policy, sp->sched_priority);
	if (e) {
		errno = -e;
		return -1;
	}
	return 0;
}

MN_EXPORT int sched_setscheduler(pid_t id, int policy, const struct sched_param *sp)
{
	struct g *gp = mn_shim_active() ? mn_thread_by_id(id) : NULL;
	if (!gp)
		return REAL(sched_setscheduler)(id, policy, sp);
	return setsched_g(gp, policy, sp);
}

MN_EXPORT int sched_setparam(pid_t id, const struct sched_param *sp)
{
	struct g *gp = mn_shim_active() ? mn_thread_by_id(id) : NULL;
	if (!gp)
		return REAL(sched_setparam)(id, sp);
	return setsched_g(gp, gp->schedpolicy, sp);
}

MN_EXPORT int sched_getscheduler(pid_t id)
{
	struct g *gp = mn_shim_active() ? mn_thread_by_id(id) : NULL;
	if (!gp)
		return REAL(sched_getscheduler)(id);
	return gp->schedpolicy;
}

MN_EXPORT int sched_getparam(pid_t id, struct sched_param *sp)
{
	struct g *gp = mn_shim_active() ? mn_thread_by_id(id) : NULL;
	if (!gp)
		return REAL(sched_getparam)(id, sp);
	if (!sp) {
		errno = EINVAL;
		return -1;
	}
	sp->sched_priority = gp->schedprio;
	return 0;
}

/* setpriority and getpriority of PRIO_PROCESS name a thread on Linux (0:
 * the caller); nice is the caller's.  A G gets an OS thread of its own
 * with that nice value (sched/kprops.c). */
MN_EXPORT int setpriority(__priority_which_t which, id_t who, int prio)
{
	struct g *gp = which == PRIO_PROCESS && mn_shim_active() ? mn_thread_by_id((long)who) : NULL;
	if (!gp)
		return REAL(setpriority)(which, who, prio);
	int e = mn_thread_setnice(gp, prio);
	if (e) {
		errno = -e;
		return -1;
	}
	return 0;
}

MN_EXPORT int getpriority(__priority_which_t which, id_t who)
{
	struct g *gp = which == PRIO_PROCESS && mn_shim_active() ? mn_thread_by_id((long)who) : NULL;
	if (!gp)
		return REAL(getpriority)(which, who);
	return mn_thread_getnice(gp);
}

MN_EXPORT int nice(int inc)
{
	struct g *gp = mn_shim_active() ? mn_thread_by_id(0) : NULL;
	if (!gp)
		return REAL(nice)(inc);
	int e = mn_thread_setnice(gp, mn_thread_getnice(gp) + inc);
	if (e) {
		errno = e == -EACCES ? EPERM : -e;
		return -1;
	}
	return mn_thread_getnice(gp);
}

/* A G's CPU-time clock is its own (preload/clock.c reads it). */
MN_EXPORT int pthread_getcpuclockid(pthread_t t, clockid_t *clock)
{
	if (!mn_shim_active() || !mn_thread_is_g(t))
		return REAL(pthread_getcpuclockid)(t, clock);
	return -mn_thread_cpuclockid(t, clock);
}
