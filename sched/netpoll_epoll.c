/* sched/netpoll_epoll.c: the netpoller on one epoll instance (netpoll.h).
 *
 * Every descriptor number has a pd (poll descriptor) in a two-level table
 * that only grows (chunks of PD_CHUNK, mapped on first use): its kind, two
 * event counters (rseq for readable, hang-up and error events, wseq for
 * writable, hang-up and error ones) and the list of waiters, all under the
 * pd's lock.  A descriptor is registered once, edge-triggered, for both
 * directions, with its number as the event's data, at its first wait; the
 * program's close of the number through us (close, dup2, dup3, fclose,
 * pclose, close_range) forgets the registration.
 *
 * A waiting G puts one node per descriptor on the pds' lists (if no event
 * came since its arm: the counters did not move), then parks.  Whoever
 * ends the wait (the poller, the G's timer, pthread_cancel, close) CASes
 * the wait's state from PREP or PARKED to its reason; only the winner
 * readies the G, and only if the G had parked (PARKED: the park's unlockf
 * moved PREP to PARKED after the switch, so a G ended before that never
 * parks).  The G takes its nodes off the lists itself once it runs again;
 * the poller looks at nodes only under the pd's lock, so the wait (on
 * the G's stack) outlives every look at it.
 *
 * Only one thread blocks in epoll_wait at a time (an idle M, with the next
 * timer as its time-out); anyone may poll without blocking (findrunnable,
 * sysmon).  A wake-up eventfd, registered with the data ~0, breaks a
 * blocked poll when a timer is added that is due before it would end.
 *
 * Rejected: O_NONBLOCK on the program's descriptors (Go's way).  The flag
 * belongs to the open file, which the program sees (fcntl), shares with
 * children after fork and with other processes over SCM_RIGHTS; the
 * callers try with MSG_DONTWAIT or RWF_NOWAIT instead (shims/netio.c).
 */
#include "netpoll.h"
#include "gsig.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "lock.h"
#include "proc.h"
#include "sys.h"
#include "sysmon.h"
#include "tcb.h"
#include "throw.h"
#include "timer.h"

#define PD_CHUNK 1024
#define PD_NCHUNK 1024 /* descriptors 0 .. 1M-1; beyond, the blocking path */
#define BREAK_DATA UINT64_MAX
#define SIG_DATA (UINT64_MAX - 1)
#define NEVENTS 128

struct waitnode;

struct pd {
	struct mn_lock lock;
	_Atomic uint32_t kind;
	/* Registered in this process's epoll instance since the program last
	 * closed the number through us (close, dup2, dup3, fclose...). */
	_Atomic bool registered;
	_Atomic uint32_t cache; /* the callers' facts about the file (mn_netpoll_cache) */
	_Atomic int peer;       /* 1 + the other end's number (a pipe or socketpair made here), 0 */
	_Atomic uint32_t rseq, wseq; /* written under lock, read by arm without */
	struct waitnode *waiters;
};

/* The wait of one G, on its stack. */
enum { W_PREP, W_PARKED, W_WOKEN, W_TIMEOUT, W_CANCEL, W_CLOSED };
struct netwait {
	_Atomic uint32_t state;
	struct g *g;
	struct mn_timer t;
};

struct waitnode {
	struct waitnode *next, **pprev; /* pprev NULL: not on a list */
	struct netwait *w;
	uint32_t mode;
};

static struct g *pd_fire(struct pd *pd, uint32_t mode, uint32_t why, struct g *list);
static void ready_list(struct g *list);

static struct pd *_Atomic chunks[PD_NCHUNK];
static struct {
	struct mn_lock initlock;
	_Atomic int epfd; /* -1 before the first arm */
	int evfd;
	int sigfd;                /* gsig.c's signalfd, -1 none */
	_Atomic int blocked;      /* a thread is in a blocking epoll_wait */
	_Atomic int64_t until;    /* its deadline (INT64_MAX: none) */
	_Atomic int breaking;     /* a break is on its way */
	_Atomic int waiters;
	_Atomic int sigwatch;     /* 1 once the signalfd is watched */
	_Atomic int64_t lastpoll;
} np = { .initlock = MN_LOCK_INIT(LOCKRANK_NETPOLL), .epfd = -1, .evfd = -1, .sigfd = -1 };

