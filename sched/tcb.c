/* sched/tcb.c: giving each G its own glibc thread (struct pthread + TLS).
 *
 * The glibc facts this file rests on (glibc 2.34-2.36, x86_64):
 *  - The thread pointer (the fs base) is the address of the thread's
 *    struct pthread, and pthread_t is that same address.  Its first part,
 *    tcbhead_t, is read through %fs by compiled code and by libc: the
 *    TCB's own address (0x00: a load of %fs:0 gives the thread pointer),
 *    the DTV (0x08), self (0x10, pthread_self), the stack-protector canary
 *    (0x28, %fs:0x28 in every protected function), the pointer guard
 *    (0x30, mangling the pointers setjmp and atexit store) and the CET
 *    feature word (0x48).  Canary, guard and feature word are the same in
 *    every thread of a process, so a G copies them from the M.
 *  - Static TLS (initial-exec variables of the program and of the
 *    libraries loaded with it, libc's own errno, malloc's tcache and arena
 *    pointers among them) sits just below struct pthread, at fixed
 *    negative offsets from the thread pointer.  Compilers cache such
 *    addresses across calls, which is why each G needs its own block.
 *  - ld.so exports, as GLIBC_PRIVATE, what nptl uses to make a thread:
 *    _dl_get_tls_static_info (size and alignment of static TLS plus the
 *    TCB), _dl_allocate_tls (a DTV for a given TCB, and every module's
 *    initialisation image copied into its static TLS), _dl_allocate_tls_init
 *    (the copy again, for a reused TCB) and _dl_deallocate_tls.
 *  - libc exports, for libthread_db, a descriptor per struct pthread
 *    field (_thread_db_pthread_<field>: three 32-bit words, the third the
 *    field's offset) and _thread_db_sizeof_pthread; __rseq_offset gives
 *    the rseq area's place from the thread pointer.
 *  - glibc's recursive and robust mutexes (the loader's lock among them)
 *    record their owner by the tid in struct pthread, so each G has a tid
 *    of its own (a made-up one, never a real thread's); cancelhandling
 *    holds the cancellation state pthread_cancel and pthread_testcancel
 *    use.
 *  - A thread's exit in glibc runs thread_local destructors
 *    (__call_tls_dtors), key destructors over __pthread_keys for up to 4
 *    rounds, closes the thread's resolver state (the res field, which the
 *    TLS pointer __resp points at; __res_iclose), frees its dlerror state,
 *    and the kernel walks its robust-mutex list (set_robust_list).  None
 *    of that happens for a G unless we do it.
 *  - rseq: a cpu_id of -2 in the area tells glibc that registration
 *    failed, so sched_getcpu asks the kernel instead of reading a CPU
 *    number that belongs to whichever M runs the G.
 *
 * Protocol:
 *  - create: _dl_allocate_tls(tcb) allocates the DTV and copies every TLS
 *    init image below the TCB, which sits at the top of the G's mapping
 *    as in nptl.
 *  - setup: clear struct pthread, then fill the fields glibc reads on a
 *    live thread (self pointers, guards copied from the M, a fake tid,
 *    robust list, stack block, rseq cpu_id = -2, specific[0]).
 *  - exit: run what glibc's thread exit runs, with fs on the G's TCB.
 *  - recycle: free the DTV's dynamic blocks, save libc's static block
 *    (tcache, arena), re-copy all init images, put libc's block back.
 *  - release (gfree.c's scavenger unmaps a G unused for a while): free
 *    the DTV's dynamic blocks and a malloc'd DTV (mn_tcb_release); libc's
 *    block lives on in a new G's TCB (mn_tcb_libc_save/adopt, below).
 * Rejected: swapping errno/TLS values in and out on each switch (compilers
 * cache TLS addresses), and freeing TCBs with libc's block in them
 * (malloc's per-thread state leaks).
 *
 * The offsets below are those of glibc 2.34-2.36's struct pthread.  At
 * start-up mn_tcb_init checks sizeof(struct pthread), __rseq_offset and
 * eight field offsets (tid, list, cancelhandling, specific,
 * report_events, start_routine, schedpolicy, the DTV) against what libc
 * exports; any mismatch refuses the glibc with one clear line.  The other
 * offsets have no descriptor and are trusted from the same layout.
 */
#include "tcb.h"
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <locale.h>
#include <netdb.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include "runtime.h"
#include "sema.h"
#include "throw.h"
#include "sys.h"
#include <linux/futex.h>
#undef p_type /* <resolv.h> renames it */

struct mn_tcbinfo mn_tcbinfo;

