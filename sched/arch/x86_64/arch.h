/* sched/arch/x86_64/arch.h: the x86_64 pieces the portable runtime needs.
 *
 * A saved context (struct gctx) is the stack pointer of a suspended frame
 * plus the fs base (the glibc TCB) to install when it resumes.  The switch
 * itself (switch.S) pushes the callee-saved registers, MXCSR and the x87
 * control word on the old stack and pops them from the new one, so a
 * context is two words and a switch touches one cache line of each stack.
 * The offsets below are shared with switch.S and checked here.
 */
#ifndef MN_ARCH_X86_64_H
#define MN_ARCH_X86_64_H

#define GCTX_SP     0
#define GCTX_FSBASE 8
/* Bytes the switch frame occupies below the return address:
 * mxcsr+fpucw (8), r15, r14, r13, r12, rbx, rbp. */
#define ARCH_SWITCH_FRAME 56
/* The System V red zone: 128 bytes below rsp that a leaf function may use
 * without moving rsp; preemption (preempt.S) never writes there. */
#define PREEMPT_REDZONE 128

#ifndef __ASSEMBLER__
#include <stdint.h>
#include <stddef.h>

struct gctx {
	uintptr_t sp;     /* saved stack pointer; valid only while suspended */
	uintptr_t fsbase; /* thread pointer to load on resume; immutable per G */
};
#ifndef __cplusplus /* checked by every C build (C++ spells it static_assert) */
_Static_assert(offsetof(struct gctx, sp) == GCTX_SP, "gctx.sp");
_Static_assert(offsetof(struct gctx, fsbase) == GCTX_FSBASE, "gctx.fsbase");
#endif

/* Non-zero when the CPU and kernel allow wrfsbase/wrgsbase in user mode
 * (AT_HWCAP2 bit 1); set once by arch_init, read by switch.S. */
extern int mn_arch_have_fsgsbase;
/* Set by arch_init for preempt.S: whether the CPU and kernel have xsave
 * (CPUID.1:ECX.OSXSAVE), and the bytes the state of the features the
 * kernel enabled takes (CPUID.(0xD,0):EBX; 512 for fxsave without it). */
extern int mn_arch_have_xsave;
extern unsigned mn_arch_xsave_size;

/* The time-stamp counter, for per-G CPU time (sched/cputime.h): one
 * rdtsc, not serialising (a few cycles' skew around a switch do not
 * matter there).  arch_tsc_invariant says whether it ticks at a constant
 * rate in every power state (CPUID 0x80000007 EDX bit 8). */
static inline uint64_t arch_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}
int arch_tsc_invariant(void);

/* The preemption trampoline (preempt.S): resumed into by a signal context
 * edited with arch_preempt_redirect. */
void mn_arch_preempt(void);
/* The bytes of the G's stack a preemption uses below the interrupted rsp,
 * besides what mn_preempt_entry's C frames take. */
static inline size_t arch_preempt_stack_need(void)
{
	return PREEMPT_REDZONE + 8 + 17 * 8 + mn_arch_xsave_size + 64;
}
/* Make the signal context (its rip and rsp slots) "call" mn_arch_preempt
 * from the interrupted instruction, leaving the red zone alone. */
static inline void arch_preempt_redirect(uint64_t *rip, uint64_t *rsp)
{
	uint64_t slot = *rsp - 8 - PREEMPT_REDZONE;
	*(uint64_t *)(uintptr_t)slot = *rip;
	*rsp = slot;
	*rip = (uint64_t)(uintptr_t)mn_arch_preempt;
}

/* Save the current context into *from and resume *to.  Returns when some
 * other switch resumes *from.  Context: any stack; may run in a signal
 * handler on the M's sigaltstack (it touches no TLS and no locks). */
void mn_arch_switch(struct gctx *from, const struct gctx *to);

/* First frame of every G: pops the G pointer from r12 and calls
 * mn_gentry(gp); never returns.  Outermost frame for unwinders. */
void mn_arch_gstart(void);

void arch_init(void);

/* Prepare the stack of a new G so that mn_arch_switch to it enters
 * mn_arch_gstart with gp in r12.  top is the highest usable address. */
static inline void arch_make_ctx(struct gctx *c, void *top, void *gp, uintptr_t fsbase)
{
	uintptr_t t = ((uintptr_t)top & ~(uintptr_t)15);
	uint64_t *sp = (uint64_t *)(t - 8 - ARCH_SWITCH_FRAME);
	uint32_t mxcsr;
	uint16_t fpucw;
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(fpucw));
	sp[0] = (uint64_t)mxcsr | ((uint64_t)fpucw << 32);
	sp[1] = 0;                       /* r15 */
	sp[2] = 0;                       /* r14 */
	sp[3] = 0;                       /* r13 */
	sp[4] = (uint64_t)(uintptr_t)gp; /* r12 */
	sp[5] = 0;                       /* rbx */
	sp[6] = 0;                       /* rbp: ends frame-pointer walks */
	sp[7] = (uint64_t)(uintptr_t)mn_arch_gstart;
	c->sp = (uintptr_t)sp;
	c->fsbase = fsbase;
}

static inline uintptr_t arch_get_fsbase(void)
{
	uintptr_t v;
	__asm__ volatile("movq %%fs:0, %0" : "=r"(v)); /* tcb->header.tcb == tp */
	return v;
}

/* The current M: each M's GS base points at its struct m, whose first word
 * points to itself.  Valid only on threads that are Ms. */
static inline void *arch_getm(void)
{
	void *v;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(v));
	return v;
}
void arch_setm(void *m);

static inline void arch_pause(void) { __asm__ volatile("pause" ::: "memory"); }

/* A 32-bit field of the current thread's TCB, at constant offset OFF from
 * the thread pointer: one load through %fs. */
#define arch_tcb_load32(OFF)                                                   \
	__extension__({                                                        \
		int v_;                                                        \
		__asm__ volatile("movl %%fs:%c1, %0" : "=r"(v_) : "i"(OFF));   \
		v_;                                                            \
	})

/* A raw system call (the kernel's return value: >= 0 or -errno). */
static inline long arch_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#endif /* !__ASSEMBLER__ */
#endif