/* The wait being cancelled (mn_netpoll_cancel holds g->netwait). */
#define NETWAIT_BUSY ((void *)1)

static struct pd *pd_get(int fd, bool make)
{
	if (fd < 0 || fd >= PD_CHUNK * PD_NCHUNK)
		return NULL;
	/* acquire: pairs with the release CAS publishing a chunk */
	struct pd *c = atomic_load_explicit(&chunks[fd / PD_CHUNK], memory_order_acquire);
	if (!c) {
		if (!make)
			return NULL;
		size_t bytes = PD_CHUNK * sizeof(struct pd);
		long r = mn_sys6(SYS_mmap, 0, (long)bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
				 0);
		if (r < 0 && r > -4096)
			return NULL;
		struct pd *fresh = (struct pd *)r;
		for (int i = 0; i < PD_CHUNK; i++)
			fresh[i].lock = (struct mn_lock)MN_LOCK_INIT(LOCKRANK_NETPOLL);
		if (!atomic_compare_exchange_strong_explicit(&chunks[fd / PD_CHUNK], &c, fresh, memory_order_acq_rel,
							     memory_order_acquire))
			mn_sys6(SYS_munmap, (long)fresh, (long)bytes, 0, 0, 0, 0);
		else
			c = fresh;
	}
	return &c[fd % PD_CHUNK];
}

static int classify(int fd)
{
	struct stat st;
	if (mn_sys3(SYS_fstat, fd, &st, 0) < 0)
		return MN_FD_FILE; /* EBADF: the blocking path says so */
	switch (st.st_mode & S_IFMT) {
	case S_IFSOCK: return MN_FD_SOCK;
	case S_IFIFO: return MN_FD_NOWAIT;
	case S_IFCHR:
		/* /dev/null, zero, full, random, urandom, mem...: never wait. */
		return major(st.st_rdev) == 1 ? MN_FD_FILE : MN_FD_POLLCHK;
	case S_IFREG:
	case S_IFBLK:
	case S_IFDIR:
	case S_IFLNK: return MN_FD_FILE;
	default: return MN_FD_NOWAIT; /* anonymous inodes: eventfd, timerfd, signalfd, inotify, epoll */
	}
}

int mn_netpoll_kind(int fd)
{
	struct pd *pd = pd_get(fd, true);
	if (!pd)
		return MN_FD_FILE;
	/* relaxed: a cache; a stale kind only picks a slower or a wrong try,
	 * which the try's error corrects (shims/netio.c) */
	uint32_t k = atomic_load_explicit(&pd->kind, memory_order_relaxed);
	if (k == MN_FD_UNKNOWN) {
		k = (uint32_t)classify(fd);
		atomic_store_explicit(&pd->kind, k, memory_order_relaxed);
	}
	return (int)k;
}

void mn_netpoll_setkind(int fd, int kind)
{
	struct pd *pd = pd_get(fd, kind != MN_FD_UNKNOWN);
	if (!pd)
		return;
	/* relaxed: a cache */
	atomic_store_explicit(&pd->kind, (uint32_t)kind, memory_order_relaxed);
	/* A new file under the number: registered again at its first wait. */
	if (kind == MN_FD_UNKNOWN) {
		atomic_store_explicit(&pd->registered, false, memory_order_relaxed);
		atomic_store_explicit(&pd->cache, 0, memory_order_relaxed);
		atomic_store_explicit(&pd->peer, 0, memory_order_relaxed);
	}
}

void mn_netpoll_pair(int a, int b)
{
	struct pd *pa = pd_get(a, true), *pb = pd_get(b, true);
	if (!pa || !pb)
		return;
	/* relaxed: a hint; a stale peer only wakes a reader for nothing */
	atomic_store_explicit(&pa->peer, b + 1, memory_order_relaxed);
	atomic_store_explicit(&pb->peer, a + 1, memory_order_relaxed);
}