/* glibc 2.34-2.36 x86_64 struct pthread offsets (see nptl/descr.h). */
enum {
	OFF_HDR_TCB = 0x00, OFF_HDR_DTV = 0x08, OFF_HDR_SELF = 0x10, OFF_HDR_MULTI = 0x18,
	OFF_HDR_STACK_GUARD = 0x28, OFF_HDR_POINTER_GUARD = 0x30, OFF_HDR_FEATURE_1 = 0x48,
	OFF_HDR_UNUSED = 0x80, /* __glibc_unused2 and __padding, up to OFF_LIST */
	OFF_LIST = 704, OFF_TID = 720, OFF_ROBUST_PREV = 728, OFF_ROBUST_HEAD = 736,
	OFF_CLEANUP = 760, OFF_CLEANUP_JMP_BUF = 768, OFF_CANCELHANDLING = 776,
	OFF_SPECIFIC_1ST = 784, OFF_SPECIFIC = 1296, OFF_SPECIFIC_USED = 1552,
	OFF_REPORT_EVENTS = 1553, OFF_USER_STACK = 1554, OFF_JOINID = 1568, OFF_RESULT = 1576,
	OFF_SCHEDPARAM = 1584, OFF_SCHEDPOLICY = 1588, OFF_START_ROUTINE = 1592, OFF_ARG = 1600,
	OFF_STACKBLOCK = 1680, OFF_STACKBLOCK_SIZE = 1688, OFF_GUARDSIZE = 1696,
	OFF_REPORTED_GUARDSIZE = 1704, OFF_RES = 1720, OFF_TLS_STATE = 2304,
	SIZEOF_PTHREAD = 2368, RSEQ_OFFSET = 2336,
	OFF_RES_END = OFF_RES + sizeof(struct __res_state),
};
_Static_assert(OFF_TID == MN_TCB_OFF_TID, "tid offset");
_Static_assert(OFF_CANCELHANDLING == MN_TCB_OFF_CANCELHANDLING, "cancelhandling offset");
#define KEYS_MAX 1024
#define KEY_2NDLEVEL 32
#define KEY_1STLEVEL (KEYS_MAX / KEY_2NDLEVEL)
#define DESTRUCTOR_ITERATIONS 4

struct key_struct { uintptr_t seq; void (*destr)(void *); };
struct key_data { uintptr_t seq; void *data; };

static void *(*p_dl_allocate_tls)(void *);
static void *(*p_dl_allocate_tls_init)(void *, bool);
static void (*p_dl_deallocate_tls)(void *, bool);
static void (*p_dl_get_tls_static_info)(size_t *, size_t *);
static void (*p_call_tls_dtors)(void);
static void (*p_ctype_init)(void);
static void (*p_res_iclose)(res_state, bool);
static struct key_struct *p_keys;

static uintptr_t stack_guard, pointer_guard;
static uint32_t feature_1;
static intptr_t off_tls_g;      /* tp - &mn_tls_g */
static intptr_t off_resp;       /* tp - &__resp */
static intptr_t off_libc_tls;   /* tp - libc's static TLS block */
static size_t libc_tls_size;

#define AT(tcb, off, type) (*(type *)((tcb) + (off)))

static uintptr_t self_tp(void) { return arch_get_fsbase(); }

/* The static TLS blocks of the objects loaded at start-up, which
 * mn_tcb_recycle re-initialises itself: _dl_allocate_tls_init does the
 * same under ld.so's TLS lock and costs several times more.  libc's own
 * block is not in the list: recycling keeps it (malloc's tcache). */
#define MAX_TLS_MODS 32
struct tls_mod {
	intptr_t off;        /* tp - block */
	const void *image;   /* initialisation image */
	size_t filesz, memsz;
};
static struct tls_mod tls_mods[MAX_TLS_MODS];
static int ntls_mods;
static size_t nobjs_at_start;        /* objects dl_iterate_phdr saw at init */
static _Atomic unsigned long long tls_adds; /* dlpi_adds when last checked */
static _Atomic bool tls_slow;        /* re-initialise with _dl_allocate_tls_init */
static struct mn_lock tls_check_lock = MN_LOCK_INIT(LOCKRANK_TLSCHECK);

static _Atomic size_t tls_max_modid; /* highest module id seen */
/* The last object known to the fast test: loaded at start-up, or by our
 * own dlopen of libunwind (mn_tcb_adopt_own); a dlopen appends after it. */
static struct link_map *_Atomic tail_at_start;

static void note_modid(size_t id)
{
	if (id > atomic_load_explicit(&tls_max_modid, memory_order_relaxed))
		atomic_store_explicit(&tls_max_modid, id, memory_order_relaxed);
}

static int find_tls(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	nobjs_at_start++;
	note_modid(info->dlpi_tls_modid);
	atomic_store_explicit(&tls_adds, info->dlpi_adds, memory_order_relaxed);
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_TLS || ph->p_memsz == 0)
			continue;
		/* A block outside the static TLS area is dynamic TLS (an object
		 * dlopen'ed before we started): its DTV entry handles it. */
		intptr_t off = (intptr_t)self_tp() - (intptr_t)info->dlpi_tls_data;
		if (!info->dlpi_tls_data || off <= 0 || (size_t)off > mn_tcbinfo.static_size)
			continue;
		const char *n = info->dlpi_name;
		if (n && strstr(n, "/libc.so.6")) {
			off_libc_tls = off;
			libc_tls_size = ph->p_memsz;
		} else if (ntls_mods == MAX_TLS_MODS) {
			atomic_store(&tls_slow, true);
		} else {
			tls_mods[ntls_mods++] = (struct tls_mod){
				.off = off, .image = (const void *)(info->dlpi_addr + ph->p_vaddr),
				.filesz = ph->p_filesz, .memsz = ph->p_memsz };
		}
	}
	return 0;
}

