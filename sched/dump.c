/* sched/dump.c: seeing inside the runtime.
 *
 * A thread dump (mn_dump_all) lists every G: its id, the id gettid gives
 * it, its name, its status, what it waits for and for how long, its M,
 * and a symbolised backtrace.  Three steps, each bounded:
 *  1. copy what is needed of each G (and main, which is not on allgs)
 *     into a static table under the allg lock: a few loads a G, no
 *     allocation, no other lock (never sched.lock);
 *  2. unwind each: a G suspended in mn_arch_switch (waiting, runnable)
 *     from its saved frame (struct gctx: the switch pushed rbp, rbx,
 *     r12-r15 and the return address below ctx.sp), rebuilt as a
 *     libunwind context; a G running or in a system call on another M by
 *     a request to that M: the preemption signal tagged DUMP_BT_COOKIE,
 *     whose handler (mn_dump_answer) unwinds its own signal context into
 *     the one request slot and posts back; the dumper waits up to
 *     BT_WAIT_NS, then lists it "no backtrace".  A G that moved meanwhile
 *     (resumed, parked again: its saved frame or waitsince changed) is
 *     listed without one too, rather than with a stack that is not its;
 *  3. symbolise (libunwind's get_proc_name reads the ELF symbol tables,
 *     static functions included; dladdr names the module) and print,
 *     through a 4 KiB buffer and raw write(2).
 * The dump runs on the caller's thread: sysmon for the requests from
 * outside (mn_dump_post: mnrun --dump, MN_DEBUG=dumpsig), which a signal
 * handler only posts (it may have interrupted the holder of any lock);
 * mn_dump_all itself for the runtime's own callers.
 *
 * Requests from outside: mndump (scripts/mndump.c, run by mnrun --dump)
 * makes a FIFO $TMPDIR/mnthread-dump.PID.SENDER and sigqueues the
 * preemption signal to the process with DUMP_REQ_COOKIE; the handler
 * (preempt.c) takes those values from a process of the same user and no
 * other: the program's own handler of that signal sees every other
 * signal as before.  sysmon opens the FIFO (waiting up to a second for
 * the reader), checks it is a FIFO of ours, and writes the dump.
 *
 * Rejected: formatting the reason at park time ("netpoll fd 7"): a
 * store of a constant and of the fd cost less than any formatting; the
 * dump formats.  A clock read per park: one counter read (mn_cputick,
 * the one the switch already uses) is converted to ns when read.
 */
#include "dump.h"
#include "tcb.h"
#include <dlfcn.h>
#include <stdio.h>
#include <sys/uio.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <ucontext.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include "cputime.h"
#include "env.h"
#include "gfree.h"
#include "preempt.h"
#include "sysmon.h"
#include "throw.h"
#include "sys.h"

_Atomic int64_t mn_stat_peakg;
_Atomic uint64_t mn_stat_created_nop;

/* Frames per backtrace: deeper stacks are cut (and say so). */
#define DUMP_FRAMES 64
/* Gs listed: a bigger process is cut, with the number left out (the
 * table is static: 4096 * ~100 bytes of bss, touched only by a dump). */
#define DUMP_MAX_G 4096
/* How long a running G's M has to answer a backtrace request: far more
 * than a handler's walk (~15 us) even on a loaded machine. */
#define BT_WAIT_NS 200000000
/* How long sysmon waits for mndump to open its FIFO. */
#define FIFO_WAIT_NS 1000000000