bool mn_netpoll_wrote(int fd)
{
	struct pd *pd = pd_get(fd, false);
	if (!pd)
		return false;
	int peer = atomic_load_explicit(&pd->peer, memory_order_relaxed) - 1;
	struct pd *pp = peer >= 0 ? pd_get(peer, false) : NULL;
	if (!pp)
		return false;
	/* No reader linked yet: one that is about to link snapped before our
	 * write and parks; the epoll event wakes it. */
	if (*(struct waitnode *volatile *)&pp->waiters == NULL)
		return true;
	mn_lock(&pp->lock);
	/* release: pairs with pd_seq's acquire */
	atomic_fetch_add_explicit(&pp->rseq, 1, memory_order_release);
	struct g *list = pd_fire(pp, MN_POLL_IN, W_WOKEN, NULL);
	mn_unlock(&pp->lock);
	ready_list(list);
	return true;
}

uint32_t mn_netpoll_cache(int fd)
{
	struct pd *pd = pd_get(fd, false);
	/* relaxed: a cache */
	return pd ? atomic_load_explicit(&pd->cache, memory_order_relaxed) : 0;
}

void mn_netpoll_cache_set(int fd, uint32_t bits)
{
	struct pd *pd = pd_get(fd, bits != 0);
	if (pd)
		/* relaxed: a cache */
		atomic_store_explicit(&pd->cache, bits, memory_order_relaxed);
}

static int netpoll_init(void)
{
	/* acquire: pairs with the release store below */
	int fd = atomic_load_explicit(&np.epfd, memory_order_acquire);
	if (fd >= 0)
		return fd;
	mn_lock(&np.initlock);
	fd = atomic_load_explicit(&np.epfd, memory_order_relaxed);
	if (fd < 0) {
		int ep = mn_netpoll_highfd((int)mn_sys3(SYS_epoll_create1, EPOLL_CLOEXEC, 0, 0));
		int ev = mn_netpoll_highfd((int)mn_sys3(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK, 0));
		if (ep < 0 || ev < 0) {
			if (ep >= 0)
				mn_sys3(SYS_close, ep, 0, 0);
			if (ev >= 0)
				mn_sys3(SYS_close, ev, 0, 0);
			mn_unlock(&np.initlock);
			return ep < 0 ? ep : ev;
		}
		struct epoll_event e = { .events = EPOLLIN | EPOLLET, .data.u64 = BREAK_DATA };
		mn_sys6(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, ev, (long)&e, 0, 0);
		np.evfd = ev;
		/* release: evfd before epfd */
		atomic_store_explicit(&np.epfd, ep, memory_order_release);
		fd = ep;
	}
	mn_unlock(&np.initlock);
	return fd;
}

int mn_netpoll_highfd(int fd)
{
	static int base; /* 0: not computed yet (a race computes it twice) */
	if (fd < 0)
		return fd;
	if (base == 0) {
		struct { uint64_t cur, max; } lim = { 1024, 1024 };
		mn_sys6(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&lim, 0, 0);
		uint64_t top = lim.cur < 1024 ? lim.cur : 1024;
		base = top > 64 ? (int)top - 24 : -1;
	}
	if (base < 0 || fd >= base)
		return fd;
	long hi = mn_sys3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, base);
	if (hi < 0)
		return fd;
	mn_sys3(SYS_close, fd, 0, 0);
	return (int)hi;
}

int mn_netpoll_fdwaiters(void)
{
	/* relaxed: a hint */
	return atomic_load_explicit(&np.waiters, memory_order_relaxed);
}

bool mn_netpoll_active(void)
{
	/* relaxed: a hint */
	return atomic_load_explicit(&np.epfd, memory_order_relaxed) >= 0;
}

int mn_netpoll_waiters(void)
{
	/* relaxed: a hint; a waiter counts itself before it parks, on the M that then looks.
	 * The signalfd counts as one for the scheduler (not for mn_netpoll_poke). */
	return atomic_load_explicit(&np.waiters, memory_order_relaxed) +
	       atomic_load_explicit(&np.sigwatch, memory_order_relaxed);
}

