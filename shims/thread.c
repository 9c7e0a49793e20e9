/* shims/thread.c: pthread_create, join, detach, names, scheduling
 * parameters, kill, cancel and affinity, with glibc's semantics and error
 * codes, on top of sched/.
 *
 * pthread_t is the G's TCB address, so glibc's own pthread_self and
 * pthread_equal stay correct; we find the G from a pthread_t through that
 * TCB's copy of our TLS (mn_tcb_to_g), which also tells our threads from
 * foreign ones (those glibc made itself), which go to glibc.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/ioctl.h>
#include <linux/nsfs.h>
#include "shims/thread.h"
#include "shims/sigmask.h"
#include "sched/gsig.h"
#include "shims/start.h"
#include "shims/sleep.h"
#include "shims/hooks.h"
#include "sched/runtime.h"
#include "sched/cancel.h"
#include "sched/fork.h"
#include "sched/proc.h"
#include "sched/join.h"
#include "sched/tcb.h"
#include "sched/kprops.h"
#include "sched/sema.h"
#include "sched/sys.h"
#include "shims/poison.h" /* last */

/* glibc's struct pthread_attr (stable since 2.x): the one flag we need
 * is "a stack address was set", which no getter reports. */
struct glibc_attr {
	struct sched_param schedparam;
	int schedpolicy;
	int flags;
	size_t guardsize;
	void *stackaddr;
	size_t stacksize;
};
#define ATTR_FLAG_DETACHSTATE 0x0001
#define ATTR_FLAG_STACKADDR   0x0008
_Static_assert(sizeof(struct glibc_attr) <= sizeof(pthread_attr_t), "pthread_attr_t layout");

static char main_name[16];

/* The main thread's name, as the process's comm at start-up. */
void mn_thread_main_name_init(void)
{
	mn_sys6(SYS_prctl, PR_GET_NAME, (long)main_name, 0, 0, 0, 0);
}

static bool rt_allowed(int policy, int prio);

/* A new thread's kernel state (what sched/kprops.c applies): natively it
 * inherits its creator's mask and nice value, and has the policy the
 * attributes give (inherited or explicit).  What differs from the
 * process's defaults is pending on gp: the first M to run it becomes its
 * own.  Context: before gp is published. */
static void inherit_kprops(struct g *self, struct g *gp, int policy, int prio)
{
	unsigned what = 0;
	int dpolicy, dprio;
	mn_kprops_default_sched(&dpolicy, &dprio);
	if (policy != dpolicy || prio != dprio)
		what |= KP_SCHED;
	if (self && mn_is_g()) {
		unsigned had = self->kapplied | atomic_load_explicit(&self->kpending, memory_order_relaxed);
		if ((had & KP_AFFINITY) && self->affinity && !gp->affinity)
			gp->affinity = malloc(sizeof *gp->affinity);
		if ((had & KP_AFFINITY) && self->affinity && gp->affinity) {
			memcpy(gp->affinity, self->affinity, sizeof *gp->affinity);
			what |= KP_AFFINITY;
		}
		if (had & KP_NICE) {
			gp->nice = self->nice;
			what |= KP_NICE;
		}
	}
	if (what)
		/* relaxed: published with gp by the queue it is put on */
		atomic_fetch_or_explicit(&gp->kpending, (uint8_t)what, memory_order_relaxed);
}

static bool start_wait(const void *addr, void *arg)
{
	(void)arg;
	/* acquire: pairs with mn_gentry's release store */
	return atomic_load_explicit((_Atomic uint32_t *)addr, memory_order_acquire) != 0;
}