/* Objects loaded after start-up (dlopen, and libc's own for NSS or
 * iconv): one with dynamic TLS changes nothing here (recycling resets its
 * DTV entry and glibc allocates it on first use), but one placed in
 * static TLS (DF_STATIC_TLS) has a block we do not know: from then on
 * recycling goes through ld.so. */
static int check_late_tls(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	size_t *index = data;
	note_modid(info->dlpi_tls_modid);
	if ((*index)++ < nobjs_at_start)
		return 0;
	const ElfW(Dyn) *dyn = NULL;
	bool tls = false;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type == PT_TLS && info->dlpi_phdr[i].p_memsz)
			tls = true;
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	}
	if (!tls)
		return 0;
	bool static_tls = dyn == NULL;
	for (; dyn && dyn->d_tag != DT_NULL; dyn++)
		if (dyn->d_tag == DT_FLAGS && (dyn->d_un.d_val & DF_STATIC_TLS))
			static_tls = true;
	if (static_tls)
		atomic_store(&tls_slow, true);
	return 0;
}

static int read_adds(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(unsigned long long *)data = info->dlpi_adds;
	return 1;
}

static struct link_map *last_object(void)
{
	struct link_map *t = _r_debug.r_map;
	while (t && t->l_next)
		t = t->l_next;
	return t;
}

struct link_map *mn_tcb_last_object(void) { return last_object(); }

void mn_tcb_adopt_own(struct link_map *before)
{
	mn_lock(&tls_check_lock);
	/* Only when nothing else was loaded since start-up: then the objects
	 * after before are libunwind and what it needs, held by our handle
	 * for good (never unloaded, so the new tail stays valid). */
	if (before && before == atomic_load_explicit(&tail_at_start, memory_order_relaxed)) {
		unsigned long long adds = 0;
		dl_iterate_phdr(read_adds, &adds);
		size_t index = 0;
		dl_iterate_phdr(check_late_tls, &index); /* their TLS, if any */
		atomic_store_explicit(&tls_adds, adds, memory_order_relaxed);
		atomic_store_explicit(&tail_at_start, last_object(), memory_order_relaxed);
	}
	mn_unlock(&tls_check_lock);
}

/* True when mn_tcb_recycle may initialise the static TLS blocks itself. */
static bool tls_fast(void)
{
	if (atomic_load_explicit(&tls_slow, memory_order_relaxed))
		return false;
	/* Nothing loaded since start-up: nothing to check (the cheap test;
	 * dl_iterate_phdr takes a lock). */
	/* relaxed: set once or twice, by a thread that holds the objects */
	struct link_map *tail = atomic_load_explicit(&tail_at_start, memory_order_relaxed);
	if (tail && tail->l_next == NULL)
		return true;
	unsigned long long adds = 0;
	dl_iterate_phdr(read_adds, &adds);
	if (adds == atomic_load_explicit(&tls_adds, memory_order_relaxed))
		return true;
	mn_lock(&tls_check_lock);
	if (adds != atomic_load_explicit(&tls_adds, memory_order_relaxed)) {
		size_t index = 0;
		dl_iterate_phdr(check_late_tls, &index);
		atomic_store_explicit(&tls_adds, adds, memory_order_relaxed);
	}
	mn_unlock(&tls_check_lock);
	return !atomic_load_explicit(&tls_slow, memory_order_relaxed);
}

static uintptr_t stack_used; /* &GL(dl_stack_used), a list_t; 0 if unknown */

/* glibc's list_t: { next, prev }, circular, at OFF_LIST in a descriptor. */
static void list_unlink(uintptr_t node)
{
	uintptr_t next = AT(node, 0, uintptr_t), prev = AT(node, 8, uintptr_t);
	AT(next, 8, uintptr_t) = prev;
	AT(prev, 0, uintptr_t) = next;
	AT(node, 0, uintptr_t) = node;
	AT(node, 8, uintptr_t) = node;
}

static void list_push(uintptr_t node, uintptr_t head)
{
	uintptr_t first = AT(head, 0, uintptr_t);
	AT(first, 8, uintptr_t) = node;
	AT(node, 0, uintptr_t) = first;
	AT(node, 8, uintptr_t) = head;
	AT(head, 0, uintptr_t) = node;
}