bool mn_netpoll_blocked(void)
{
	/* relaxed: a hint */
	return atomic_load_explicit(&np.blocked, memory_order_relaxed) != 0;
}

int64_t mn_netpoll_lastpoll(void)
{
	/* relaxed: a hint */
	return atomic_load_explicit(&np.lastpoll, memory_order_relaxed);
}

static uint32_t pd_seq(struct pd *pd, uint32_t mode)
{
	uint32_t s = 0;
	/* acquire: the event's count before our try of the call (see netpoll.h) */
	if (mode & MN_POLL_IN)
		s += atomic_load_explicit(&pd->rseq, memory_order_acquire);
	if (mode & MN_POLL_OUT)
		s += atomic_load_explicit(&pd->wseq, memory_order_acquire);
	return s;
}

void mn_netpoll_snap(struct mn_pollreq *rq, int n)
{
	for (int i = 0; i < n; i++) {
		struct pd *pd = pd_get(rq[i].fd, true);
		rq[i].seq = pd ? pd_seq(pd, rq[i].mode) : 0;
	}
}

int mn_netpoll_register(struct mn_pollreq *rq, int n)
{
	int ep = netpoll_init();
	if (ep < 0)
		return ep;
	for (int i = 0; i < n; i++) {
		struct pd *pd = pd_get(rq[i].fd, true);
		if (!pd)
			return -EPERM;
		/* acquire: pairs with the release below (another G's registration) */
		if (atomic_load_explicit(&pd->registered, memory_order_acquire))
			continue;
		struct epoll_event e = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
					 .data.u64 = (uint64_t)rq[i].fd };
		long r = mn_sys6(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, rq[i].fd, (long)&e, 0, 0);
		if (r == -EPERM)
			atomic_store_explicit(&pd->kind, MN_FD_FILE, memory_order_relaxed);
		if (r < 0 && r != -EEXIST)
			return (int)r;
		atomic_store_explicit(&pd->registered, true, memory_order_release);
	}
	return 0;
}

/* End w for `why`; returns its G when it had parked (the caller readies
 * it), NULL when someone else ended it or it will see `why` before it
 * parks. */
static struct g *wait_end(struct netwait *w, uint32_t why)
{
	/* acquire: pairs with commit's CAS (the G is switched out) */
	uint32_t s = atomic_load_explicit(&w->state, memory_order_acquire);
	while (s <= W_PARKED) {
		/* acq_rel: races commit and the other enders */
		if (atomic_compare_exchange_weak_explicit(&w->state, &s, why, memory_order_acq_rel,
							  memory_order_acquire))
			return s == W_PARKED ? w->g : NULL;
	}
	return NULL;
}

/* Take node off its list.  Context: its pd's lock held. */
static void node_unlink(struct waitnode *nd)
{
	if (!nd->pprev)
		return;
	*nd->pprev = nd->next;
	if (nd->next)
		nd->next->pprev = nd->pprev;
	nd->pprev = NULL;
	nd->next = NULL;
}

/* An event (or a close) on pd: end the waits of the nodes that match.
 * Returns the Gs to ready, linked through schedlink onto list.
 * Context: pd's lock held. */
static struct g *pd_fire(struct pd *pd, uint32_t mode, uint32_t why, struct g *list)
{
	struct waitnode *nd = pd->waiters;
	while (nd) {
		struct waitnode *next = nd->next;
		if (nd->mode & mode) {
			node_unlink(nd);
			struct g *gp = wait_end(nd->w, why);
			if (gp) {
				gp->schedlink = list;
				list = gp;
			}
		}
		nd = next;
	}
	return list;
}

static void ready_list(struct g *list)
{
	while (list) {
		struct g *next = list->schedlink;
		list->schedlink = NULL;
		mn_goready(list);
		list = next;
	}
}