int mn_thread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	struct mn_stack_req req = { .stacksize = 0, .guardsize = mn_pagesize };
	bool detached = false;
	int policy = SCHED_OTHER, prio = 0;
	bool explicit_sched = false;
	if (attr) {
		const struct glibc_attr *a = (const void *)attr;
		detached = a->flags & ATTR_FLAG_DETACHSTATE;
		if (a->flags & ATTR_FLAG_STACKADDR) {
			if (a->stacksize < (size_t)PTHREAD_STACK_MIN)
				return -EINVAL;
			req.userstack = (char *)a->stackaddr - a->stacksize;
			req.usersize = a->stacksize;
			req.guardsize = 0;
		} else {
			req.stacksize = a->stacksize;
			req.guardsize = a->guardsize;
		}
		int inherit = PTHREAD_INHERIT_SCHED;
		pthread_attr_getinheritsched(attr, &inherit);
		if (inherit == PTHREAD_EXPLICIT_SCHED) {
			explicit_sched = true;
			policy = a->schedpolicy;
			prio = a->schedparam.sched_priority;
		}
	}
	if (!explicit_sched) {
		/* PTHREAD_INHERIT_SCHED (the default): the creator's. */
		struct g *cur = mn_getg();
		if (cur && mn_is_g()) {
			policy = cur->schedpolicy;
			prio = cur->schedprio;
		} else {
			struct sched_param sp;
			if (mn_glibc.getschedparam(pthread_self(), &policy, &sp) == 0)
				prio = sp.sched_priority;
			else
				policy = SCHED_OTHER;
		}
	}
	if (explicit_sched) {
		int base = policy & ~SCHED_RESET_ON_FORK;
		int lo = sched_get_priority_min(base), hi = sched_get_priority_max(base);
		if (lo < 0 || prio < lo || prio > hi)
			return -EINVAL;
		if (!rt_allowed(base, prio))
			return -EPERM;
	}
	int err = 0;
	struct g *self = mn_getg();
	struct g *gp = mn_newproc(fn, arg, &req, &err);
	if (!gp)
		return err;
	gp->schedpolicy = policy;
	gp->schedprio = prio;
	inherit_kprops(self, gp, policy, prio);
	atomic_store_explicit(&gp->joinstate, detached ? JS_DETACHED : JS_JOINABLE, memory_order_relaxed);
	/* Like the kernel's comm, a new thread starts with its creator's name. */
	memcpy(gp->name, self && mn_is_g() && self->name[0] ? self->name : main_name, 16);
	gp->sigmask = mn_sig_creator_mask();
	gp->sigpending = 0;
	gp->sigfromproc = 0;
	gp->sigwaiting = 0;
	memset(&gp->altstack, 0, sizeof gp->altstack);
	sigset_t am;
	if (attr && pthread_attr_getsigmask_np(attr, &am) == 0)
		memcpy(&gp->sigmask, &am, sizeof gp->sigmask);
	/* A thread that may take what main blocks: watch for it. */
	mn_gsig_router_update();
	if (t)
		*t = (pthread_t)gp->tcb;
	/* A thread with kernel state of its own (a real-time policy, its
	 * creator's mask...) has it when pthread_create returns, as natively
	 * (where one of a higher priority has already taken the creator's
	 * CPU): wait until it has started on its own OS thread. */
	_Atomic uint32_t started = 1;
	bool own = atomic_load_explicit(&gp->kpending, memory_order_relaxed) & (KP_SCHED | KP_AFFINITY | KP_NICE);
	if (own)
		gp->kstart = &started;
	uint64_t accepts = ~gp->sigmask; /* gp may be gone once started */
	mn_newproc_start(gp);
	/* after it is runnable: the router's look at the masks sees it */
	mn_gsig_unkeep(accepts);
	if (own)
		while (atomic_load_explicit(&started, memory_order_acquire))
			mn_sema_park(&started, start_wait, NULL, 0, 0);
	return 0;
}

static struct g *lookup(pthread_t t)
{
	return mn_tcb_to_g((uintptr_t)t);
}

bool mn_thread_is_g(pthread_t t)
{
	return lookup(t) != NULL;
}

int mn_thread_join(pthread_t t, void **res)
{
	struct g *gp = lookup(t);
	if (!gp)
		return -ESRCH;
	return mn_gjoin(gp, res, JOIN_WAIT, 0);
}

int mn_thread_tryjoin(pthread_t t, void **res)
{
	struct g *gp = lookup(t);
	if (!gp)
		return -ESRCH;
	return mn_gjoin(gp, res, JOIN_TRY, 0);
}