/* ---------------------------------------------------------------- libunwind */
static struct {
	int (*init_local2)(unw_cursor_t *, unw_context_t *, int);
	int (*step)(unw_cursor_t *);
	int (*get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
	int (*get_proc_name)(unw_cursor_t *, char *, size_t, unw_word_t *);
	int (*getcontext)(unw_context_t *);
} uw;
static _Atomic bool uw_ready;

void mn_dump_init(void)
{
	/* relaxed: set once by the thread that starts sysmon */
	if (atomic_load_explicit(&uw_ready, memory_order_relaxed))
		return;
	/* As preempt.c: private, its own calls bound to libc, not to us. */
	struct link_map *before = mn_tcb_last_object();
	void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
	if (!h)
		return;
	mn_tcb_adopt_own(before);
	uw.init_local2 = (int (*)(unw_cursor_t *, unw_context_t *, int))dlsym(h, "_ULx86_64_init_local2");
	uw.step = (int (*)(unw_cursor_t *))dlsym(h, "_ULx86_64_step");
	uw.get_reg = (int (*)(unw_cursor_t *, unw_regnum_t, unw_word_t *))dlsym(h, "_ULx86_64_get_reg");
	uw.get_proc_name = (int (*)(unw_cursor_t *, char *, size_t, unw_word_t *))dlsym(h, "_ULx86_64_get_proc_name");
	uw.getcontext = (int (*)(unw_context_t *))dlsym(h, "_Ux86_64_getcontext");
	if (uw.init_local2 && uw.step && uw.get_reg && uw.get_proc_name && uw.getcontext)
		/* release: the pointers before the flag; pairs with the loads in have_uw */
		atomic_store_explicit(&uw_ready, true, memory_order_release);
}

static bool have_uw(void)
{
	/* acquire: pairs with mn_dump_init's release */
	return atomic_load_explicit(&uw_ready, memory_order_acquire);
}

/* Walk from uc into pcs (at most max); the count.  flags: libunwind's
 * (UNW_INIT_SIGNAL_FRAME for a signal context).  The thread is marked as
 * no G meanwhile (runtime.h: mn_tls_in_walk). */
static int walk(ucontext_t *uc, int flags, uintptr_t *pcs, int max)
{
	unw_cursor_t c;
	int n = 0;
	bool was = mn_tls_in_walk;
	mn_tls_in_walk = true;
	atomic_signal_fence(memory_order_seq_cst);
	if (uw.init_local2(&c, (unw_context_t *)uc, flags) >= 0) {
		while (n < max) {
			unw_word_t ip;
			if (uw.get_reg(&c, UNW_REG_IP, &ip) < 0 || ip == 0)
				break;
			pcs[n++] = (uintptr_t)ip;
			if (uw.step(&c) <= 0)
				break;
		}
	}
	atomic_signal_fence(memory_order_seq_cst);
	mn_tls_in_walk = was;
	return n;
}

/* The name of the function holding pc (a return address unless first):
 * into buf, with the offset; false when unknown. */
static bool symbolise(uintptr_t pc, bool first, char *buf, size_t n, uintptr_t *off)
{
	ucontext_t uc;
	unw_cursor_t c;
	unw_word_t o = 0;
	uintptr_t at = first ? pc : pc - 1; /* a return address: look up the call */
	memset(&uc, 0, sizeof uc);
	uc.uc_mcontext.gregs[REG_RIP] = (greg_t)at;
	uc.uc_mcontext.gregs[REG_RSP] = (greg_t)(uintptr_t)&uc;
	buf[0] = '\0';
	bool was = mn_tls_in_walk;
	mn_tls_in_walk = true;
	bool ok = uw.init_local2(&c, (unw_context_t *)&uc, UNW_INIT_SIGNAL_FRAME) >= 0 &&
		  uw.get_proc_name(&c, buf, n, &o) == 0;
	mn_tls_in_walk = was;
	*off = (uintptr_t)o + (at != pc);
	return ok && buf[0];
}

static const char *module_of(uintptr_t pc, bool first)
{
	Dl_info info;
	if (!dladdr((void *)(first ? pc : pc - 1), &info) || !info.dli_fname || !info.dli_fname[0])
		return NULL;
	const char *base = strrchr(info.dli_fname, '/');
	return base ? base + 1 : info.dli_fname;
}

/* ---------------------------------------------------------------- backtrace requests */
/* One request at a time (dumps are serialised): the dumper arms seq, the
 * handler takes it by CAS (so a late answer never writes into the next
 * request), fills pcs/n and posts done. */
static struct {
	_Atomic uint32_t seq;  /* the request open, 0 none */
	_Atomic uint32_t done; /* the request answered */
	struct g *g;           /* the G it is for */
	int n;                 /* frames, -1: that G was not running there */
	uintptr_t pcs[DUMP_FRAMES];
} bt;
static uint32_t btseq;

void mn_dump_answer(void *ucv, uint32_t req)
{
	uint32_t want = req;
	/* acquire: pairs with the dumper's release arming (bt.g) */
	if (req == 0 || !atomic_compare_exchange_strong_explicit(&bt.seq, &want, 0, memory_order_acquire,
								 memory_order_relaxed))
		return;
	struct g *gp = mn_tls_g;
	if (gp != bt.g || gp == NULL || gp->magic != G_MAGIC || (gp->flags & G_G0) || !have_uw())
		bt.n = -1;
	else
		bt.n = walk(ucv, UNW_INIT_SIGNAL_FRAME, bt.pcs, DUMP_FRAMES);
	/* release: pcs and n before done; pairs with the dumper's acquire */
	atomic_store_explicit(&bt.done, req, memory_order_release);
}

static void nap(long ns)
{
	struct timespec ts = { 0, ns };
	mn_sys6(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0);
}

static long self_pid(void) { return mn_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0); }

/* Ask mp for gp's backtrace; the frames, or -1 (no answer, or gp was no
 * longer there). */