/* The park's unlockf: parked unless the wait already ended. */
static bool commit(struct g *gp, void *arg)
{
	(void)gp;
	struct netwait *w = arg;
	uint32_t s = W_PREP;
	/* acq_rel: pairs with wait_end's acquire (the G is switched out) */
	return atomic_compare_exchange_strong_explicit(&w->state, &s, W_PARKED, memory_order_acq_rel,
						       memory_order_acquire);
}

static void timer_fire(struct mn_timer *t)
{
	struct netwait *w = t->arg;
	struct g *gp = wait_end(w, W_TIMEOUT);
	if (gp)
		mn_goready(gp);
}

static void publish(struct g *gp, struct netwait *w)
{
	void *cur = NULL;
	/* acq_rel: pairs with mn_netpoll_cancel's exchange */
	while (!atomic_compare_exchange_weak_explicit(&gp->netwait, &cur, w, memory_order_seq_cst,
						      memory_order_relaxed)) {
		cur = NULL;
		arch_pause();
	}
}

static void unpublish(struct g *gp)
{
	/* relaxed: ours unless a canceller holds it (NETWAIT_BUSY), briefly */
	void *cur = atomic_load_explicit(&gp->netwait, memory_order_relaxed);
	for (;;) {
		if (cur == NETWAIT_BUSY) {
			arch_pause();
			cur = atomic_load_explicit(&gp->netwait, memory_order_relaxed);
			continue;
		}
		/* acq_rel: pairs with the canceller's release of the word */
		if (atomic_compare_exchange_weak_explicit(&gp->netwait, &cur, NULL, memory_order_acq_rel,
							  memory_order_relaxed))
			return;
	}
}

#define STACK_NODES 16