int mn_thread_clockjoin(pthread_t t, void **res, clockid_t clock, const struct timespec *abstime)
{
	struct g *gp = lookup(t);
	if (!gp)
		return -ESRCH;
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
		return -EINVAL;
	/* glibc never reports a bad tv_nsec here: its wait loop retries until
	 * the thread exits.  Waiting without a time-out gives the same result
	 * without the spinning. */
	if (!abstime || abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000)
		return mn_gjoin(gp, res, JOIN_WAIT, 0);
	int64_t deadline;
	int e = mn_abs_to_deadline(clock, abstime, &deadline);
	if (e)
		return e;
	return mn_gjoin(gp, res, JOIN_TIMED, deadline);
}

int mn_thread_detach(pthread_t t)
{
	struct g *gp = lookup(t);
	if (!gp)
		return -ESRCH;
	return mn_gdetach(gp);
}

void mn_thread_yield(void)
{
	struct g *gp = mn_getg();
	if (mn_kprops_rt(gp)) {
		mn_sys3(SYS_sched_yield, 0, 0, 0);
		/* what gosched would have run: a handler for us */
		if (mn_gsig_deliverable(gp))
			mn_gsig_deliver();
		return;
	}
	mn_gosched();
}

int mn_thread_getattr(pthread_t t, pthread_attr_t *attr)
{
	struct g *gp = lookup(t);
	if (!gp)
		return -ESRCH;
	int r = -pthread_attr_init(attr); /* glibc's: a positive error number */
	if (r)
		return r;
	if (gp->flags & G_MAIN) {
		/* The process stack: glibc knows it (it reads no tid for it). */
		pthread_attr_destroy(attr);
		return -mn_glibc.getattr_np(t, attr);
	}
	int js = JS_STATE(atomic_load_explicit(&gp->joinstate, memory_order_relaxed));
	pthread_attr_setdetachstate(attr, js == JS_DETACHED ? PTHREAD_CREATE_DETACHED : PTHREAD_CREATE_JOINABLE);
	struct glibc_attr *a = (void *)attr;
	a->stackaddr = (void *)gp->stack.hi;
	/* glibc reports the size asked for (aligned down to the static TLS
	 * alignment): its TCB sits inside that block, ours above it. */
	size_t size = gp->stack.hi - gp->stack.lo;
	if (!gp->stack.user) {
		size_t want = (gp->stack.reqsize ? gp->stack.reqsize : mn_default_stacksize) & ~(size_t)63;
		if (want && want < size)
			size = want;
	}
	a->stacksize = size;
	a->flags |= ATTR_FLAG_STACKADDR;
	a->guardsize = gp->stack.guardsize;
	a->schedpolicy = gp->schedpolicy;
	a->schedparam.sched_priority = gp->schedprio;
	return 0;
}

int mn_thread_setname(pthread_t t, const char *name)
{
	struct g *gp = lookup(t);
	if (!gp)
		return -ESRCH;
	size_t n = strlen(name);
	if (n >= 16)
		return -ERANGE;
	if (gp->flags & G_MAIN) {
		/* The main G's name is the process's comm, as natively: the
		 * initial OS thread's, whichever M main runs on. */
		long r;
		if (mn_g_m0main(gp)) {
			r = mn_sys6(SYS_prctl, PR_SET_NAME, (long)name, 0, 0, 0, 0);
		} else {
			char path[48];
			snprintf(path, sizeof path, "/proc/self/task/%ld/comm", mn_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0));
			r = mn_sys6(SYS_open, (long)path, O_WRONLY | O_CLOEXEC, 0, 0, 0, 0);
			if (r >= 0) {
				long fd = r;
				r = mn_sys6(SYS_write, fd, (long)name, (long)n, 0, 0, 0);
				mn_sys6(SYS_close, fd, 0, 0, 0, 0, 0);
			}
		}
		if (r < 0)
			return (int)r;
		memcpy(main_name, name, n + 1);
	}
	memcpy(gp->name, name, n + 1);
	return 0;
}