/* The child of fork, on the forking thread, before the program's own
 * child handlers.  When a G forks, glibc took the G's TCB for the running
 * thread's descriptor: it moved every other descriptor, the M's own among
 * them, to its stack cache with tid 0 (free for reuse: the next OS thread
 * glibc creates could get the stack this M runs on), put the G's TCB on
 * its list of running threads, and gave the kernel the G's TCB for the
 * thread's tid and robust-list addresses.  Undo that: the M's descriptor
 * goes back to the running list with its tid, the G's TCB leaves it and
 * keeps its own (fake) tid.  mtcb: the M's descriptor; gp: the forking G,
 * or NULL for a thread that is not one (glibc then got it right). */
void mn_tcb_fork_child(uintptr_t mtcb, struct g *gp)
{
	atomic_store_explicit(&tls_check_lock.key, 0, memory_order_relaxed);
	if (gp == NULL || gp->tcb == mtcb)
		return;
	list_unlink(mtcb + OFF_LIST);
	if (stack_used)
		list_push(mtcb + OFF_LIST, stack_used);
	AT(mtcb, OFF_TID, int) = (int)mn_sys6(SYS_gettid, 0, 0, 0, 0, 0, 0);
	mn_sys6(SYS_set_tid_address, (long)(mtcb + OFF_TID), 0, 0, 0, 0, 0);
	list_unlink(gp->tcb + OFF_LIST);
	/* Main, from whichever M, keeps what glibc gave it: the child's id
	 * (main's is the process's) and its robust list in the kernel, so
	 * that a child that dies holding a robust mutex releases it, as when
	 * main ran on the initial thread.  Any other G keeps its own id. */
	if (gp->flags & G_MAIN)
		return;
	mn_sys6(SYS_set_robust_list, (long)(mtcb + OFF_ROBUST_HEAD), 24, 0, 0, 0, 0);
	AT(gp->tcb, OFF_TID, int) = gp->fake_tid;
}

/* ------------------------------------------------- libc's block of a released G
 * gfree.c's scavenger unmaps Gs that sat unused in the caches, TCB and
 * static TLS with the rest.  libc's own static TLS block holds malloc's
 * per-thread state (the tcache and arena pointers, at offsets libc does
 * not export), which only glibc's exit of that very thread frees:
 * dropping the block would leak the tcache and every chunk cached in it.
 * So the scavenger keeps the block (libc's PT_TLS size, 144 bytes in
 * 2.36) and a new G adopts it (mn_tcb_libc_adopt), as a recycled TCB
 * keeps its own.  A block that holds nothing is dropped: "nothing" is the
 * block of a new G once it has started, copied from the first such G
 * (mn_tcb_note_fresh), compared but for the words every G start or setup
 * writes anyway (errno, h_errno, __resp: libc_mask).  Any other
 * difference keeps the block: keeping one wrongly costs its bytes,
 * dropping one wrongly would leak. */
#define LIBC_REF_MAX 1024
static unsigned char libc_ref[LIBC_REF_MAX];
static _Atomic int libc_ref_state; /* 0 none, 1 being copied, 2 ready */
static struct { size_t off, len; } libc_mask[3];
static int nlibc_mask; /* immutable after mn_tcb_init */

/* addr: a libc TLS variable of the calling (initial) thread. */
static void libc_mask_add(uintptr_t addr, size_t len)
{
	uintptr_t base = self_tp() - (uintptr_t)off_libc_tls;
	if (addr < base || addr + len > base + libc_tls_size || nlibc_mask == 3)
		return; /* not in the block: a difference there keeps the block */
	libc_mask[nlibc_mask].off = addr - base;
	libc_mask[nlibc_mask].len = len;
	nlibc_mask++;
}

static void libc_copy_masked(unsigned char *dst, uintptr_t tcb)
{
	memcpy(dst, (const void *)(tcb - (uintptr_t)off_libc_tls), libc_tls_size);
	for (int i = 0; i < nlibc_mask; i++)
		memset(dst + libc_mask[i].off, 0, libc_mask[i].len);
}

size_t mn_tcb_libc_bytes(void) { return libc_tls_size; }

void *mn_tcb_libc_block(uintptr_t tcb) { return (void *)(tcb - (uintptr_t)off_libc_tls); }

void mn_tcb_note_fresh(uintptr_t tcb)
{
	int none = 0;
	if (libc_tls_size > LIBC_REF_MAX ||
	    atomic_load_explicit(&libc_ref_state, memory_order_relaxed) != 0 ||
	    /* relaxed: only one G copies; the store of 2 publishes the copy */
	    !atomic_compare_exchange_strong_explicit(&libc_ref_state, &none, 1, memory_order_relaxed,
						     memory_order_relaxed))
		return;
	libc_copy_masked(libc_ref, tcb);
	/* release: the copy before the state; pairs with the acquire in mn_tcb_libc_save */
	atomic_store_explicit(&libc_ref_state, 2, memory_order_release);
}

bool mn_tcb_libc_save(uintptr_t tcb, void *buf)
{
	libc_copy_masked(buf, tcb);
	/* acquire: pairs with the release in mn_tcb_note_fresh (libc_ref's bytes) */
	return atomic_load_explicit(&libc_ref_state, memory_order_acquire) != 2 ||
	       memcmp(buf, libc_ref, libc_tls_size) != 0;
}

