/* sched/preempt.c: asynchronous preemption (Go's asyncPreempt, with a C
 * program's safe points).
 *
 * sysmon (sysmon.c) asks a G that has held its P for a quantum while
 * other work waits to yield: it sends the preemption signal (SIGURG unless
 * MN_DEBUG=preemptsig says otherwise) to the G's M with
 * rt_tgsigqueueinfo, tagged with a cookie and the P's schedtick, so the
 * handler tells our requests from the program's own uses of the signal
 * and from a request that is stale (the G it meant has already gone).
 *
 * The handler (on the M's sigaltstack) switches the G out only at a safe
 * point, and otherwise returns at once (sysmon asks again next tick):
 *  - the interrupted instruction is the program's own code, not libc,
 *    ld.so, libgcc_s, libstdc++, libunwind or mnthread, which may hold
 *    locks of their own or of ours (the code map, below; an address in no
 *    known module, JIT code, is not a safe point);
 *  - no frame between it and the G's entry is in those either (a program
 *    callback run by qsort, dl_iterate_phdr, a C++ unwinder or a signal
 *    handler's trampoline is not a safe point): the signal context is
 *    unwound with libunwind; only the outermost run of frames, the G's
 *    entry (mn_gentry) or main's (__libc_start_main, then _start), may be
 *    ours or libc's.  A walk that fails or does not reach such an end is
 *    not a safe point;
 *  - the G is running on this M with a P, is not in a no-preemption
 *    section (g->nopreempt) and does not block the signal in its mask;
 *  - its stack has room for the saved state.
 * The common case costs no unwinding: an address inside a forbidden module
 * (the G spinning inside malloc) is refused with one binary search.
 *
 * The switch: the handler edits the signal context so that sigreturn
 * "calls" mn_arch_preempt (arch/x86_64/preempt.S) on the G's own stack,
 * below the red zone; it saves the flags, every register and the extended
 * state, and calls mn_preempt_entry, which yields the G (PEND_PREEMPT:
 * the G goes to the global queue, as in Go, and its slice ends); when the
 * G runs again, on any M, the trampoline restores everything and resumes
 * it at the interrupted instruction.
 *
 * libunwind is opened with dlopen(RTLD_LOCAL | RTLD_DEEPBIND): its own
 * _Unwind_* must not replace libgcc_s's for the program's C++
 * exceptions, and its internal locks must be glibc's pthread_mutex_lock,
 * not our interposed one (which could park a G inside a signal handler).
 * Its global cache is on (it halves a walk's cost, about 15 us instead of
 * 40 here): libunwind takes its lock with every signal blocked, so a
 * handler never finds its own thread holding it (the per-thread cache
 * would use dynamic TLS, which may allocate).  A program that loaded libunwind itself shares it with
 * us, its calls bound to our interposers (tcmalloc links it): the walk
 * runs with the thread marked as no G (mn_tls_in_walk), so a lock it takes
 * waits in the kernel, not by parking, and the signal mask it sets around
 * its locks is the kernel's, not the G's.  Without it (not installed) preemption is off and
 * MN_DEBUG says so once.
 *
 * No extra EINTR: sysmon signals only an M whose thread CPU clock
 * advances (not blocked in the kernel), the handler has SA_RESTART, and a
 * wrapped blocking call that still fails with EINTR because of us
 * (poll, epoll_wait, select, sleeps: mn_preempt_eintr) is made again with
 * the time left.
 */
#include "preempt.h"
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <ucontext.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include "env.h"
#include "gsig.h"
#include "syscall.h"
#include "proc.h"
#include "cancel.h"
#include "dump.h"
#include "signal.h"
#include "tcb.h"
#include "throw.h"
#include "sys.h"

/* si_value of our requests: the cookie in the high half, the schedtick
 * the request is for in the low half. */
#define PREEMPT_COOKIE 0x6d6e5052ULL /* "mnPR" */
/* The same for a ring: a signal is pending for the G (gsig.c). */
#define RING_COOKIE 0x6d6e5347ULL /* "mnSG" */
/* Frames walked before giving up (a deeper stack is not preempted). */
#define MAX_FRAMES 256
/* Room below the saved state for mn_preempt_entry's frames (the yield
 * path through gswitch). */
#define ENTRY_STACK_NEED 8192