int mn_netpoll_wait(struct mn_pollreq *rq, int n, int64_t deadline, bool cancellable)
{
	struct g *gp = mn_getg();
	struct netwait w = { .g = gp };
	atomic_init(&w.state, W_PREP);
	struct waitnode stack_nodes[STACK_NODES];
	struct waitnode *nodes = stack_nodes;
	if (n > STACK_NODES) {
		long r = mn_sys6(SYS_mmap, 0, (long)((size_t)n * sizeof *nodes), PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (r < 0 && r > -4096)
			return (int)r;
		nodes = (struct waitnode *)r;
	}
	int linked = 0;
	bool fired = false;
	for (; linked < n; linked++) {
		struct pd *pd = pd_get(rq[linked].fd, false);
		struct waitnode *nd = &nodes[linked];
		nd->w = &w;
		nd->mode = rq[linked].mode;
		nd->pprev = NULL;
		nd->next = NULL;
		if (!pd)
			continue;
		mn_lock(&pd->lock);
		if (pd_seq(pd, rq[linked].mode) != rq[linked].seq) {
			mn_unlock(&pd->lock);
			fired = true;
			break;
		}
		nd->next = pd->waiters;
		if (nd->next)
			nd->next->pprev = &nd->next;
		nd->pprev = &pd->waiters;
		pd->waiters = nd;
		mn_unlock(&pd->lock);
	}
	uint32_t why = W_WOKEN;
	if (!fired) {
		/* relaxed: a hint for the scheduler; the parking M itself looks next */
		atomic_fetch_add_explicit(&np.waiters, 1, memory_order_relaxed);
		if (cancellable) {
			publish(gp, &w);
			/* The request is set, then netwait read (mn_netpoll_cancel);
			 * netwait set, then the request read: one sees the other. */
			if (mn_tcb_self_cancel_pending() || mn_gsig_deliverable(gp))
				wait_end(&w, W_CANCEL);
		}
		if (deadline >= 0) {
			w.t.when = deadline;
			w.t.f = timer_fire;
			w.t.arg = &w;
			w.t.idx = -1;
			mn_timer_home(&w.t);
			mn_timer_add_if(&w.t, &w.state, W_PREP);
		}
		gp->waitfd = n == 1 ? rq[0].fd + 1 : 0; /* dumps: "netpoll fd N" */
		mn_gopark(commit, &w, "netpoll");
		if (deadline >= 0)
			mn_timer_del(&w.t);
		if (cancellable)
			unpublish(gp);
		atomic_fetch_sub_explicit(&np.waiters, 1, memory_order_relaxed);
		/* acquire: pairs with the ender's CAS */
		why = atomic_load_explicit(&w.state, memory_order_acquire);
		if (why == W_PREP) /* never parked nor ended: impossible */
			mn_throw("netpoll_wait: woke without an end");
	}
	/* Off the lists, under each pd's lock even when the ender already
	 * took the node off: the lock waits out an ender still looking at
	 * the wait (pd_fire's wait_end after node_unlink). */
	for (int i = 0; i < linked; i++) {
		struct pd *pd = pd_get(rq[i].fd, false);
		if (!pd)
			continue;
		mn_lock(&pd->lock);
		node_unlink(&nodes[i]);
		mn_unlock(&pd->lock);
	}
	if (nodes != stack_nodes)
		mn_sys6(SYS_munmap, (long)nodes, (long)((size_t)n * sizeof *nodes), 0, 0, 0, 0);
	switch (why) {
	case W_TIMEOUT: return -ETIMEDOUT;
	case W_CANCEL: return -ECANCELED;
	case W_CLOSED: return -EBADF;
	default: return 0;
	}
}

bool mn_netpoll_cancel(struct g *gp)
{
	/* seq_cst: the canceller's half of the request/netwait handshake (mn_netpoll_wait) */
	void *cur = atomic_load_explicit(&gp->netwait, memory_order_seq_cst);
	if (cur == NULL || cur == NETWAIT_BUSY)
		return false;
	if (!atomic_compare_exchange_strong_explicit(&gp->netwait, &cur, NETWAIT_BUSY, memory_order_acq_rel,
						     memory_order_relaxed))
		return false;
	struct g *woken = wait_end(cur, W_CANCEL);
	/* release: our look at the wait before the G may leave it */
	atomic_store_explicit(&gp->netwait, cur, memory_order_release);
	if (woken)
		mn_goready(woken);
	return woken != NULL;
}

void mn_netpoll_close(int fd)
{
	struct pd *pd = pd_get(fd, false);
	if (!pd)
		return;
	mn_lock(&pd->lock);
	atomic_store_explicit(&pd->kind, MN_FD_UNKNOWN, memory_order_relaxed);
	atomic_store_explicit(&pd->cache, 0, memory_order_relaxed);
	atomic_store_explicit(&pd->peer, 0, memory_order_relaxed);
	bool reg = atomic_exchange_explicit(&pd->registered, false, memory_order_relaxed);
	atomic_fetch_add_explicit(&pd->rseq, 1, memory_order_release);
	atomic_fetch_add_explicit(&pd->wseq, 1, memory_order_release);
	struct g *list = pd_fire(pd, MN_POLL_IN | MN_POLL_OUT, W_CLOSED, NULL);
	mn_unlock(&pd->lock);
	int ep = atomic_load_explicit(&np.epfd, memory_order_acquire);
	if (ep >= 0 && reg)
		mn_sys6(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, fd, 0, 0, 0);
	ready_list(list);
}

void mn_netpoll_close_range(unsigned lo, unsigned hi)
{
	for (unsigned c = lo / PD_CHUNK; c < PD_NCHUNK && c <= hi / PD_CHUNK; c++) {
		struct pd *chunk = atomic_load_explicit(&chunks[c], memory_order_acquire);
		if (!chunk)
			continue;
		for (unsigned i = 0; i < PD_CHUNK; i++) {
			unsigned fd = c * PD_CHUNK + i;
			if (fd < lo || fd > hi)
				continue;
			/* relaxed: hints; close looks again under the lock */
			if (atomic_load_explicit(&chunk[i].registered, memory_order_relaxed) || chunk[i].waiters ||
			    atomic_load_explicit(&chunk[i].kind, memory_order_relaxed) != MN_FD_UNKNOWN)
				mn_netpoll_close((int)fd);
		}
	}
}

/* The poll itself: until 0 does not block, < 0 forever, else a deadline. */
static struct g *poll_once(int ep, int64_t until)
{
	struct epoll_event ev[NEVENTS];
	long n;
	if (until == 0) {
		n = mn_sys6(SYS_epoll_wait, ep, (long)ev, NEVENTS, 0, 0, 0);
	} else {
		struct timespec ts, *tp = NULL;
		if (until > 0) {
			int64_t left = until - mn_nanotime();
			if (left < 0)
				left = 0;
			ts.tv_sec = left / 1000000000;
			ts.tv_nsec = left % 1000000000;
			tp = &ts;
		}
		n = mn_sys6(SYS_epoll_pwait2, ep, (long)ev, NEVENTS, (long)tp, 0, 8);
		if (n == -ENOSYS) {
			long ms = tp ? (long)((until - mn_nanotime() + 999999) / 1000000) : -1;
			n = mn_sys6(SYS_epoll_wait, ep, (long)ev, NEVENTS, ms < 0 && tp ? 0 : ms, 0, 0);
		}
	}
	/* relaxed: a hint for sysmon */
	atomic_store_explicit(&np.lastpoll, mn_nanotime(), memory_order_relaxed);
	struct g *list = NULL;
	bool sigready = false;
	for (long i = 0; i < n; i++) {
		if (ev[i].data.u64 == SIG_DATA) {
			sigready = true;
			continue;
		}
		if (ev[i].data.u64 == BREAK_DATA) {
			uint64_t v;
			mn_sys3(SYS_read, np.evfd, &v, sizeof v);
			/* relaxed: ordered by the eventfd */
			atomic_store_explicit(&np.breaking, 0, memory_order_relaxed);
			continue;
		}
		struct pd *pd = pd_get((int)ev[i].data.u64, false);
		if (!pd)
			continue;
		uint32_t e = ev[i].events, mode = 0;
		if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI))
			mode |= MN_POLL_IN;
		if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))
			mode |= MN_POLL_OUT;
		mn_lock(&pd->lock);
		/* release: pairs with pd_seq's acquire */
		if (mode & MN_POLL_IN)
			atomic_fetch_add_explicit(&pd->rseq, 1, memory_order_release);
		if (mode & MN_POLL_OUT)
			atomic_fetch_add_explicit(&pd->wseq, 1, memory_order_release);
		list = pd_fire(pd, mode, W_WOKEN, list);
		mn_unlock(&pd->lock);
	}
	if (sigready) /* process signals for the threads (gsig.c) */
		mn_gsig_route_pending();
	return list;
}