int mn_thread_getname(pthread_t t, char *buf, size_t len)
{
	struct g *gp = lookup(t);
	if (!gp)
		return -ESRCH;
	if (len < 16)
		return -ERANGE;
	const char *src = gp->name[0] ? gp->name : main_name;
	memcpy(buf, src, strnlen(src, 15));
	buf[strnlen(src, 15)] = 0;
	return 0;
}

/* May this process give a thread policy at prio?  The kernel's rule for
 * a real-time policy: CAP_SYS_NICE, or a priority within RLIMIT_RTPRIO.
 * Checked for another G, whose values are applied when it next runs,
 * with nobody to take an error then (the calling G's own call answers
 * with the kernel's error). */
static bool rt_allowed(int policy, int prio)
{
	if (policy != SCHED_FIFO && policy != SCHED_RR)
		return true;
	struct { uint32_t version; int pid; } hdr = { 0x20080522, 0 };
	struct { uint32_t eff, perm, inh; } data[2];
	if (mn_sys6(SYS_capget, (long)&hdr, (long)data, 0, 0, 0, 0) == 0 && (data[0].eff & (1u << 23)))
		return true; /* CAP_SYS_NICE */
	struct rlimit rl;
	if (mn_sys6(SYS_prlimit64, 0, RLIMIT_RTPRIO, 0, (long)&rl, 0, 0) < 0)
		return false;
	return rl.rlim_cur == RLIM_INFINITY || (rlim_t)prio <= rl.rlim_cur;
}

/* A G's scheduling policy and priority are the kernel's, on an OS thread
 * of its own (sched/kprops.c) unless they are the process's defaults on
 * a thread that never had others.  0 or -errno. */
int mn_thread_setsched_g(struct g *gp, int policy, int prio)
{
	int base = policy & ~SCHED_RESET_ON_FORK;
	int lo = sched_get_priority_min(base), hi = sched_get_priority_max(base);
	if (lo < 0 || prio < lo || prio > hi)
		return -EINVAL;
	if (gp != mn_getg() && !rt_allowed(base, prio))
		return -EPERM;
	int oldpolicy = gp->schedpolicy, oldprio = gp->schedprio;
	int dpolicy, dprio;
	mn_kprops_default_sched(&dpolicy, &dprio);
	gp->schedpolicy = policy;
	gp->schedprio = prio;
	if (!(policy == dpolicy && prio == dprio &&
	      !((gp->kapplied | atomic_load_explicit(&gp->kpending, memory_order_relaxed)) & KP_SCHED))) {
		int r = mn_kprops_set(gp, KP_SCHED);
		if (r) {
			gp->schedpolicy = oldpolicy;
			gp->schedprio = oldprio;
			return r;
		}
	}
	*(int *)mn_tcb_field(gp->tcb, TCBF_SCHEDPOLICY) = policy;
	*(int *)mn_tcb_field(gp->tcb, TCBF_SCHEDPARAM) = prio;
	return 0;
}

int mn_thread_setschedparam(pthread_t t, int policy, const struct sched_param *sp)
{
	struct g *gp = lookup(t);
	if (!gp)
		return -ESRCH;
	return mn_thread_setsched_g(gp, policy, sp->sched_priority);
}

/* setpriority(PRIO_PROCESS, id, nice) on one thread (Linux's meaning):
 * its own OS thread from now on, with that nice value.  0 or -errno. */
int mn_thread_setnice(struct g *gp, int nice)
{
	if (nice < -20)
		nice = -20;
	if (nice > 19)
		nice = 19;
	int old = gp->nice;
	unsigned had = gp->kapplied;
	if (nice == mn_kprops_default_nice() && !((had | gp->kpending) & KP_NICE))
		return 0; /* the default again on a thread that never left it */
	gp->nice = nice;
	int r = mn_kprops_set(gp, KP_NICE);
	if (r) {
		gp->nice = old;
		gp->kapplied = (uint8_t)had;
	}
	return r;
}

/* Per-thread kernel state that cannot be undone: the calling G keeps an
 * OS thread of its own, which exits with it (sched/kprops.c). */