void mn_tcb_libc_adopt(uintptr_t tcb, const void *saved)
{
	memcpy((void *)(tcb - (uintptr_t)off_libc_tls), saved, libc_tls_size);
}

static bool db_off(void *libc, const char *name, uint32_t want)
{
	const uint32_t *d = dlsym(libc, name);
	return d != NULL && d[2] == want;
}

const char *mn_tcb_init(void)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *ld = dlopen("ld-linux-x86-64.so.2", RTLD_NOW | RTLD_NOLOAD);
	if (!libc || !ld)
		return "cannot find libc.so.6 and ld-linux-x86-64.so.2";
	const uint32_t *sz = dlsym(libc, "_thread_db_sizeof_pthread");
	const long *rseq_off = dlsym(libc, "__rseq_offset");
	if (!sz || *sz != SIZEOF_PTHREAD || !rseq_off || *rseq_off != RSEQ_OFFSET ||
	    !db_off(libc, "_thread_db_pthread_tid", OFF_TID) ||
	    !db_off(libc, "_thread_db_pthread_list", OFF_LIST) ||
	    !db_off(libc, "_thread_db_pthread_cancelhandling", OFF_CANCELHANDLING) ||
	    !db_off(libc, "_thread_db_pthread_specific", OFF_SPECIFIC) ||
	    !db_off(libc, "_thread_db_pthread_report_events", OFF_REPORT_EVENTS) ||
	    !db_off(libc, "_thread_db_pthread_start_routine", OFF_START_ROUTINE) ||
	    !db_off(libc, "_thread_db_pthread_schedpolicy", OFF_SCHEDPOLICY) ||
	    !db_off(libc, "_thread_db_pthread_dtvp", OFF_HDR_DTV))
		return "this glibc's struct pthread layout is not one mnthread knows (glibc 2.34-2.36 x86_64)";
	/* glibc's list of running threads' descriptors (fork_child below). */
	const uint32_t *used = dlsym(libc, "_thread_db_rtld_global__dl_stack_used");
	char *rtld_global = dlvsym(ld, "_rtld_global", "GLIBC_PRIVATE");
	if (used && rtld_global)
		stack_used = (uintptr_t)rtld_global + used[2];
	p_dl_allocate_tls = dlvsym(RTLD_DEFAULT, "_dl_allocate_tls", "GLIBC_PRIVATE");
	p_dl_allocate_tls_init = dlvsym(RTLD_DEFAULT, "_dl_allocate_tls_init", "GLIBC_PRIVATE");
	p_dl_deallocate_tls = dlvsym(RTLD_DEFAULT, "_dl_deallocate_tls", "GLIBC_PRIVATE");
	p_dl_get_tls_static_info = dlvsym(RTLD_DEFAULT, "_dl_get_tls_static_info", "GLIBC_PRIVATE");
	p_call_tls_dtors = dlvsym(libc, "__call_tls_dtors", "GLIBC_PRIVATE");
	p_ctype_init = dlvsym(libc, "__ctype_init", "GLIBC_PRIVATE");
	p_res_iclose = dlvsym(libc, "__res_iclose", "GLIBC_PRIVATE");
	p_keys = dlvsym(libc, "__pthread_keys", "GLIBC_PRIVATE");
	void *resp = dlvsym(libc, "__resp", "GLIBC_PRIVATE");
	if (!p_dl_allocate_tls || !p_dl_allocate_tls_init || !p_dl_deallocate_tls ||
	    !p_dl_get_tls_static_info || !p_call_tls_dtors || !p_ctype_init || !p_res_iclose ||
	    !p_keys || !resp)
		return "glibc lacks a private entry point mnthread needs (_dl_allocate_tls & co)";
	p_dl_get_tls_static_info(&mn_tcbinfo.static_size, &mn_tcbinfo.static_align);
	mn_tcbinfo.tcb_size = SIZEOF_PTHREAD;
	if (mn_tcbinfo.static_align < 64)
		mn_tcbinfo.static_align = 64;
	uintptr_t tp = self_tp();
	stack_guard = AT(tp, OFF_HDR_STACK_GUARD, uintptr_t);
	pointer_guard = AT(tp, OFF_HDR_POINTER_GUARD, uintptr_t);
	feature_1 = AT(tp, OFF_HDR_FEATURE_1, uint32_t);
	off_tls_g = (intptr_t)tp - (intptr_t)&mn_tls_g;
	off_resp = (intptr_t)tp - (intptr_t)resp;
	dl_iterate_phdr(find_tls, NULL);
	atomic_store_explicit(&tail_at_start, last_object(), memory_order_relaxed);
	if (libc_tls_size == 0 || off_libc_tls <= 0)
		return "cannot find libc's static TLS block";
	libc_mask_add((uintptr_t)&errno, sizeof(int));
	libc_mask_add((uintptr_t)__h_errno_location(), sizeof(int));
	libc_mask_add((uintptr_t)resp, sizeof(void *));
	return NULL;
}