bool mn_netpoll(int64_t until, struct g **list)
{
	*list = NULL;
	int ep = atomic_load_explicit(&np.epfd, memory_order_acquire);
	if (ep < 0)
		return false;
	if (until == 0) {
		*list = poll_once(ep, 0);
		return true;
	}
	int z = 0;
	if (!atomic_compare_exchange_strong_explicit(&np.blocked, &z, 1, memory_order_acq_rel, memory_order_relaxed))
		return false;
	atomic_store_explicit(&np.until, until < 0 ? INT64_MAX : until, memory_order_seq_cst);
	/* A timer added since the caller looked, before it could see us
	 * blocked (mn_netpoll_timer_added). */
	int64_t t = mn_timers_next_all();
	if (t && (until < 0 || t < until)) {
		until = t;
		atomic_store_explicit(&np.until, until, memory_order_seq_cst);
	}
	*list = poll_once(ep, until);
	atomic_store_explicit(&np.until, 0, memory_order_relaxed);
	atomic_store_explicit(&np.blocked, 0, memory_order_seq_cst);
	/* sysmon sleeps while every P is idle only with a poller in place:
	 * it looks again (its 10 ms poll covers a gap until the next one). */
	mn_sysmon_wake();
	return true;
}

void mn_netpoll_inject(struct g *list) { ready_list(list); }

void mn_netpoll_poke(void)
{
	if (atomic_load_explicit(&np.waiters, memory_order_relaxed) == 0)
		return;
	struct g *list;
	if (mn_netpoll(0, &list) && list)
		ready_list(list);
}