static bool prctl_taints(long option, long a2)
{
	switch (option) {
	case PR_SET_SECCOMP:
	case PR_SET_NO_NEW_PRIVS:
	case PR_SET_KEEPCAPS:
	case PR_SET_SECUREBITS:
	case PR_CAPBSET_DROP:
	case PR_SET_TIMERSLACK:
	case PR_SET_IO_FLUSHER:
	case PR_SET_SPECULATION_CTRL:
	case PR_SET_TSC:
	case PR_SET_SYSCALL_USER_DISPATCH:
		return true;
	case PR_CAP_AMBIENT:
		return a2 != PR_CAP_AMBIENT_IS_SET;
	default:
		return false;
	}
}

/* capget and capset name a thread by its kernel id, 0 for the caller:
 * a header naming the caller by its own id (a G's) is passed on as a
 * copy with 0 (*own), and the kernel's answer in the version field copied
 * back.  Returns the header to pass. */
struct cap_hdr {
	uint32_t version;
	int pid;
};
static long cap_self(long hdr, struct cap_hdr *own)
{
	struct cap_hdr *h = (void *)hdr;
	if (!h || h->pid == 0 || h->pid != mn_thread_gettid())
		return hdr;
	*own = (struct cap_hdr){ h->version, 0 };
	return (long)own;
}

/* setns to the namespace the OS thread is in already changes nothing
 * (stress-ng's threads do it on every start): no need to keep the OS
 * thread.  Only for a namespace file, whose type the kernel tells; a
 * pidfd (several namespaces at once) counts as a change. */
static bool setns_noop(int fd, int type)
{
	static const struct { int flag; const char *name; } ns[] = {
		{ CLONE_NEWNS, "mnt" }, { CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWUTS, "uts" },
		{ CLONE_NEWIPC, "ipc" }, { CLONE_NEWUSER, "user" }, { CLONE_NEWPID, "pid_for_children" },
		{ CLONE_NEWNET, "net" }, { CLONE_NEWTIME, "time_for_children" },
	};
	long t = mn_sys6(SYS_ioctl, fd, NS_GET_NSTYPE, 0, 0, 0, 0);
	if (t <= 0 || (type != 0 && type != t))
		return false;
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		if (ns[i].flag != t)
			continue;
		char path[64] = "/proc/thread-self/ns/";
		strcat(path, ns[i].name);
		struct stat a, b;
		return mn_sys6(SYS_fstat, fd, (long)&a, 0, 0, 0, 0) == 0 &&
		       mn_sys6(SYS_newfstatat, AT_FDCWD, (long)path, (long)&b, 0, 0, 0) == 0 && a.st_ino == b.st_ino &&
		       a.st_dev == b.st_dev;
	}
	return false;
}

int mn_thread_kstate(long nr, long a1, long a2, long a3, long a4, long a5, long *ret)
{
	if (!mn_is_g())
		return 0;
	struct cap_hdr own;
	switch (nr) {
	case SYS_prctl:
		if (!prctl_taints(a1, a2))
			return 0;
		break;
	case SYS_capget: {
		/* a read: the M's are the G's (a tainted M is its G's alone) */
		long h = cap_self(a1, &own);
		if (h == a1)
			return 0;
		*ret = mn_sys6(SYS_capget, h, a2, 0, 0, 0, 0);
		((struct cap_hdr *)a1)->version = own.version;
		return 1;
	}
	case SYS_capset: {
		long h = cap_self(a1, &own);
		*ret = mn_kprops_taint(nr, h, a2, a3, a4, a5);
		if (h != a1)
			((struct cap_hdr *)a1)->version = own.version;
		return 1;
	}
	case SYS_unshare:
		if (a1 == 0)
			return 0;
		break;
	case SYS_setns:
		if (setns_noop((int)a1, (int)a2))
			return 0;
		break;
	case SYS_seccomp:
		break;
	default:
		return 0;
	}
	*ret = mn_kprops_taint(nr, a1, a2, a3, a4, a5);
	return 1;
}

/* getpriority(PRIO_PROCESS, id) of one thread: its nice value. */
int mn_thread_getnice(struct g *gp)
{
	return (gp->kapplied | atomic_load_explicit(&gp->kpending, memory_order_relaxed)) & KP_NICE
		       ? gp->nice
		       : mn_kprops_default_nice();
}