/* A G's DTV lives in its mapping, next to its struct g, instead of in
 * ld.so's calloc'd block: with the stack top and the G, it shares one
 * page, which keeps a blocked thread at two pages of memory.  DTV_SLOTS
 * modules with TLS fit; glibc grows a DTV with realloc, so one that may
 * need to grow goes back to malloc'd memory first (dtv_to_malloc). */
#define DTV_SLOTS 128
#define DTV_BYTES ((DTV_SLOTS + 2) * 16)

size_t mn_tcb_header_bytes(void)
{
	return mn_tcbinfo.static_size + mn_tcbinfo.static_align + sizeof(struct g) + DTV_BYTES + 128;
}

size_t mn_tcb_dtv_bytes(void) { return DTV_BYTES; }

/* The DTV as ld.so installs it: dtv[-1] is the slot count, dtv[0] the
 * generation, each entry two words {val, to_free}. */
static uintptr_t *dtv_of(uintptr_t tcb) { return AT(tcb, OFF_HDR_DTV, uintptr_t *); }

static bool dtv_in_mapping(uintptr_t tcb)
{
	uintptr_t d = (uintptr_t)dtv_of(tcb);
	return d < tcb && d > tcb - mn_tcb_header_bytes();
}

/* Move tcb's DTV into area (DTV_BYTES, 16-aligned) when glibc's own has no
 * more than DTV_SLOTS slots (it holds the TLS modules plus 14 spare). */
void mn_tcb_place_dtv(uintptr_t tcb, void *area)
{
	uintptr_t *dtv = dtv_of(tcb);
	size_t len = dtv[-2];
	if (len > DTV_SLOTS)
		return;
	uintptr_t *base = area;
	memset(base, 0, DTV_BYTES);
	memcpy(base + 2, dtv, (len + 1) * 16);
	base[0] = DTV_SLOTS;
	AT(tcb, OFF_HDR_DTV, uintptr_t *) = base + 2;
	free(dtv - 2);
}

/* Before ld.so may resize or free the DTV: back to malloc'd memory. */
static void dtv_to_malloc(uintptr_t tcb)
{
	if (!dtv_in_mapping(tcb))
		return;
	uintptr_t *dtv = dtv_of(tcb);
	uintptr_t *copy = calloc(DTV_SLOTS + 2, 16);
	if (copy == NULL)
		mn_throw("out of memory for a DTV");
	memcpy(copy, dtv - 2, DTV_BYTES);
	AT(tcb, OFF_HDR_DTV, uintptr_t *) = copy + 2;
}

uintptr_t mn_tcb_create(uintptr_t top)
{
	uintptr_t tcb = (top - SIZEOF_PTHREAD) & ~(uintptr_t)(mn_tcbinfo.static_align - 1);
	memset((void *)tcb, 0, SIZEOF_PTHREAD);
	if (p_dl_allocate_tls((void *)tcb) == NULL)
		return 0;
	return tcb;
}

void mn_tcb_recycle(uintptr_t tcb)
{
	/* dtv[-1].counter is the number of slots; each slot {val, to_free}. */
	uintptr_t *dtv = AT(tcb, OFF_HDR_DTV, uintptr_t *);
	bool fast = tls_fast();
	size_t n = dtv[-2];
	/* Slots past the highest module id ever loaded were never filled
	 * (tls_fast has just counted the latest objects). */
	size_t maxid = atomic_load_explicit(&tls_max_modid, memory_order_relaxed);
	if (fast && n > maxid)
		n = maxid;
	for (size_t i = 1; i <= n; i++) {
		void *to_free = (void *)dtv[2 * i + 1];
		if (to_free) {
			free(to_free);
			dtv[2 * i] = (uintptr_t)-1; /* TLS_DTV_UNALLOCATED */
			dtv[2 * i + 1] = 0;
		}
	}
	if (fast) {
		for (int i = 0; i < ntls_mods; i++) {
			const struct tls_mod *m = &tls_mods[i];
			char *block = (char *)(tcb - (uintptr_t)m->off);
			memcpy(block, m->image, m->filesz);
			memset(block + m->filesz, 0, m->memsz - m->filesz);
		}
		return;
	}
	char saved[libc_tls_size];
	void *libc_block = (void *)(tcb - (uintptr_t)off_libc_tls);
	memcpy(saved, libc_block, libc_tls_size);
	dtv_to_malloc(tcb);
	p_dl_allocate_tls_init((void *)tcb, true);
	memcpy(libc_block, saved, libc_tls_size);
}

void mn_tcb_destroy(uintptr_t tcb)
{
	dtv_to_malloc(tcb);
	p_dl_deallocate_tls((void *)tcb, false);
}

void mn_tcb_release(uintptr_t tcb)
{
	if (!dtv_in_mapping(tcb)) {
		p_dl_deallocate_tls((void *)tcb, false);
		return;
	}
	/* What _dl_deallocate_tls does, but for the DTV itself, which goes
	 * with the mapping (no copy to malloc'd memory first: this runs to
	 * give memory back, and must not need any). */
	uintptr_t *dtv = dtv_of(tcb);
	size_t n = dtv[-2];
	for (size_t i = 1; i <= n; i++)
		free((void *)dtv[2 * i + 1]);
}