_Atomic uint64_t mn_preempt_count;
_Atomic uint64_t mn_preempt_sent;
static int sig;         /* the preemption signal; 0: preemption is off */
static _Atomic bool ready; /* libunwind and the code map are loaded */
/* Our handler is installed: rings (signals for a G, gsig.c) work, also
 * where preemption does not (MN_DEBUG=asyncpreemptoff=1, no libunwind). */
static _Atomic bool rings;
static long self_pid;

/* ---------------------------------------------------------------- code map */
/* The executable ranges of every loaded module, sorted, each marked as the
 * program's (CODE_APP) or one that is never a safe point (CODE_RUNTIME).
 * Built by sysmon (dl_iterate_phdr); read by handlers through an atomic
 * pointer.  A replaced map is freed only when 8 newer ones exist (a
 * handler reads one for microseconds; maps change only with dlopen). */
enum { CODE_UNKNOWN, CODE_APP, CODE_RUNTIME };
struct coderange {
	uintptr_t lo, hi;
	int kind;
};
struct codemap {
	int n;
	unsigned long long adds, subs;
	struct coderange r[];
};
static struct codemap *_Atomic codemap;
static _Atomic bool codemap_stale;
#define CODEMAP_KEEP 8
static struct codemap *retired[CODEMAP_KEEP];
static int nretired;
static uintptr_t entry_lo, entry_hi; /* the executable's _start */
static _Atomic uintptr_t self_lo, self_hi; /* this library's code */

/* Libraries whose code is never a safe point: they take locks a preempted
 * G would keep (malloc's, stdio's, the loader's, the unwinders'), or are
 * the runtime itself (found by address). */
static const char *const runtime_libs[] = {
	"libc.so", "ld-linux", "libgcc_s.so", "libstdc++.so", "libunwind", "liblzma.so",
	"libpthread.so", "libdl.so", "linux-vdso", "linux-gate",
};

static bool is_runtime_lib(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof runtime_libs / sizeof runtime_libs[0]; i++)
		if (strncmp(base, runtime_libs[i], strlen(runtime_libs[i])) == 0)
			return true;
	return false;
}

struct build {
	struct codemap *m;
	int cap;
};

static int build_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct build *b = arg;
	uintptr_t self = (uintptr_t)&mn_preempt_entry;
	int kind = info->dlpi_name && is_runtime_lib(info->dlpi_name) ? CODE_RUNTIME : CODE_APP;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (self >= lo && self < hi) {
			kind = CODE_RUNTIME;
			/* relaxed: read by handlers as a hint; set before ready */
			atomic_store_explicit(&self_lo, lo, memory_order_relaxed);
			atomic_store_explicit(&self_hi, hi, memory_order_relaxed);
		}
	}
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		if (b->m->n == b->cap)
			return 1;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		b->m->r[b->m->n++] = (struct coderange){ lo, lo + ph->p_memsz, kind };
	}
	b->m->adds = info->dlpi_adds;
	b->m->subs = info->dlpi_subs;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct coderange *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int count_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	int *n = arg;
	*n += info->dlpi_phnum;
	return 0;
}

static void codemap_build(void)
{
	int cap = 0;
	dl_iterate_phdr(count_cb, &cap);
	cap += 16;
	struct build b = { calloc(1, sizeof(struct codemap) + (size_t)cap * sizeof(struct coderange)), cap };
	if (!b.m)
		return;
	dl_iterate_phdr(build_cb, &b);
	qsort(b.m->r, (size_t)b.m->n, sizeof b.m->r[0], range_cmp);
	/* release: the filled map before its pointer; pairs with the handlers' acquire */
	struct codemap *old = atomic_exchange_explicit(&codemap, b.m, memory_order_acq_rel);
	if (old) {
		int i = nretired++ % CODEMAP_KEEP;
		free(retired[i]);
		retired[i] = old;
	}
}

static int lookup(const struct codemap *m, uintptr_t pc)
{
	int lo = 0, hi = m->n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (pc < m->r[mid].lo)
			hi = mid - 1;
		else if (pc >= m->r[mid].hi)
			lo = mid + 1;
		else
			return m->r[mid].kind;
	}
	return CODE_UNKNOWN;
}

/* Is the map still that of the loaded modules?  dl_iterate_phdr reports
 * the loader's counts of loads and unloads. */