/* The G a kernel id names (sched_setaffinity, setpriority...): 0 or the
 * caller's own id is the caller, the process's id is main, a G's id is
 * that G; NULL for anything else (a foreign thread: the kernel's). */
struct g *mn_thread_by_id(long id)
{
	struct g *self = mn_getg();
	if (id == 0 || (self && mn_is_g() && id == mn_tcb_self_tid()))
		return self && mn_is_g() ? self : NULL;
	struct g *mg = mn_sched.maing;
	if (mg && id == mn_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0))
		return atomic_load_explicit(&mg->status, memory_order_acquire) == G_DEAD ? NULL : mg;
	return mn_gsig_find_tid(id);
}

int mn_thread_getschedparam(pthread_t t, int *policy, struct sched_param *sp)
{
	struct g *gp = lookup(t);
	if (!gp)
		return -ESRCH;
	*policy = gp->schedpolicy;
	sp->sched_priority = gp->schedprio;
	return 0;
}

int mn_thread_create_int(pthread_t *t, int (*fn)(void *), void *arg)
{
	struct mn_stack_req req = { .stacksize = 0, .guardsize = mn_pagesize };
	int err = 0;
	struct g *self = mn_getg();
	struct g *gp = mn_newproc((void *(*)(void *))(void *)fn, arg, &req, &err);
	if (!gp)
		return err;
	gp->flags |= G_STARTINT;
	gp->sigmask = mn_sig_creator_mask();
	gp->sigpending = 0;
	gp->sigfromproc = 0;
	gp->sigwaiting = 0;
	memset(&gp->altstack, 0, sizeof gp->altstack);
	mn_gsig_router_update();
	memcpy(gp->name, self && mn_is_g() && self->name[0] ? self->name : main_name, 16);
	*t = (pthread_t)gp->tcb;
	uint64_t accepts = ~gp->sigmask; /* gp may be gone once started */
	mn_newproc_start(gp);
	mn_gsig_unkeep(accepts); /* as mn_thread_create */
	return 0;
}

pid_t mn_thread_gettid(void)
{
	return mn_tcb_self_tid();
}

/* set_tid_address(2) from a G: the address is the G's, not its M's (the
 * kernel would clear the M's at the M's exit, and the M's own must stay
 * glibc's); the answer is the G's id, as gettid's. */
pid_t mn_thread_set_tid_address(int *addr)
{
	struct g *gp = mn_getg();
	gp->clear_tid = (_Atomic int *)addr;
	gp->clear_tid_set = true;
	return mn_tcb_self_tid();
}

/* prctl(PR_GET_TID_ADDRESS) from a G: what set_tid_address set, or the
 * TCB's tid, where glibc points a thread's. */
int *mn_thread_tid_address(void)
{
	struct g *gp = mn_getg();
	if (gp->clear_tid_set)
		return (int *)gp->clear_tid;
	return mn_tcb_field(gp->tcb, TCBF_TID);
}

/* tgkill/tkill (info NULL) and rt_tgsigqueueinfo to an id: a G's id is
 * that G (the caller's own, or another's: sched/gsig.c).  Returns 1 with
 * *ret (0 or -errno) when handled; 0 to let the kernel answer (an OS
 * thread's id, or none: ESRCH, as for a thread that has exited). */
int mn_thread_tgkill(long pid, long tid, int sig, const siginfo_t *info, long *ret)
{
	if (pid != -1 && pid != mn_sys3(SYS_getpid, 0, 0, 0))
		return 0;
	bool self = mn_is_g() && tid == mn_tcb_self_tid();
	if (!self && (tid < MN_FAKE_TID_MIN || tid > MN_FAKE_TID_END))
		return 0;
	if (sig < 0 || sig >= _NSIG) {
		*ret = -EINVAL;
		return 1;
	}
	if (self) {
		*ret = sig == 0 ? 0 : mn_gsig_send(mn_getg(), sig, info);
		return 1;
	}
	return mn_gsig_send_tid(tid, sig, info, ret);
}