void mn_netpoll_break(void)
{
	/* relaxed: hints; a break that finds nobody blocked is not needed */
	if (!atomic_load_explicit(&np.blocked, memory_order_seq_cst))
		return;
	int z = 0;
	if (!atomic_compare_exchange_strong_explicit(&np.breaking, &z, 1, memory_order_acq_rel, memory_order_relaxed))
		return;
	uint64_t one = 1;
	mn_sys3(SYS_write, np.evfd, &one, sizeof one);
}

void mn_netpoll_timer_added(int64_t when)
{
	/* seq_cst fence: the heap's new next (stored under timers.lock) before our look at until;
	 * pairs with mn_netpoll's store of until before its look at the heap: either it sees our
	 * timer, or we see it blocked past it */
	atomic_thread_fence(memory_order_seq_cst);
	int64_t u = atomic_load_explicit(&np.until, memory_order_seq_cst);
	if (u != 0 && when < u)
		mn_netpoll_break();
}

void mn_netpoll_fork_child(void)
{
	/* The parent's epoll instance is shared with it: the child makes its
	 * own on first use.  Only the forking thread lives, and it waits on
	 * nothing. */
	int ep = atomic_load_explicit(&np.epfd, memory_order_relaxed);
	if (ep >= 0) {
		mn_sys3(SYS_close, ep, 0, 0);
		mn_sys3(SYS_close, np.evfd, 0, 0);
	}
	atomic_store_explicit(&np.epfd, -1, memory_order_relaxed);
	np.evfd = -1;
	np.sigfd = -1; /* gsig.c's fork child closes it */
	atomic_store_explicit(&np.initlock.key, 0, memory_order_relaxed);
	atomic_store_explicit(&np.blocked, 0, memory_order_relaxed);
	atomic_store_explicit(&np.until, 0, memory_order_relaxed);
	atomic_store_explicit(&np.breaking, 0, memory_order_relaxed);
	atomic_store_explicit(&np.waiters, 0, memory_order_relaxed);
	atomic_store_explicit(&np.sigwatch, 0, memory_order_relaxed);
	for (int c = 0; c < PD_NCHUNK; c++) {
		struct pd *chunk = atomic_load_explicit(&chunks[c], memory_order_relaxed);
		if (!chunk)
			continue;
		for (int i = 0; i < PD_CHUNK; i++) {
			atomic_store_explicit(&chunk[i].lock.key, 0, memory_order_relaxed);
			atomic_store_explicit(&chunk[i].registered, false, memory_order_relaxed);
			chunk[i].waiters = NULL;
		}
	}
}

int mn_netpoll_sigfd(int fd)
{
	int ep = netpoll_init();
	if (ep < 0)
		return ep;
	struct epoll_event e = { .events = EPOLLIN | EPOLLET, .data.u64 = SIG_DATA };
	long r = mn_sys6(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, fd, (long)&e, 0, 0);
	if (r < 0)
		return (int)r;
	/* A waiter for good, to the scheduler: idle Ms block in epoll_wait,
	 * so a signal for a parked thread is seen at once. */
	np.sigfd = fd;
	/* seq_cst: before our look at sysmon's flag; pairs with
	 * sleep_while_idle's store of it before its look at the waiters */
	atomic_store_explicit(&np.sigwatch, 1, memory_order_seq_cst);
	atomic_thread_fence(memory_order_seq_cst);
	/* sysmon may have gone to sleep while every P was idle and nothing
	 * waited here (main's P orphaned by a slow fork, main now in
	 * sigsuspend with no P to retake): it polls the signals from now on
	 * until an M blocks in the poll (timeout under load left SIGCHLD
	 * pending for good). */
	mn_sysmon_wake();
	return 0;
}

bool mn_netpoll_is_ours(int fd)
{
	return fd >= 0 && (fd == atomic_load_explicit(&np.epfd, memory_order_relaxed) || fd == np.evfd ||
			   fd == np.sigfd);
}