static int bt_request(struct g *gp, struct m *mp)
{
	int sig = mn_preempt_signal();
	if (!sig || !mn_preempt_handler_on() || mp == NULL || mp->self != mp)
		return -1;
	uint32_t s = ++btseq;
	if (s == 0)
		s = ++btseq;
	bt.g = gp;
	bt.n = -1;
	/* release: bt.g before the request opens; pairs with mn_dump_answer's CAS */
	atomic_store_explicit(&bt.seq, s, memory_order_release);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = (pid_t)self_pid();
	si.si_uid = (uid_t)mn_sys6(SYS_getuid, 0, 0, 0, 0, 0, 0);
	si.si_value.sival_ptr = (void *)(uintptr_t)((DUMP_BT_COOKIE << 32) | s);
	if (mn_sys6(SYS_rt_tgsigqueueinfo, si.si_pid, mp->tid, sig, (long)&si, 0, 0) != 0) {
		atomic_store_explicit(&bt.seq, 0, memory_order_relaxed);
		return -1;
	}
	int64_t end = mn_nanotime() + BT_WAIT_NS;
	for (;;) {
		/* acquire: pairs with the handler's release of done */
		if (atomic_load_explicit(&bt.done, memory_order_acquire) == s)
			return bt.n;
		if (mn_nanotime() >= end) {
			uint32_t w = s;
			/* relaxed: withdraw the request unless a handler took it */
			if (atomic_compare_exchange_strong_explicit(&bt.seq, &w, 0, memory_order_relaxed,
								    memory_order_relaxed))
				return -1;
			end += BT_WAIT_NS; /* taken: its walk is under way */
		}
		nap(50000);
	}
}

/* ---------------------------------------------------------------- output */
struct out {
	int fd;
	int n;
	char buf[4096];
};

static void flush(struct out *o)
{
	const char *p = o->buf;
	while (o->n > 0) {
		long w = mn_sys3(SYS_write, o->fd, p, o->n);
		if (w == -EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		o->n -= (int)w;
	}
	o->n = 0;
}

static void puts_(struct out *o, const char *s)
{
	for (; *s; s++) {
		if (o->n == (int)sizeof o->buf)
			flush(o);
		o->buf[o->n++] = *s;
	}
}

#define OUTF(o, ...)                                                           \
	do {                                                                   \
		char line_[512];                                               \
		mn_snprintf(line_, sizeof line_, __VA_ARGS__);                 \
		puts_((o), line_);                                             \
	} while (0)

/* s as a JSON string's contents (up to max bytes of it). */
static void put_json(struct out *o, const char *s, size_t max)
{
	char e[8];
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			e[2] = 0;
		} else if (c < 0x20 || c == 0x7f) {
			mn_snprintf(e, sizeof e, "\\u00%c%c", "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]);
		} else {
			e[0] = (char)c;
			e[1] = 0;
		}
		puts_(o, e);
	}
}

/* ---------------------------------------------------------------- the snapshot */
struct snap {
	struct g *gp;
	struct m *m;       /* running or in a system call: its M */
	uint64_t goid;
	uint64_t since;    /* waitsince */
	uint64_t sigwaiting;
	uintptr_t sp;      /* ctx.sp when suspended */
	const char *reason;
	uint32_t status;
	int tid;
	int waitfd;
	int mid;
	bool main;
	char name[16];
};
static struct snap snaps[DUMP_MAX_G];

static void take(struct snap *s, struct g *gp, bool main)
{
	s->gp = gp;
	s->main = main;
	/* acquire: a live G's fields before its status (as gsig.c's walk) */
	s->status = atomic_load_explicit(&gp->status, memory_order_acquire);
	s->goid = gp->goid;
	s->tid = main ? (int)self_pid() : gp->fake_tid;
	s->reason = *(const char *volatile *)&gp->waitreason;
	s->since = *(volatile uint64_t *)&gp->waitsince;
	s->waitfd = *(volatile int *)&gp->waitfd;
	s->sigwaiting = *(volatile uint64_t *)&gp->sigwaiting;
	s->sp = *(volatile uintptr_t *)&gp->ctx.sp;
	s->m = s->status == G_RUNNING || s->status == G_SYSCALL ? *(struct m *volatile *)&gp->m : NULL;
	s->mid = s->m ? s->m->id : -1;
	memcpy(s->name, gp->name, sizeof s->name);
	s->name[15] = 0;
}

/* Copy the live Gs (main first); the number copied, *more those left. */
static int snapshot(int *more)
{
	int n = 0;
	*more = 0;
	struct g *mg = mn_sched.maing;
	if (mg && atomic_load_explicit(&mg->status, memory_order_acquire) != G_DEAD)
		take(&snaps[n++], mg, true);
	mn_allg_lock();
	for (struct g *gp = mn_allg_first(); gp; gp = gp->allnext) {
		/* acquire: as in take */
		uint32_t st = atomic_load_explicit(&gp->status, memory_order_acquire);
		if (st == G_IDLE || st == G_DEAD || gp == mg)
			continue;
		if (n == DUMP_MAX_G) {
			(*more)++;
			continue;
		}
		take(&snaps[n++], gp, false);
	}
	mn_allg_unlock();
	return n;
}