/* pthread_kill (info NULL) and pthread_sigqueue on a G, with glibc's
 * answers: EINVAL for a bad or internal signal, 0 (and nothing sent) for
 * a thread that has exited, 0 for signal 0 on a live one.  The signal is
 * the G's (sched/gsig.c): a G signalling itself gets it before the call
 * returns. */
int mn_thread_kill(pthread_t t, int sig, const siginfo_t *info)
{
	struct g *gp = lookup(t);
	if (!gp)
		return -ESRCH;
	if (sig == MN_SIGCANCEL || sig == MN_SIGSETXID)
		return -EINVAL;
	int js = JS_STATE(atomic_load_explicit(&gp->joinstate, memory_order_acquire));
	if (js == JS_EXITED || js == JS_FREE || atomic_load_explicit(&gp->status, memory_order_acquire) == G_DEAD)
		return 0;
	if (sig < 0 || sig >= _NSIG) /* the kernel's EINVAL */
		return -EINVAL;
	if (sig == 0)
		return 0;
	return mn_gsig_send(gp, sig, info);
}

/* pthread_cancel on a G: glibc's answer for a thread that has exited (0,
 * nothing to do); else sched/cancel.c. */
int mn_thread_cancel(pthread_t t)
{
	struct g *gp = lookup(t);
	if (!gp)
		return -ESRCH;
	int js = JS_STATE(atomic_load_explicit(&gp->joinstate, memory_order_acquire));
	if (js == JS_EXITED || js == JS_FREE || atomic_load_explicit(&gp->status, memory_order_acquire) == G_DEAD)
		return 0;
	return mn_cancel_g(gp, t, mn_glibc.cancel);
}

/* CPU affinity of a G: Gs run on whichever M has a P, so a mask set on one
 * is checked as the kernel would (it must contain an allowed CPU) and
 * recorded, not applied, like scheduling priorities; reading it gives the
 * recorded mask, else the CPUs the process may run on. */
int mn_thread_getaffinity(pthread_t t, size_t size, cpu_set_t *set)
{
	struct g *gp = lookup(t);
	if (!gp)
		return -ESRCH;
	/* The kernel's answer for this size (and the process's CPUs)... */
	long n = mn_sys6(SYS_sched_getaffinity, 0, (long)size, (long)set, 0, 0, 0);
	if (n < 0)
		return (int)n;
	/* ...or the mask recorded for the G; zeros past the kernel's size,
	 * as glibc. */
	if (gp->affinity)
		memcpy(set, gp->affinity, (size_t)n < sizeof(cpu_set_t) ? (size_t)n : sizeof(cpu_set_t));
	memset((char *)set + n, 0, size - (size_t)n);
	return 0;
}

int mn_thread_setaffinity(pthread_t t, size_t size, const cpu_set_t *set)
{
	struct g *gp = lookup(t);
	if (!gp)
		return -ESRCH;
	return mn_thread_setaffinity_g(gp, size, set);
}

int mn_thread_setaffinity_g(struct g *gp, size_t size, const cpu_set_t *set)
{
	cpu_set_t allowed, want;
	long n = mn_sys6(SYS_sched_getaffinity, 0, sizeof allowed, (long)&allowed, 0, 0, 0);
	if (n < 0)
		return (int)n;
	CPU_ZERO(&want);
	memcpy(&want, set, size < sizeof want ? size : sizeof want);
	cpu_set_t both;
	CPU_AND(&both, &want, &allowed);
	if (CPU_COUNT(&both) == 0)
		return -EINVAL;
	if (!gp->affinity) {
		cpu_set_t *a = malloc(sizeof *a);
		if (!a)
			return -ENOMEM;
		gp->affinity = a;
	}
	memcpy(gp->affinity, &both, sizeof both);
	/* Its own OS thread from now on, with that mask (sched/kprops.c);
	 * the whole mask again on a thread that never had another one
	 * changes nothing. */
	if (mn_kprops_is_default(KP_AFFINITY, &both) && !((gp->kapplied | gp->kpending) & KP_AFFINITY))
		return 0;
	return mn_kprops_set(gp, KP_AFFINITY);
}