static int counts_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	unsigned long long *c = arg;
	c[0] = info->dlpi_adds;
	c[1] = info->dlpi_subs;
	return 1;
}

/* ---------------------------------------------------------------- libunwind */
static struct {
	int (*init_local2)(unw_cursor_t *, unw_context_t *, int);
	int (*step)(unw_cursor_t *);
	int (*get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
} uw;

static bool load_libunwind(void)
{
	struct link_map *before = mn_tcb_last_object();
	void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
	if (!h)
		return false;
	mn_tcb_adopt_own(before);
	uw.init_local2 = (int (*)(unw_cursor_t *, unw_context_t *, int))dlsym(h, "_ULx86_64_init_local2");
	uw.step = (int (*)(unw_cursor_t *))dlsym(h, "_ULx86_64_step");
	uw.get_reg = (int (*)(unw_cursor_t *, unw_regnum_t, unw_word_t *))dlsym(h, "_ULx86_64_get_reg");
	int (*set_caching)(unw_addr_space_t, unw_caching_policy_t) =
		(int (*)(unw_addr_space_t, unw_caching_policy_t))dlsym(h, "_ULx86_64_set_caching_policy");
	unw_addr_space_t *as = dlsym(h, "_ULx86_64_local_addr_space");
	int (*getcontext)(unw_context_t *) = (int (*)(unw_context_t *))dlsym(h, "_Ux86_64_getcontext");
	if (!uw.init_local2 || !uw.step || !uw.get_reg || !set_caching || !as || !getcontext)
		return false;
	set_caching(*as, UNW_CACHE_GLOBAL);
	/* One walk here, outside any handler: libunwind initialises itself
	 * (under a lock) on its first use. */
	unw_context_t ctx;
	unw_cursor_t c;
	mn_tls_in_walk = true; /* as in the handler (runtime.h) */
	getcontext(&ctx);
	if (uw.init_local2(&c, &ctx, 0) == 0)
		uw.step(&c);
	mn_tls_in_walk = false;
	return true;
}

/* ---------------------------------------------------------------- the handler */

/* Is every frame of the interrupted context a safe one?  See the essay. */
static bool walk_safe(ucontext_t *uc, const struct codemap *map)
{
	unw_cursor_t c;
	if (uw.init_local2(&c, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME) < 0)
		return false;
	bool tail = false; /* inside the outermost run of runtime frames */
	for (int i = 0; i < MAX_FRAMES; i++) {
		unw_word_t ip;
		if (uw.get_reg(&c, UNW_REG_IP, &ip) < 0)
			return false;
		/* A return address points after its call: look up the call. */
		uintptr_t pc = i == 0 ? (uintptr_t)ip : (uintptr_t)ip - 1;
		int kind = lookup(map, pc);
		if (kind == CODE_UNKNOWN)
			return false;
		if (kind == CODE_RUNTIME)
			tail = true;
		else if (tail && !(pc >= entry_lo && pc < entry_hi))
			return false; /* program code called from a runtime frame */
		int r = uw.step(&c);
		if (r == 0)
			return tail;
		if (r < 0)
			return false;
	}
	return false;
}

/* PREEMPT_NOT_NOW: at an unsafe instruction (cheap to find out: worth a
 * quick retry); PREEMPT_UNSAFE_CHAIN: in program code that a runtime frame
 * called (found by a walk, which costs ~15 us: sysmon asks again next
 * tick, no sooner). */
enum { PREEMPT_DONE, PREEMPT_NOT_NOW, PREEMPT_UNSAFE_CHAIN, PREEMPT_STALE };

static int try_preempt(ucontext_t *uc, struct m *mp, uint32_t tick)
{
	greg_t *gr = uc->uc_mcontext.gregs;
	uintptr_t pc = (uintptr_t)gr[REG_RIP], sp = (uintptr_t)gr[REG_RSP];
	struct g *gp = mp->curg;
	if (gp == NULL || mp->p == NULL || mp->p->schedtick != tick)
		return PREEMPT_STALE;
	/* acquire: pairs with codemap_build's exchange */
	const struct codemap *map = atomic_load_explicit(&codemap, memory_order_acquire);
	int kind = lookup(map, pc);
	if (kind != CODE_APP) {
		if (kind == CODE_UNKNOWN)
			/* relaxed: a hint for sysmon */
			atomic_store_explicit(&codemap_stale, true, memory_order_relaxed);
		return PREEMPT_NOT_NOW;
	}
	/* Program code: the TCB is the G's (the switch is runtime code). */
	if (gp != mn_tls_g || gp->magic != G_MAGIC)
		return PREEMPT_NOT_NOW;
	/* relaxed: a running G's status is its M's */
	if (atomic_load_explicit(&gp->status, memory_order_relaxed) != G_RUNNING || gp->nopreempt)
		return PREEMPT_NOT_NOW;
	if (gp->sigmask & (1ULL << (sig - 1)))
		return PREEMPT_STALE; /* it blocks the signal: never */
	size_t need = arch_preempt_stack_need() + ENTRY_STACK_NEED;
	if (gp->stack.lo && (sp < gp->stack.lo || sp - gp->stack.lo < need))
		return PREEMPT_STALE;
	/* While libunwind runs, the interposers treat this thread as no G
	 * (mn_tls_in_walk, runtime.h). */
	mn_tls_in_walk = true;
	atomic_signal_fence(memory_order_seq_cst);
	bool safe = walk_safe(uc, map);
	atomic_signal_fence(memory_order_seq_cst);
	mn_tls_in_walk = false;
	if (!safe)
		return PREEMPT_UNSAFE_CHAIN;
	arch_preempt_redirect((uint64_t *)&gr[REG_RIP], (uint64_t *)&gr[REG_RSP]);
	return PREEMPT_DONE;
}

/* A request found the G at an unsafe point (inside malloc, say): ask again
 * in RETRY_NS on this M's timer, up to RETRY_MAX times, rather than wait
 * for sysmon's next tick (a loop that spends most of its time in libc
 * would otherwise be caught once in many ticks). */
#define RETRY_NS 20000
#define RETRY_MAX 100

static void retry_later(struct m *mp, uint32_t tick)
{
	if (mp->preempt_timer < 0 || mp->preempt_retries >= RETRY_MAX)
		return;
	mp->preempt_retries++;
	mp->preempt_tick = tick;
	struct itimerspec its = { { 0, 0 }, { 0, RETRY_NS } };
	mn_sys6(SYS_timer_settime, mp->preempt_timer, 0, (long)&its, 0, 0, 0);
}

/* Did the signal find the thread in a system call (blocked in the kernel,
 * now to be restarted: rip is back on the syscall instruction; or ended
 * with EINTR: just past it)?  Then it is not running code to preempt, and
 * asking again soon would only keep it busy in this handler. */
static bool in_syscall(const ucontext_t *uc)
{
	const greg_t *gr = uc->uc_mcontext.gregs;
	uintptr_t rip = (uintptr_t)gr[REG_RIP];
	if ((rip & 4095) <= 4094 && *(const uint16_t *)rip == 0x050f)
		return true;
	return gr[REG_RAX] == -EINTR && (rip & 4095) >= 2 && *(const uint16_t *)(rip - 2) == 0x050f;
}

static void preempt_request(ucontext_t *uc, uint32_t tick, bool retry)
{
	struct g *cur = mn_tls_g;
	struct m *mp = cur ? cur->m : NULL;
	if (mp == NULL || mp->self != mp)
		return;
	if (retry)
		tick = mp->preempt_tick;
	else
		mp->preempt_retries = 0;
	if (try_preempt(uc, mp, tick) == PREEMPT_NOT_NOW && !in_syscall(uc))
		retry_later(mp, tick);
}

/* The program's own use of the signal: on the thread it was meant for.
 * A signal raised by a G for itself (SI_TKILL from this process, on a G
 * that does not block it) runs there; any other (kill, the kernel) runs
 * on M0 as every process-directed signal does today, so it is sent on
 * there when it landed on another M (where the preemption signal is
 * unblocked only for us). */
static void app_signal(int s, siginfo_t *si, void *ucv)
{
	struct g *gp = mn_tls_g;
	struct m *mp = gp ? gp->m : NULL;
	bool here = mp == NULL || mp->id == 0;
	if (!here && si->si_code == SI_TKILL && si->si_pid == self_pid && !(gp->flags & G_G0) &&
	    !(gp->sigmask & (1ULL << (s - 1))))
		here = true;
	if (here) {
		mn_signal_app_run(s, si, ucv);
		return;
	}
	struct m *m0p = mn_sched.allm;
	while (m0p && m0p->id != 0)
		m0p = m0p->alllink;
	if (m0p == NULL) {
		mn_signal_app_run(s, si, ucv);
		return;
	}
	if (si->si_code < 0 && si->si_code != SI_TKILL)
		mn_sys6(SYS_rt_tgsigqueueinfo, self_pid, m0p->tid, s, (long)si, 0, 0);
	else
		mn_sys6(SYS_tgkill, self_pid, m0p->tid, s, 0, 0, 0);
}

/* A ring (mn_preempt_ring): the G running here has a signal to run the
 * handler of.  Unless it is inside this library (which may hold a lock
 * the handler's calls would need; sysmon rings again), redirect it
 * through the trampoline, which runs the handler on its stack
 * (mn_preempt_entry).  A system call the ring found it in says EINTR
 * then, unless the program's handler restarts it (SA_RESTART): ours has
 * SA_RESTART, so the kernel has set the call up to be made again. */
static void ring_request(ucontext_t *uc)
{
	struct g *gp = mn_tls_g;
	if (gp == NULL || gp->magic != G_MAGIC || (gp->flags & G_G0) || mn_tls_in_walk)
		return;
	struct m *mp = gp->m;
	if (mp == NULL || mp->self != mp || mp->curg != gp || gp->nopreempt || gp->sigring)
		return;
	uint64_t d = mn_gsig_deliverable(gp);
	/* relaxed: a running G's status is its M's */
	uint32_t st = atomic_load_explicit(&gp->status, memory_order_relaxed);
	/* Or a cancellation request for a G in a system call that glibc
	 * made cancellable (asynchronous for its duration, as SIGCANCEL's
	 * handler would see it): mn_preempt_entry acts on it. */
	bool cancel = st == G_SYSCALL && gp->tcb && mn_tcb_async_cancel_pending(gp->tcb);
	if ((d == 0 && !cancel) || (st != G_RUNNING && st != G_SYSCALL))
		return;
	greg_t *gr = uc->uc_mcontext.gregs;
	uintptr_t pc = (uintptr_t)gr[REG_RIP], sp = (uintptr_t)gr[REG_RSP];
	/* relaxed: set once before ready (acquired by the caller) */
	if (pc >= atomic_load_explicit(&self_lo, memory_order_relaxed) &&
	    pc < atomic_load_explicit(&self_hi, memory_order_relaxed))
		return;
	size_t need = arch_preempt_stack_need() + ENTRY_STACK_NEED;
	if (gp->stack.lo && (sp < gp->stack.lo || sp - gp->stack.lo < need))
		return;
	if ((pc & 4095) <= 4094 && *(const uint16_t *)pc == 0x050f && d &&
	    !mn_gsig_restarts(__builtin_ctzll(d) + 1)) {
		/* Through the pointer type arch_preempt_redirect reads them
		 * with (greg_t is long long, uint64_t is not: no aliasing). */
		*(uint64_t *)&gr[REG_RAX] = (uint64_t)-EINTR;
		*(uint64_t *)&gr[REG_RIP] = pc + 2;
	}
	gp->sigring = true;
	arch_preempt_redirect((uint64_t *)&gr[REG_RIP], (uint64_t *)&gr[REG_RSP]);
}

/* Our signal ended the interrupted system call with EINTR (rax says so
 * and rip is just past the syscall instruction): count it in the G, whose
 * wrapper makes the call again (shims/blocking.h).  Context: our handler. */
static void count_our_eintr(void *ucv)
{
	greg_t *gr = ((ucontext_t *)ucv)->uc_mcontext.gregs;
	uintptr_t rip = (uintptr_t)gr[REG_RIP];
	struct g *gp = mn_tls_g;
	if (gr[REG_RAX] == -EINTR && (rip & 4095) >= 2 && *(const uint16_t *)(rip - 2) == 0x050f && gp &&
	    gp->magic == G_MAGIC)
		gp->preempt_intr++;
}

static void handler(int s, siginfo_t *si, void *ucv)
{
	int saved_errno = errno;
	uint64_t v = (uint64_t)(uintptr_t)si->si_value.sival_ptr;
	bool queued = si->si_code == SI_QUEUE && si->si_pid == self_pid;
	if (queued && (v >> 32) == RING_COOKIE) {
		/* acquire: our range is known before anyone rings */
		if (atomic_load_explicit(&rings, memory_order_acquire))
			ring_request(ucv);
	} else if (queued && (v >> 32) == DUMP_BT_COOKIE) {
		/* A thread dump wants the backtrace of the G running here
		 * (dump.c).  A wait it ended with EINTR is ours, as below. */
		count_our_eintr(ucv);
		mn_dump_answer(ucv, (uint32_t)v);
	} else if (si->si_code == SI_QUEUE && (v >> 32) == DUMP_REQ_COOKIE &&
		   si->si_uid == (uid_t)mn_sys6(SYS_getuid, 0, 0, 0, 0, 0, 0)) {
		/* mnrun --dump (scripts/mndump.c): sysmon writes the dump to
		 * the sender's FIFO.  The program's handler never sees these. */
		mn_dump_post(si->si_pid, v & 1);
	} else if ((queued || si->si_code == SI_TIMER) && (v >> 32) == PREEMPT_COOKIE) {
		/* Did we end a system call with EINTR (one SA_RESTART does not
		 * restart: poll, epoll_wait, nanosleep, ...)?  Then rax says so
		 * and rip is just past the syscall instruction.  The wrappers
		 * of such calls make them again (shims/blocking.h). */
		count_our_eintr(ucv);
		/* acquire: libunwind and the map are loaded before sysmon sends */
		if (atomic_load_explicit(&ready, memory_order_acquire))
			preempt_request(ucv, (uint32_t)v, !queued);
	} else {
		app_signal(s, si, ucv);
	}
	errno = saved_errno;
}

/* Called by mn_arch_preempt on the G's stack, every register saved. */
void mn_preempt_entry(void)
{
	int saved_errno = errno;
	/* relaxed: a statistic */
	atomic_fetch_add_explicit(&mn_preempt_count, 1, memory_order_relaxed);
	/* Asynchronous cancellation (pthread_cancel of a running G that set
	 * PTHREAD_CANCEL_ASYNCHRONOUS): act on it here, unwinding through
	 * the trampoline's frame into the interrupted code's cleanups. */
	struct g *gp = mn_getg();
	bool ring = gp->sigring;
	gp->sigring = false;
	if (mn_tcb_self_cancel_pending() && mn_tcb_self_async_cancel())
		mn_cancel_act();
	if (ring) {
		/* A ring: run the handlers here, then go on (a G in a system
		 * call leaves it for that: a handler may park). */
		/* relaxed: the G's own status */
		bool sys = atomic_load_explicit(&gp->status, memory_order_relaxed) == G_SYSCALL;
		const char *why = gp->waitreason; /* the call's, for dumps */
		if (sys)
			mn_exitsyscall();
		mn_gsig_deliver();
		if (sys) {
			gp->waitreason = why;
			mn_entersyscall();
		}
		errno = saved_errno;
		return;
	}
	mn_gpreempt();
	if (mn_gsig_deliverable(gp))
		mn_gsig_deliver();
	errno = saved_errno;
}

void mn_preempt_ring(struct g *gp)
{
	struct m *mp = *(struct m *volatile *)&gp->m;
	if (mp == NULL || *(struct g *volatile *)&mp->curg != gp ||
	    !atomic_load_explicit(&rings, memory_order_relaxed) || (gp->sigmask & (1ULL << (sig - 1))))
		return;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = (pid_t)self_pid;
	si.si_uid = (uid_t)mn_sys6(SYS_getuid, 0, 0, 0, 0, 0, 0);
	si.si_value.sival_ptr = (void *)(uintptr_t)(RING_COOKIE << 32);
	mn_sys6(SYS_rt_tgsigqueueinfo, self_pid, mp->tid, sig, (long)&si, 0, 0);
}

/* ---------------------------------------------------------------- sysmon's side */

static bool load(void);

int mn_preempt_signal(void) { return sig; }

/* acquire: the handler is installed before it is set (pairs with mn_preempt_init's release) */
bool mn_preempt_handler_on(void) { return atomic_load_explicit(&rings, memory_order_acquire); }

void mn_preempt_init(void)
{
	self_pid = mn_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0);
	mn_dump_init(); /* backtraces for thread dumps, also without preemption */
	/* relaxed: a fork child finds the parent's libunwind and map */
	if (!atomic_load_explicit(&rings, memory_order_relaxed)) {
		/* Preemption needs libunwind; rings need only our handler and
		 * our code's range (the map). */
		if (mn_env.asyncpreemptoff || !load()) {
			codemap_build();
			entry_lo = entry_hi = 0;
		}
		/* release: the map before a handler acts on a ring */
		atomic_store_explicit(&rings, true, memory_order_release);
	}
	sig = mn_env.preempt_sig;
	mn_signal_preempt(sig, handler);
	/* The Ms that exist already (M0) get their retry timers; later ones
	 * at their start. */
	mn_lock(&mn_sched.lock);
	for (struct m *mp = mn_sched.allm; mp; mp = mp->alllink)
		/* relaxed: dead is written under sched.lock, which we hold */
		if (mp->preempt_timer < 0 && !atomic_load_explicit(&mp->dead, memory_order_relaxed))
			mn_preempt_minit(mp);
	mn_unlock(&mn_sched.lock);
}