void mn_tcb_setup(uintptr_t tcb, struct g *gp)
{
	uintptr_t dtv = AT(tcb, OFF_HDR_DTV, uintptr_t);
	/* Clear struct pthread but for four parts a fresh TCB has zero and
	 * a dead G leaves clear (specific[1..31] below): the header's unused tail (the old
	 * _dl_runtime_resolve save area and padding, which nothing writes),
	 * specific_1st (mn_tcb_exit leaves its data NULL; the stale sequence
	 * numbers make glibc read NULL, as it must) and res (mn_tcb_exit). */
	memset((void *)tcb, 0, OFF_HDR_UNUSED);
	memset((void *)(tcb + OFF_LIST), 0, OFF_SPECIFIC_1ST - OFF_LIST);
	/* specific[1..31] are NULL: mn_tcb_exit freed and cleared every
	 * second-level block (glibc allocates one only for a non-NULL value,
	 * which also sets specific_used). */
	memset((void *)(tcb + OFF_SPECIFIC_USED), 0, OFF_RES - OFF_SPECIFIC_USED);
	memset((void *)(tcb + OFF_RES_END), 0, SIZEOF_PTHREAD - OFF_RES_END);
	AT(tcb, OFF_HDR_TCB, uintptr_t) = tcb;
	AT(tcb, OFF_HDR_DTV, uintptr_t) = dtv;
	AT(tcb, OFF_HDR_SELF, uintptr_t) = tcb;
	AT(tcb, OFF_HDR_MULTI, int) = 1;
	AT(tcb, OFF_HDR_STACK_GUARD, uintptr_t) = stack_guard;
	AT(tcb, OFF_HDR_POINTER_GUARD, uintptr_t) = pointer_guard;
	AT(tcb, OFF_HDR_FEATURE_1, uint32_t) = feature_1;
	AT(tcb, OFF_LIST, uintptr_t) = tcb + OFF_LIST;      /* list.next */
	AT(tcb, OFF_LIST + 8, uintptr_t) = tcb + OFF_LIST;  /* list.prev */
	AT(tcb, OFF_TID, int) = gp->fake_tid;
	AT(tcb, OFF_ROBUST_PREV, uintptr_t) = tcb + OFF_ROBUST_HEAD;
	AT(tcb, OFF_ROBUST_HEAD, uintptr_t) = tcb + OFF_ROBUST_HEAD; /* list = &head */
	AT(tcb, OFF_ROBUST_HEAD + 8, long) = -32;   /* futex_offset: __lock - __list.__next */
	AT(tcb, OFF_SPECIFIC, uintptr_t) = tcb + OFF_SPECIFIC_1ST;
	AT(tcb, OFF_USER_STACK, bool) = true;
	AT(tcb, OFF_SCHEDPOLICY, int) = gp->schedpolicy;
	AT(tcb, OFF_SCHEDPARAM, int) = gp->schedprio;
	AT(tcb, OFF_START_ROUTINE, void *) = (void *)gp->startfn;
	AT(tcb, OFF_ARG, void *) = gp->arg;
	AT(tcb, OFF_STACKBLOCK, void *) = (void *)gp->stack.lo;
	AT(tcb, OFF_STACKBLOCK_SIZE, size_t) = gp->stack.hi - gp->stack.lo;
	AT(tcb, OFF_GUARDSIZE, size_t) = gp->stack.guardsize;
	AT(tcb, OFF_REPORTED_GUARDSIZE, size_t) = gp->stack.guardsize;
	AT(tcb, RSEQ_OFFSET + 4, int32_t) = -2; /* rseq cpu_id: registration failed */
	/* Our TLS and libc's resolver pointer, in this TCB's static TLS. */
	*(struct g **)(tcb - (uintptr_t)off_tls_g) = gp;
	*(void **)(tcb - (uintptr_t)off_resp) = (void *)(tcb + OFF_RES);
}

void mn_tcb_start(struct g *gp)
{
	p_ctype_init();
	if (gp->recycled) {
		uselocale(LC_GLOBAL_LOCALE);
		*__h_errno_location() = 0;
	}
	errno = 0;
	if (!gp->recycled)
		mn_tcb_note_fresh(gp->tcb);
}

