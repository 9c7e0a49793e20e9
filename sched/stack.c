/* sched/stack.c: mapping G memory, with guard pages.
 *
 * Guards use madvise(MADV_GUARD_INSTALL) (Linux 6.13+): the guard lives in
 * the page tables, so the mapping is not split and 100,000 stacks stay far
 * below vm.max_map_count.  Older kernels get mprotect(PROT_NONE) guards,
 * which split the VMA (two per stack: about 30,000 threads at most); we
 * fall back once, for good, and say so when MN_DEBUG=guardinfo=1.
 * Rejected: no guard at all (silent corruption on overflow), and one big
 * pre-reserved arena (fixes the thread count at start-up).
 */
#include "stack.h"
#include <errno.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include "env.h"
#include "runtime.h"
#include "throw.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

size_t mn_default_stacksize;
size_t mn_pagesize;
static _Atomic int guard_mprotect; /* 1 once MADV_GUARD_INSTALL was refused */

void mn_stack_init(void)
{
	mn_pagesize = (size_t)sysconf(_SC_PAGESIZE);
	/* glibc's rule (__pthread_early_init): RLIMIT_STACK, at least
	 * PTHREAD_STACK_MIN; 2 MiB (ARCH_STACK_DEFAULT_SIZE) when unlimited or
	 * unknown. */
	struct rlimit rl;
	size_t sz = 2u << 20;
	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		sz = rl.rlim_cur < 16384 ? 16384 : rl.rlim_cur;
	mn_default_stacksize = (sz + mn_pagesize - 1) & ~(mn_pagesize - 1);
}

const char *mn_stack_guardkind(void)
{
	return atomic_load_explicit(&guard_mprotect, memory_order_relaxed) ? "mprotect" : "madvise";
}

static int install_guard(void *addr, size_t len)
{
	if (len == 0)
		return 0;
	if (!atomic_load_explicit(&guard_mprotect, memory_order_relaxed)) {
		if (madvise(addr, len, MADV_GUARD_INSTALL) == 0)
			return 0;
		if (errno != EINVAL)
			return -errno;
		atomic_store_explicit(&guard_mprotect, 1, memory_order_relaxed);
		if (mn_env.guardinfo)
			mn_print("mnthread: MADV_GUARD_INSTALL unsupported; stack guards use mprotect "
				 "(each stack costs two mappings; vm.max_map_count limits threads)\n");
	}
	return mprotect(addr, len, PROT_NONE) == 0 ? 0 : -errno;
}

int mn_stack_alloc(struct mn_stack *st, const struct mn_stack_req *req, size_t header_bytes)
{
	size_t pg = mn_pagesize;
	size_t guard = 0, stack = 0;
	if (!req->userstack) {
		guard = (req->guardsize + pg - 1) & ~(pg - 1);
		stack = req->stacksize ? req->stacksize : mn_default_stacksize;
		stack = (stack + pg - 1) & ~(pg - 1);
	}
	size_t hdr = (header_bytes + pg - 1) & ~(pg - 1);
	size_t len = guard + stack + hdr;
	void *map = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (map == MAP_FAILED)
		return errno == ENOMEM ? -EAGAIN : -errno;
	int r = install_guard(map, guard);
	if (r < 0) {
		munmap(map, len);
		return r == -ENOMEM ? -EAGAIN : r;
	}
	st->map = map;
	st->mapsize = len;
	st->guardsize = guard;
	st->reqsize = req->userstack ? 0 : req->stacksize;
	st->user = req->userstack != NULL;
	if (st->user) {
		st->lo = (uintptr_t)req->userstack;
		st->hi = (uintptr_t)req->userstack + req->usersize;
	} else {
		st->lo = (uintptr_t)map + guard;
		st->hi = (uintptr_t)map + guard + stack; /* the header follows */
	}
	return 0;
}

void mn_stack_free(struct mn_stack *st)
{
	munmap(st->map, st->mapsize);
	st->map = NULL;
}

void mn_stack_free_many(struct mn_stack *st, int n)
{
	/* Insertion sort by address: n is a scavenger's chunk (a few dozen),
	 * and qsort may call malloc. */
	for (int i = 1; i < n; i++) {
		struct mn_stack x = st[i];
		int j = i;
		for (; j > 0 && (uintptr_t)st[j - 1].map > (uintptr_t)x.map; j--)
			st[j] = st[j - 1];
		st[j] = x;
	}
	for (int i = 0; i < n;) {
		uintptr_t lo = (uintptr_t)st[i].map, hi = lo + st[i].mapsize;
		int j = i + 1;
		for (; j < n && (uintptr_t)st[j].map == hi; j++)
			hi += st[j].mapsize;
		munmap((void *)lo, hi - lo);
		for (; i < j; i++)
			st[i].map = NULL;
	}
}