void mn_preempt_minit(struct m *mp)
{
	mp->preempt_timer = -1;
	/* relaxed: set before sig, which the caller read */
	if (!sig || !atomic_load_explicit(&ready, memory_order_relaxed))
		return;
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = sig;
	sev._sigev_un._tid = mp->tid;
	sev.sigev_value.sival_ptr = (void *)(uintptr_t)(PREEMPT_COOKIE << 32);
	int id;
	if (mn_sys6(SYS_timer_create, CLOCK_MONOTONIC, (long)&sev, (long)&id, 0, 0, 0) == 0)
		mp->preempt_timer = id;
}

void mn_preempt_fork_child(void)
{
	self_pid = mn_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0);
	/* POSIX timers are not inherited: the forking M makes its own. */
	struct g *gp = mn_tls_g;
	if (gp && gp->m)
		mn_preempt_minit(gp->m);
}

/* libunwind and the code map, loaded by the thread that starts sysmon
 * (the program's first pthread_create), not by sysmon: a dlopen running
 * on another thread while the program forks would leave the child a
 * half-loaded libunwind. */
static bool load(void)
{
	uintptr_t e = getauxval(AT_ENTRY);
	entry_lo = e;
	entry_hi = e + 256;
	if (!load_libunwind()) {
		const char *why = dlerror();
		mn_printf("mnthread: cannot load libunwind.so.8 (%s): threads are not preempted\n",
			  why ? why : "symbols missing");
		return false;
	}
	codemap_build();
	/* release: the map and libunwind before a handler acts on a request */
	atomic_store_explicit(&ready, true, memory_order_release);
	return true;
}