/* glibc's __nptl_deallocate_tsd, over the exported key table. */
void mn_tcb_run_key_destructors(uintptr_t tcb)
{
	bool *used = &AT(tcb, OFF_SPECIFIC_USED, bool);
	struct key_data **specific = (struct key_data **)(tcb + OFF_SPECIFIC);
	/* Only a non-NULL value sets *used, and only a non-NULL value
	 * allocates a second-level block (both glibc): nothing to do. */
	if (!*used)
		return;
	{
		int round = 0;
		do {
			*used = false;
			for (int i = 0; i < KEY_1STLEVEL; i++) {
				struct key_data *blk = specific[i];
				if (!blk)
					continue;
				for (int j = 0; j < KEY_2NDLEVEL; j++) {
					void *data = blk[j].data;
					if (!data)
						continue;
					blk[j].data = NULL;
					struct key_struct *k = &p_keys[i * KEY_2NDLEVEL + j];
					void (*d)(void *) = k->destr;
					if (blk[j].seq == k->seq && d)
						d(data);
				}
			}
		} while (*used && ++round < DESTRUCTOR_ITERATIONS);
		/* Destructors that kept setting values leave data behind, as in
		 * glibc; the next thread on this TCB must not see it. */
		if (*used)
			memset((void *)(tcb + OFF_SPECIFIC_1ST), 0, sizeof(struct key_data) * KEY_2NDLEVEL);
	}
	/* Every first-level data pointer is NULL now (setting a key to
	 * non-NULL sets *used): free the second-level blocks; mn_tcb_setup
	 * clears the rest. */
	for (int i = 1; i < KEY_1STLEVEL; i++) {
		if (specific[i]) {
			free(specific[i]);
			specific[i] = NULL;
		}
	}
	*used = false;
}

/* What the kernel does for a dying thread's robust list (glibc keeps the
 * list in the TCB, which for a G the kernel never sees): every robust
 * mutex still held gets FUTEX_OWNER_DIED, and one waiter is woken, so the
 * next locker sees EOWNERDEAD.  The list ends at the head; bit 0 of a link
 * marks a PI mutex. */
static void release_robust_list(uintptr_t tcb, int tid)
{
	uintptr_t head = tcb + OFF_ROBUST_HEAD;
	long futex_offset = AT(tcb, OFF_ROBUST_HEAD + 8, long);
	uintptr_t e = AT(tcb, OFF_ROBUST_HEAD, uintptr_t) & ~(uintptr_t)1;
	for (int limit = 0; e && e != head && limit < 2048; limit++) {
		uintptr_t next = *(uintptr_t *)e & ~(uintptr_t)1;
		_Atomic uint32_t *word = (_Atomic uint32_t *)(e + futex_offset);
		uint32_t v = atomic_load_explicit(word, memory_order_relaxed);
		while ((v & FUTEX_TID_MASK) == (uint32_t)tid) {
			uint32_t nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
			if (atomic_compare_exchange_weak_explicit(word, &v, nv, memory_order_release,
								  memory_order_relaxed)) {
				if (v & FUTEX_WAITERS)
					mn_sys6(SYS_futex, (long)word, FUTEX_WAKE, 1, 0, 0, 0);
				mn_sema_wake(word, 1); /* Gs parked on it (shims/mutex.c) */
				break;
			}
		}
		e = next;
	}
	AT(tcb, OFF_ROBUST_HEAD, uintptr_t) = head;
	AT(tcb, OFF_ROBUST_HEAD + 16, uintptr_t) = 0;
}

void mn_tcb_exit(struct g *gp)
{
	uintptr_t tcb = gp->tcb;
	if (AT(tcb, OFF_ROBUST_HEAD, uintptr_t) != tcb + OFF_ROBUST_HEAD)
		release_robust_list(tcb, gp->fake_tid);
	p_call_tls_dtors();
	mn_tcb_run_key_destructors(tcb);
	/* glibc's test for a resolver this thread never initialised. */
	res_state rs = (res_state)(tcb + OFF_RES);
	if (rs->nscount != 0 || (rs->options & RES_INIT)) {
		p_res_iclose(rs, true);
		memset(rs, 0, sizeof *rs);
	}
	void **tls_state = (void **)(tcb + OFF_TLS_STATE);
	free(tls_state[0]);
	free(tls_state[1]);
	tls_state[0] = tls_state[1] = NULL;
	/* dlerror keeps a per-thread message: a call returns it, the next
	 * frees it; a NULL answer means there is nothing (left) to free. */
	if (dlerror() != NULL)
		dlerror();
}

void *mn_tcb_field(uintptr_t tcb, int field)
{
	static const int off[] = {
		[TCBF_TID] = OFF_TID, [TCBF_CLEANUP_JMP_BUF] = OFF_CLEANUP_JMP_BUF,
		[TCBF_CANCELHANDLING] = OFF_CANCELHANDLING, [TCBF_RESULT] = OFF_RESULT,
		[TCBF_STACKBLOCK] = OFF_STACKBLOCK, [TCBF_STACKBLOCK_SIZE] = OFF_STACKBLOCK_SIZE,
		[TCBF_GUARDSIZE] = OFF_GUARDSIZE, [TCBF_SCHEDPOLICY] = OFF_SCHEDPOLICY,
		[TCBF_SCHEDPARAM] = OFF_SCHEDPARAM,
	};
	return (void *)(tcb + off[field]);
}

struct g *mn_tcb_getg(uintptr_t tcb)
{
	return *(struct g **)(tcb - (uintptr_t)off_tls_g);
}
