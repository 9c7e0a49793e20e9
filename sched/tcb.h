/* sched/tcb.h: a glibc thread control block (struct pthread) per G.
 * sched/tcb.c opens with the glibc facts this rests on. */
#ifndef MN_TCB_H
#define MN_TCB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "arch/x86_64/arch.h"

struct g;
struct mn_tcbinfo {
	size_t static_size;   /* _dl_get_tls_static_info: TLS blocks + TCB */
	size_t static_align;
	size_t tcb_size;      /* sizeof(struct pthread) */
};
extern struct mn_tcbinfo mn_tcbinfo __attribute__((visibility("hidden")));

/* Resolve glibc's private entry points and check the struct pthread
 * layout.  Returns NULL, or a one-line reason why this glibc is refused. */
const char *mn_tcb_init(void) __attribute__((visibility("hidden")));

/* The child of fork: give glibc back the forking M's descriptor (its
 * fork took the forking G's TCB for it).  mtcb: the M's own thread
 * pointer; gp: the forking G, NULL for a thread that is not one. */
struct g;
void mn_tcb_fork_child(uintptr_t mtcb, struct g *gp) __attribute__((visibility("hidden")));

/* struct pthread's tid (glibc 2.34-2.36 x86_64; mn_tcb_init checks it
 * against _thread_db_pthread_tid): the calling thread's own tid, a G's
 * fake one, read with one load through %fs. */
#define MN_TCB_OFF_TID 720
static inline int mn_tcb_self_tid(void)
{
	return arch_tcb_load32(MN_TCB_OFF_TID);
}
/* struct pthread's cancelhandling, and the bits of it that mean the same
 * in every glibc from 2.34 on (nptl/descr.h): a cancellation request, and
 * a thread already exiting. */
#define MN_TCB_OFF_CANCELHANDLING 776
#define MN_CANCELED_BITMASK 0x08
#define MN_EXITING_BITMASK 0x10
#define MN_TERMINATED_BITMASK 0x20
/* A cancellation request is pending for the calling thread (one load). */
static inline bool mn_tcb_self_cancel_pending(void)
{
	int ch = arch_tcb_load32(MN_TCB_OFF_CANCELHANDLING);
	return (ch & (MN_CANCELED_BITMASK | MN_EXITING_BITMASK | MN_TERMINATED_BITMASK)) ==
	       MN_CANCELED_BITMASK;
}
/* The same for another thread's TCB. */
static inline bool mn_tcb_cancel_pending(uintptr_t tcb)
{
	int ch = __atomic_load_n((int *)(tcb + MN_TCB_OFF_CANCELHANDLING), __ATOMIC_RELAXED);
	return (ch & (MN_CANCELED_BITMASK | MN_EXITING_BITMASK | MN_TERMINATED_BITMASK)) ==
	       MN_CANCELED_BITMASK;
}
/* Cancellation enabled and asynchronous for the calling thread: a
 * request acts at once, in any wait, not only at cancellation points. */
#define MN_CANCELSTATE_BITMASK 0x01
#define MN_CANCELTYPE_BITMASK 0x02
static inline bool mn_tcb_self_async_cancel(void)
{
	int ch = arch_tcb_load32(MN_TCB_OFF_CANCELHANDLING);
	return (ch & (MN_CANCELSTATE_BITMASK | MN_CANCELTYPE_BITMASK)) == MN_CANCELTYPE_BITMASK;
}
/* A request pending that acts at once (enabled, asynchronous) for the
 * thread of tcb: what sysmon looks for to deliver it by signal. */
static inline bool mn_tcb_async_cancel_pending(uintptr_t tcb)
{
	int ch = __atomic_load_n((int *)(tcb + MN_TCB_OFF_CANCELHANDLING), __ATOMIC_RELAXED);
	return (ch & (MN_CANCELSTATE_BITMASK | MN_CANCELTYPE_BITMASK | MN_CANCELED_BITMASK | MN_EXITING_BITMASK |
		      MN_TERMINATED_BITMASK)) == (MN_CANCELTYPE_BITMASK | MN_CANCELED_BITMASK);
}
/* Bytes a G mapping needs above its stack for struct g, TLS and TCB. */
size_t mn_tcb_header_bytes(void) __attribute__((visibility("hidden")));
/* Our own dlopen (libunwind, for good): mn_tcb_last_object before it,
 * mn_tcb_adopt_own after, so that recycling a G keeps its lock-free test
 * for "nothing loaded since start-up" (otherwise each create walks the
 * loader's list under its lock).  Context: any thread, no runtime lock. */