void mn_preempt_sysmon_tick(void)
{
	if (!atomic_load_explicit(&ready, memory_order_relaxed))
		return;
	unsigned long long c[2] = { 0, 0 };
	dl_iterate_phdr(counts_cb, c);
	/* relaxed: the map pointer and this flag are only hints to rebuild */
	const struct codemap *m = atomic_load_explicit(&codemap, memory_order_relaxed);
	if (atomic_exchange_explicit(&codemap_stale, false, memory_order_relaxed) || !m || m->adds != c[0] ||
	    m->subs != c[1])
		codemap_build();
}

void mn_preempt_kick(struct g *gp)
{
	/* Racy reads: at worst the request is stale and refused, and sysmon
	 * sends another next tick (look_running). */
	struct m *mp = *(struct m *volatile *)&gp->m;
	if (mp == NULL || *(struct g *volatile *)&mp->curg != gp)
		return;
	struct p *pp = *(struct p *volatile *)&mp->p;
	if (pp && sig && !(gp->sigmask & (1ULL << (sig - 1))))
		mn_preempt_send(mp, *(volatile uint32_t *)&pp->schedtick);
}

bool mn_preempt_send(struct m *mp, uint32_t tick)
{
	if (!atomic_load_explicit(&ready, memory_order_relaxed) || mp == NULL)
		return false;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = (pid_t)self_pid;
	si.si_uid = (uid_t)mn_sys6(SYS_getuid, 0, 0, 0, 0, 0, 0);
	si.si_value.sival_ptr = (void *)(uintptr_t)((PREEMPT_COOKIE << 32) | tick);
	/* relaxed: a statistic */
	atomic_fetch_add_explicit(&mn_preempt_sent, 1, memory_order_relaxed);
	return mn_sys6(SYS_rt_tgsigqueueinfo, self_pid, mp->tid, sig, (long)&si, 0, 0) == 0;
}