static const char *status_name(uint32_t st)
{
	switch (st) {
	case G_IDLE: return "idle";
	case G_RUNNABLE: return "runnable";
	case G_RUNNING: return "running";
	case G_SYSCALL: return "syscall";
	case G_WAITING: return "waiting";
	case G_DEAD: return "dead";
	default: return "?";
	}
}

/* The system call named in a MN_BLOCKING call's text (shims/blocking.h):
 * real_NAME (the REAL() macro), SYS_NAME (a raw call), else the last
 * name before the first parenthesis (mn_glibc.mutex_lock(m)). */
static void call_name(const char *text, char *buf, size_t n)
{
	const char *p = strstr(text, "real_");
	size_t skip = 5;
	if (!p) {
		p = strstr(text, "SYS_");
		skip = 4;
	}
	if (p) {
		p += skip;
	} else {
		const char *paren = strchr(text, '(');
		const char *end = paren ? paren : text + strlen(text);
		p = end;
		while (p > text && (p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z') ||
				    (p[-1] >= '0' && p[-1] <= '9')))
			p--;
	}
	size_t i = 0;
	while (i + 1 < n && (p[i] == '_' || (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
			     (p[i] >= '0' && p[i] <= '9'))) {
		buf[i] = p[i];
		i++;
	}
	buf[i] = 0;
}

/* What s waits for, as the dump and scheddetail print it. */
static void reason_of(const struct snap *s, char *buf, size_t n)
{
	switch (s->status) {
	case G_RUNNING:
	case G_RUNNABLE:
		mn_snprintf(buf, n, "%s", status_name(s->status));
		return;
	case G_SYSCALL: {
		if (s->sigwaiting) {
			mn_snprintf(buf, n, "sigwait");
			return;
		}
		const char *r = s->reason;
		if (r && r[0] == '=') {
			char name[40];
			call_name(r + 1, name, sizeof name);
			mn_snprintf(buf, n, "syscall%s%s", name[0] ? " " : "", name);
		} else {
			mn_snprintf(buf, n, "%s", r ? r : "syscall");
		}
		return;
	}
	case G_WAITING:
		if (s->reason && strcmp(s->reason, "netpoll") == 0 && s->waitfd > 0)
			mn_snprintf(buf, n, "netpoll fd %d", s->waitfd - 1);
		else
			mn_snprintf(buf, n, "%s", s->reason ? s->reason : "?");
		return;
	default:
		mn_snprintf(buf, n, "%s", status_name(s->status));
	}
}

static long waited_ms(const struct snap *s, uint64_t now)
{
	if ((s->status != G_WAITING && s->status != G_SYSCALL) || s->since == 0 || now < s->since)
		return -1;
	return (long)(mn_cputime_ticks_ns(now - s->since) / 1000000);
}

/* The calling thread's process name (main's: the G's name may be empty). */
static void proc_comm(char *buf, size_t n)
{
	char path[64];
	mn_snprintf(path, sizeof path, "/proc/self/task/%ld/comm", self_pid());
	buf[0] = 0;
	long fd = mn_sys6(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return;
	long r = mn_sys3(SYS_read, fd, buf, n - 1);
	mn_sys3(SYS_close, fd, 0, 0);
	if (r < 0)
		r = 0;
	buf[r] = 0;
	if (r > 0 && buf[r - 1] == '\n')
		buf[r - 1] = 0;
}

/* ---------------------------------------------------------------- one thread */
static uintptr_t pcs[DUMP_FRAMES];

/* s's backtrace into pcs: the count, or -1 with *why set. */
static int backtrace_of(const struct snap *s, const char **why)
{
	struct g *self = mn_tls_g;
	if (!have_uw()) {
		*why = "no libunwind";
		return -1;
	}
	if (s->gp == self) {
		ucontext_t uc;
		uw.getcontext((unw_context_t *)&uc);
		return walk(&uc, 0, pcs, DUMP_FRAMES);
	}
	if (s->status == G_RUNNING || s->status == G_SYSCALL) {
		int n = bt_request(s->gp, s->m);
		if (n < 0) {
			*why = "no backtrace";
			return -1;
		}
		memcpy(pcs, bt.pcs, (size_t)n * sizeof pcs[0]);
		return n;
	}
	if ((s->status != G_WAITING && s->status != G_RUNNABLE) || s->sp == 0) {
		*why = "no backtrace";
		return -1;
	}
	/* The switch frame (arch/x86_64/switch.S): mxcsr, r15, r14, r13,
	 * r12, rbx, rbp, return address, from ctx.sp up. */
	const uint64_t *f = (const uint64_t *)s->sp;
	ucontext_t uc;
	memset(&uc, 0, sizeof uc);
	greg_t *gr = uc.uc_mcontext.gregs;
	gr[REG_R15] = (greg_t)f[1];
	gr[REG_R14] = (greg_t)f[2];
	gr[REG_R13] = (greg_t)f[3];
	gr[REG_R12] = (greg_t)f[4];
	gr[REG_RBX] = (greg_t)f[5];
	gr[REG_RBP] = (greg_t)f[6];
	gr[REG_RIP] = (greg_t)f[7];
	gr[REG_RSP] = (greg_t)(s->sp + 64);
	int n = walk(&uc, 0, pcs, DUMP_FRAMES);
	/* Still the same suspension? (It may have run meanwhile.) */
	/* acquire: as in take */
	if (atomic_load_explicit(&s->gp->status, memory_order_acquire) != s->status ||
	    *(volatile uintptr_t *)&s->gp->ctx.sp != s->sp ||
	    *(volatile uint64_t *)&s->gp->waitsince != s->since) {
		*why = "moved during the dump";
		return -1;
	}
	return n;
}

static void print_thread(struct out *o, const struct snap *s, bool json, bool firstg, uint64_t now,
			 const char *comm)
{
	char reason[64];
	reason_of(s, reason, sizeof reason);
	long ms = waited_ms(s, now);
	const char *name = s->name[0] ? s->name : s->main ? comm : "";
	const char *why = NULL;
	int n = backtrace_of(s, &why);
	if (json) {
		OUTF(o, "%s\n{\"id\":%llu,\"tid\":%d,\"name\":\"", firstg ? "" : ",", (unsigned long long)s->goid,
		     s->tid);
		put_json(o, name, 16);
		OUTF(o, "\",\"main\":%s,\"status\":\"%s\",\"wait\":\"", s->main ? "true" : "false",
		     status_name(s->status));
		put_json(o, reason, sizeof reason);
		OUTF(o, "\",\"wait_ms\":%ld", ms);
		if (s->mid >= 0)
			OUTF(o, ",\"m\":%d", s->mid);
		else
			puts_(o, ",\"m\":null");
		if (why)
			OUTF(o, ",\"note\":\"%s\"", why);
		puts_(o, ",\"backtrace\":[");
	} else {
		OUTF(o, "\nthread %llu (tid %d, \"%s\")%s: %s", (unsigned long long)s->goid, s->tid, name,
		     s->main ? " main" : "", reason);
		if (ms >= 0)
			OUTF(o, ", %ld ms", ms);
		if (s->mid >= 0)
			OUTF(o, ", on M%d", s->mid);
		if (why)
			OUTF(o, ", %s", why);
		puts_(o, "\n");
	}
	for (int i = 0; i < n; i++) {
		char fn[256];
		uintptr_t off = 0;
		bool named = symbolise(pcs[i], i == 0, fn, sizeof fn, &off);
		const char *mod = module_of(pcs[i], i == 0);
		if (json) {
			OUTF(o, "%s{\"pc\":\"0x%lx\",\"func\":", i ? "," : "", (unsigned long)pcs[i]);
			if (named) {
				puts_(o, "\"");
				put_json(o, fn, sizeof fn);
				OUTF(o, "\",\"offset\":%lu", (unsigned long)off);
			} else {
				puts_(o, "null");
			}
			if (mod) {
				puts_(o, ",\"module\":\"");
				put_json(o, mod, 200);
				puts_(o, "\"}");
			} else {
				puts_(o, ",\"module\":null}");
			}
		} else {
			OUTF(o, "  #%d 0x%lx %s", i, (unsigned long)pcs[i], named ? fn : "??");
			if (named)
				OUTF(o, "+0x%lx", (unsigned long)off);
			OUTF(o, " (%s)\n", mod ? mod : "?");
		}
	}
	if (json)
		puts_(o, "]}");
}

/* ---------------------------------------------------------------- the dump */
static _Atomic int dumping;

void mn_dump_all(int fd, bool json)
{
	int z = 0;
	/* acquire: pairs with the release at the end of the previous dump */
	for (int i = 0; !atomic_compare_exchange_strong_explicit(&dumping, &z, 1, memory_order_acquire,
								 memory_order_relaxed); i++, z = 0) {
		if (i == 2000) { /* 2 s: some dump is stuck; say so rather than wait */
			mn_print("mnthread: a thread dump is already in progress\n");
			return;
		}
		nap(1000000);
	}
	static struct out o;
	o.fd = fd;
	o.n = 0;
	int more;
	int n = snapshot(&more);
	uint64_t now = mn_cputick();
	char comm[32];
	proc_comm(comm, sizeof comm);
	long pid = self_pid();
	if (json)
		OUTF(&o, "{\"pid\":%ld,\"threads_listed\":%d,\"threads_left_out\":%d,\"os_threads\":%d,"
		     "\"processors\":%d,\"threads\":[", pid, n, more, mn_sched.mcount, mn_sched.nprocs);
	else
		OUTF(&o, "mnthread: thread dump of process %ld (%s): %d threads, %d OS threads, %d processors\n", pid,
		     comm, n + more, mn_sched.mcount, mn_sched.nprocs);
	for (int i = 0; i < n; i++)
		print_thread(&o, &snaps[i], json, i == 0, now, comm);
	if (json) {
		puts_(&o, "\n]}\n");
	} else {
		if (more)
			OUTF(&o, "\n(%d more threads not listed)\n", more);
		puts_(&o, "\nmnthread: end of thread dump\n");
	}
	flush(&o);
	/* release: our use of the tables before the next dump's */
	atomic_store_explicit(&dumping, 0, memory_order_release);
}

/* ---------------------------------------------------------------- requests */
/* A posted request: sender pid + 1 (1: stderr), and JSON; sysmon takes it. */
static _Atomic int64_t posted;

void mn_dump_post(int sender, bool json)
{
	/* release: pairs with mn_dump_sysmon's exchange */
	atomic_store_explicit(&posted, ((int64_t)sender + 1) << 1 | json, memory_order_release);
	mn_sysmon_wake_slow();
}

/* $TMPDIR as the process started (env.c keeps it). */
static void serve_fifo(int sender, bool json)
{
	char path[4200];
	const char *dir = mn_env.tmpdir[0] ? mn_env.tmpdir : "/tmp";
	mn_snprintf(path, sizeof path, "%s/mnthread-dump.%ld.%d", dir, self_pid(), sender);
	int64_t end = mn_nanotime() + FIFO_WAIT_NS;
	long fd;
	for (;;) {
		fd = mn_sys6(SYS_openat, AT_FDCWD, (long)path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW, 0, 0, 0);
		if (fd >= 0 || (fd != -ENXIO && fd != -ENOENT) || mn_nanotime() >= end)
			break;
		nap(1000000);
	}
	if (fd < 0)
		return;
	struct stat st;
	if (mn_sys3(SYS_fstat, fd, &st, 0) != 0 || !S_ISFIFO(st.st_mode) ||
	    st.st_uid != (uid_t)mn_sys6(SYS_getuid, 0, 0, 0, 0, 0, 0)) {
		mn_sys3(SYS_close, fd, 0, 0);
		return;
	}
	mn_sys3(SYS_fcntl, fd, F_SETFL, O_WRONLY); /* blocking writes: the reader reads */
	mn_dump_all((int)fd, json);
	mn_sys3(SYS_close, fd, 0, 0);
}

void mn_dump_sysmon(void)
{
	/* relaxed pre-check: the common case costs a load */
	if (atomic_load_explicit(&posted, memory_order_relaxed) == 0)
		return;
	/* acquire: pairs with mn_dump_post's release */
	int64_t v = atomic_exchange_explicit(&posted, 0, memory_order_acquire);
	if (v == 0)
		return;
	int sender = (int)((v >> 1) - 1);
	if (sender == 0)
		mn_dump_all(2, v & 1);
	else
		serve_fifo(sender, v & 1);
}

/* ---------------------------------------------------------------- scheddetail */
static const char *pstatus_name(uint32_t st)
{
	return st == P_IDLE ? "idle" : st == P_RUNNING ? "running" : st == P_SYSCALL ? "syscall" : "?";
}

void mn_dump_scheddetail(void)
{
	static struct out o;
	o.fd = 2;
	o.n = 0;
	for (int i = 0; i < mn_sched.nprocs; i++) {
		struct p *pp = mn_allp(i);
		struct m *mp = *(struct m *volatile *)&pp->m;
		/* relaxed: a report; racy by nature */
		uint32_t len = atomic_load_explicit(&pp->runqtail, memory_order_relaxed) -
			       atomic_load_explicit(&pp->runqhead, memory_order_relaxed);
		OUTF(&o, "  P%d: status=%s schedtick=%u syscalltick=%u m=%d runqsize=%u\n", pp->id,
		     pstatus_name(atomic_load_explicit(&pp->status, memory_order_relaxed)),
		     *(volatile uint32_t *)&pp->schedtick,
		     atomic_load_explicit(&pp->syscalltick, memory_order_relaxed), mp ? mp->id : -1,
		     len > RUNQ_SIZE ? 0 : len);
	}
	for (struct m *mp = mn_sched.allm; mp; mp = mp->alllink) {
		struct p *pp = *(struct p *volatile *)&mp->p;
		struct g *cg = *(struct g *volatile *)&mp->curg;
		struct g *lg = *(struct g *volatile *)&mp->lockedg;
		/* relaxed: a report */
		bool kernel = atomic_load_explicit(&mp->idleticks, memory_order_relaxed) & 1;
		OUTF(&o, "  M%d: tid=%d p=%d curg=%lld spinning=%d inkernel=%d lockedg=%lld\n", mp->id, mp->tid,
		     pp ? pp->id : -1, cg ? (long long)cg->goid : -1LL,
		     (int)atomic_load_explicit(&mp->spinning, memory_order_relaxed), (int)kernel,
		     lg ? (long long)lg->goid : -1LL);
	}
	int more;
	/* Not concurrently with a dump (the table is shared). */
	int z = 0;
	if (!atomic_compare_exchange_strong_explicit(&dumping, &z, 1, memory_order_acquire, memory_order_relaxed)) {
		flush(&o);
		return;
	}
	int n = snapshot(&more);
	uint64_t now = mn_cputick();
	char comm[32];
	proc_comm(comm, sizeof comm);
	for (int i = 0; i < n; i++) {
		const struct snap *s = &snaps[i];
		char reason[64];
		reason_of(s, reason, sizeof reason);
		long ms = waited_ms(s, now);
		OUTF(&o, "  G%llu: status=%s wait=\"%s\" ms=%ld m=%d name=\"%s\"%s\n", (unsigned long long)s->goid,
		     status_name(s->status), reason, ms < 0 ? 0 : ms, s->mid, s->name[0] || !s->main ? s->name : comm,
		     s->main ? " main" : "");
	}
	if (more)
		OUTF(&o, "  (%d more Gs)\n", more);
	atomic_store_explicit(&dumping, 0, memory_order_release);
	flush(&o);
}

/* ---------------------------------------------------------------- faults */
void mn_dump_fault(void *ucv)
{
	if (!have_uw())
		return;
	int n = walk(ucv, UNW_INIT_SIGNAL_FRAME, pcs, DUMP_FRAMES);
	for (int i = 0; i < n; i++) {
		char fn[256];
		uintptr_t off = 0;
		bool named = symbolise(pcs[i], i == 0, fn, sizeof fn, &off);
		const char *mod = module_of(pcs[i], i == 0);
		if (named)
			mn_printf("  #%d 0x%lx %s+0x%lx (%s)\n", i, (unsigned long)pcs[i], fn, (unsigned long)off,
				  mod ? mod : "?");
		else
			mn_printf("  #%d 0x%lx ?? (%s)\n", i, (unsigned long)pcs[i], mod ? mod : "?");
	}
}

/* ------------------------------------------------------------ blockreport */
/* MN_DEBUG=blockreport=MS: a G that has held its M in the kernel for MS
 * without telling the runtime (sysmon's silent blocking), once per call
 * site: where it is blocked, from the kernel's record of the thread's
 * user registers at the call (/proc/self/task/TID/syscall: the stack
 * pointer and the pc), unwound by libunwind from there.  Call sites are
 * told apart by their first frames. */
#define BLOCK_SITES 64
static uint64_t block_sites[BLOCK_SITES];
static int nblock_sites;

static bool hexword(const char **p, unsigned long *out)
{
	const char *s = *p;
	while (*s == ' ')
		s++;
	if (s[0] == '0' && s[1] == 'x')
		s += 2;
	unsigned long v = 0;
	const char *b = s;
	for (;; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;
		if (d < 0)
			break;
		v = v * 16 + (unsigned long)d;
	}
	*p = s;
	*out = v;
	return s != b;
}

/* Read n bytes at addr of our own memory without faulting (0 or -1). */
static int peek(uintptr_t addr, void *buf, size_t n)
{
	struct iovec l = { buf, n }, r = { (void *)addr, n };
	return mn_sys6(SYS_process_vm_readv, self_pid(), (long)&l, 1, (long)&r, 1, 0) == (long)n ? 0 : -1;
}

/* Does a call instruction end at ret (e8 rel32; ff /2 in its common
 * register and memory forms)? */
static bool after_call(uintptr_t ret)
{
	unsigned char b[7];
	if (ret < 7 || peek(ret - 7, b, sizeof b) < 0)
		return false;
	if (b[2] == 0xe8)
		return true; /* call rel32 */
	for (int len = 2; len <= 7; len++) {
		unsigned char op = b[7 - len], modrm = b[7 - len + 1];
		if (op == 0xff && ((modrm >> 3) & 7) == 2)
			return true; /* call r/m64 */
	}
	return false;
}

/* The unwinder stops where it has no register it needs (a frame-pointer
 * frame: the kernel's record has no rbp): look further up the stack for
 * return addresses into code, right after a call instruction.  Appends
 * to pcs from n; returns the new count. */
static int scan_stack(uintptr_t sp, int n, int max)
{
	static uint64_t words[512];
	if (peek(sp, words, sizeof words) < 0 && peek(sp, words, 64 * sizeof words[0]) < 0)
		return n;
	Dl_info di;
	for (size_t i = 0; i < sizeof words / sizeof words[0] && n < max; i++) {
		uintptr_t v = (uintptr_t)words[i];
		if (v < 4096 || (n > 0 && v == pcs[n - 1]))
			continue;
		bool known = false;
		for (int k = 0; k < n && !known; k++)
			known = pcs[k] == v;
		if (!known && dladdr((void *)v, &di) && di.dli_fbase && after_call(v))
			pcs[n++] = v;
	}
	return n;
}

void mn_dump_blocked(struct m *mp, struct g *gp, int64_t ns)
{
	if (!have_uw() || nblock_sites == BLOCK_SITES)
		return;
	char path[48], buf[256];
	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", mp->tid);
	int fd = (int)mn_sys6(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return;
	long r = mn_sys6(SYS_read, fd, (long)buf, sizeof buf - 1, 0, 0, 0);
	mn_sys6(SYS_close, fd, 0, 0, 0, 0, 0);
	if (r <= 0 || buf[0] < '0' || buf[0] > '9')
		return; /* "running", or "-1 sp pc": not in a call any more */
	buf[r] = '\0';
	long nr = 0;
	const char *p = buf;
	for (; *p >= '0' && *p <= '9'; p++)
		nr = nr * 10 + (*p - '0');
	unsigned long w[8];
	for (int i = 0; i < 8; i++)
		if (!hexword(&p, &w[i]))
			return;
	ucontext_t uc;
	memset(&uc, 0, sizeof uc);
	uc.uc_mcontext.gregs[REG_RSP] = (greg_t)w[6];
	uc.uc_mcontext.gregs[REG_RIP] = (greg_t)w[7];
	int n = walk(&uc, UNW_INIT_SIGNAL_FRAME, pcs, DUMP_FRAMES);
	int unwound = n;
	if (n < 8)
		n = scan_stack(w[6], n, n + 12 < DUMP_FRAMES ? n + 12 : DUMP_FRAMES);
	uint64_t site = 1469598103934665603ULL;
	for (int i = 0; i < n && i < 6; i++)
		site = (site ^ pcs[i]) * 1099511628211ULL;
	for (int i = 0; i < nblock_sites; i++)
		if (block_sites[i] == site)
			return;
	block_sites[nblock_sites++] = site;
	int tid = (gp->flags & G_MAIN) ? (int)self_pid() : gp->fake_tid;
	mn_printf("mnthread: thread %llu (tid %d, \"%.16s\") has held its OS thread in the kernel for %ld ms "
		  "without telling the runtime (system call %ld); its processor went to another OS thread. "
		  "Blocked at:\n",
		  (unsigned long long)gp->goid, tid, gp->name, (long)(ns / 1000000), nr);
	for (int i = 0; i < n; i++) {
		char fn[256];
		uintptr_t off = 0;
		bool named = symbolise(pcs[i], i == 0, fn, sizeof fn, &off);
		const char *mod = module_of(pcs[i], i == 0);
		if (i == unwound)
			mn_printf("  (return addresses found further up its stack:)\n");
		if (named)
			mn_printf("  #%d 0x%lx %s+0x%lx (%s)\n", i, (unsigned long)pcs[i], fn, (unsigned long)off,
				  mod ? mod : "?");
		else
			mn_printf("  #%d 0x%lx ?? (%s)\n", i, (unsigned long)pcs[i], mod ? mod : "?");
	}
}

/* ---------------------------------------------------------------- summary */
/* MN_DEBUG=summary=1: at exit (exit, return from main, the last thread's
 * pthread_exit, all of which run the library's destructors). */
__attribute__((destructor)) static void summary(void)
{
	if (!mn_env.summary || mn_sched.allp == NULL)
		return;
	/* relaxed, and the plain reads of the Ps' counts: statistics, read
	 * racily while other threads may still run (exit does not stop them) */
	uint64_t created = 1 + atomic_load_explicit(&mn_stat_created_nop, memory_order_relaxed); /* main */
	uint64_t sw = 0, steal = 0, hand = 0;
	for (int i = 0; mn_sched.allp && i < mn_sched.nprocs; i++) {
		struct p *pp = mn_allp(i);
		created += *(volatile uint64_t *)&pp->ncreated;
		sw += *(volatile uint64_t *)&pp->nswitch;
		steal += *(volatile uint64_t *)&pp->nsteal;
		hand += *(volatile uint64_t *)&pp->nhandoff;
	}
	int64_t peak = atomic_load_explicit(&mn_stat_peakg, memory_order_relaxed);
	if (peak < 1)
		peak = 1; /* main */
	mn_printf("mnthread: summary: threads_created=%llu peak_threads=%lld peak_os_threads=%d "
		  "context_switches=%llu steals=%llu preemptions=%llu syscall_handoffs=%llu\n",
		  (unsigned long long)created, (long long)peak, mn_sched.mnextid, (unsigned long long)sw,
		  (unsigned long long)steal,
		  (unsigned long long)atomic_load_explicit(&mn_preempt_count, memory_order_relaxed),
		  (unsigned long long)hand);
}