struct link_map;
struct link_map *mn_tcb_last_object(void) __attribute__((visibility("hidden")));
void mn_tcb_adopt_own(struct link_map *before) __attribute__((visibility("hidden")));
/* Place the TCB at the top of [.., top), allocate its DTV and initialise
 * its static TLS.  Returns the thread pointer, or 0 on ENOMEM. */
uintptr_t mn_tcb_create(uintptr_t top) __attribute__((visibility("hidden")));
/* Move the DTV into area (DTV_BYTES in tcb.c, 16-aligned) when it fits. */
void mn_tcb_place_dtv(uintptr_t tcb, void *area) __attribute__((visibility("hidden")));
size_t mn_tcb_dtv_bytes(void) __attribute__((visibility("hidden")));
/* Re-initialise the TLS of a TCB whose G exited, keeping libc's own block
 * (malloc's tcache and arena). */
void mn_tcb_recycle(uintptr_t tcb) __attribute__((visibility("hidden")));
void mn_tcb_destroy(uintptr_t tcb) __attribute__((visibility("hidden")));
/* Free what tcb holds outside its mapping (dynamic TLS, a malloc'd DTV),
 * allocating nothing, before the mapping goes. */
void mn_tcb_release(uintptr_t tcb) __attribute__((visibility("hidden")));
/* Fill the struct pthread fields for gp (tid, self, guards, stack...). */
void mn_tcb_setup(uintptr_t tcb, struct g *gp) __attribute__((visibility("hidden")));
/* At G start, with fs on the G's TCB: per-thread libc state. */
void mn_tcb_start(struct g *gp) __attribute__((visibility("hidden")));
/* At G exit, with fs on the G's TCB: what glibc's thread exit runs
 * (thread_local destructors, key destructors, resolver, buffers). */
void mn_tcb_run_key_destructors(uintptr_t tcb) __attribute__((visibility("hidden")));
void mn_tcb_exit(struct g *gp) __attribute__((visibility("hidden")));
/* libc's static TLS block of a G the scavenger releases (gfree.c; tcb.c
 * says why it is kept).  mn_tcb_libc_save copies tcb's block into buf
 * (mn_tcb_libc_bytes() of them, the words a start rewrites cleared) and
 * says whether it holds per-thread state worth keeping; a new G's TCB
 * takes a kept one with mn_tcb_libc_adopt (the G then starts as a
 * recycled one).  mn_tcb_note_fresh: tcb belongs to a G that has just
 * started, on a TCB of its own (the block to compare with; the first
 * call wins). */
size_t mn_tcb_libc_bytes(void) __attribute__((visibility("hidden")));
void *mn_tcb_libc_block(uintptr_t tcb) __attribute__((visibility("hidden")));
bool mn_tcb_libc_save(uintptr_t tcb, void *buf) __attribute__((visibility("hidden")));
void mn_tcb_libc_adopt(uintptr_t tcb, const void *saved) __attribute__((visibility("hidden")));
void mn_tcb_note_fresh(uintptr_t tcb) __attribute__((visibility("hidden")));
/* struct pthread field access (offsets checked at init). */
void *mn_tcb_field(uintptr_t tcb, int field) __attribute__((visibility("hidden")));
enum { TCBF_TID, TCBF_CLEANUP_JMP_BUF, TCBF_CANCELHANDLING, TCBF_RESULT, TCBF_STACKBLOCK,
       TCBF_STACKBLOCK_SIZE, TCBF_GUARDSIZE, TCBF_SCHEDPOLICY, TCBF_SCHEDPARAM };
/* The G of a thread pointer, read from that TCB's copy of our TLS. */
struct g *mn_tcb_getg(uintptr_t tcb) __attribute__((visibility("hidden")));
#endif
