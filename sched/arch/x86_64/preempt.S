/* sched/arch/x86_64/preempt.S: the asynchronous preemption trampoline.
 *
 * The preemption signal's handler (sched/preempt.c) decides that the
 * interrupted G may be switched out, and edits the signal context so that
 * sigreturn "calls" mn_arch_preempt from the interrupted instruction:
 *
 *   slot = interrupted rsp - 8 - PREEMPT_REDZONE
 *   [slot] = interrupted rip;  rsp = slot;  rip = mn_arch_preempt
 *
 * so the 128-byte red zone below the interrupted rsp (where the
 * interrupted leaf function may keep data) is never written.  The
 * trampoline then saves, on the G's own stack, everything the interrupted
 * code could be using: the flags, every general register, and the whole
 * extended state (x87, SSE, AVX, AVX-512, ...) with xsave and the size the
 * CPU reports (fxsave where the CPU has no xsave), calls
 * mn_preempt_entry (which yields the G), restores it all, and returns with
 * `ret $PREEMPT_REDZONE`: rip = [slot], rsp = slot + 8 + 128, exactly the
 * interrupted rsp.
 *
 * The CFI marks this as a signal-style frame (the "return address" is the
 * exact interrupted instruction) and gives every saved register, so
 * debuggers and libunwind walk a preempted G into the code it was running.
 */
#include "arch.h"

/* Offsets from the frame base (rbx after the pushes): the saved
 * registers, in push order from the top. */
	.text
	.globl	mn_arch_preempt
	.hidden	mn_arch_preempt
	.type	mn_arch_preempt, @function
	.p2align 4
mn_arch_preempt:
	.cfi_startproc
	.cfi_signal_frame
	/* CFA = rsp + 8 (the slot holds the interrupted rip); the
	 * interrupted rsp is CFA + 128. */
	.cfi_val_offset %rsp, PREEMPT_REDZONE
	pushfq
	.cfi_adjust_cfa_offset 8
	pushq	%rax
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rax, 0
	pushq	%rcx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rcx, 0
	pushq	%rdx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rdx, 0
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbx, 0
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	pushq	%rsi
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rsi, 0
	pushq	%rdi
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rdi, 0
	pushq	%r8
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r8, 0
	pushq	%r9
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r9, 0
	pushq	%r10
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r10, 0
	pushq	%r11
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r11, 0
	pushq	%r12
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r12, 0
	pushq	%r13
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r13, 0
	pushq	%r14
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r14, 0
	pushq	%r15
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r15, 0
	/* The C code below wants the ABI's flags: DF clear. */
	cld
	movq	%rsp, %rbx
	.cfi_def_cfa_register %rbx
	/* The extended state, 64-byte aligned below the saved registers. */
	movl	mn_arch_xsave_size(%rip), %eax
	subq	%rax, %rsp
	andq	$-64, %rsp
	testl	$1, mn_arch_have_xsave(%rip)
	jz	1f
	/* xrstor wants the header's reserved bytes zero; xsave writes only
	 * its XSTATE_BV. */
	xorl	%eax, %eax
	movq	%rax, 512(%rsp)
	movq	%rax, 520(%rsp)
	movq	%rax, 528(%rsp)
	movq	%rax, 536(%rsp)
	movq	%rax, 544(%rsp)
	movq	%rax, 552(%rsp)
	movq	%rax, 560(%rsp)
	movq	%rax, 568(%rsp)
	movl	$-1, %eax
	movl	$-1, %edx
	xsave64	(%rsp)
	jmp	2f
1:	fxsave64 (%rsp)
2:
	call	mn_preempt_entry
	testl	$1, mn_arch_have_xsave(%rip)
	jz	3f
	movl	$-1, %eax
	movl	$-1, %edx
	xrstor64 (%rsp)
	jmp	4f
3:	fxrstor64 (%rsp)
4:
	movq	%rbx, %rsp
	.cfi_def_cfa_register %rsp
	popq	%r15
	.cfi_adjust_cfa_offset -8
	popq	%r14
	.cfi_adjust_cfa_offset -8
	popq	%r13
	.cfi_adjust_cfa_offset -8
	popq	%r12
	.cfi_adjust_cfa_offset -8
	popq	%r11
	.cfi_adjust_cfa_offset -8
	popq	%r10
	.cfi_adjust_cfa_offset -8
	popq	%r9
	.cfi_adjust_cfa_offset -8
	popq	%r8
	.cfi_adjust_cfa_offset -8
	popq	%rdi
	.cfi_adjust_cfa_offset -8
	popq	%rsi
	.cfi_adjust_cfa_offset -8
	popq	%rbp
	.cfi_adjust_cfa_offset -8
	popq	%rbx
	.cfi_adjust_cfa_offset -8
	popq	%rdx
	.cfi_adjust_cfa_offset -8
	popq	%rcx
	.cfi_adjust_cfa_offset -8
	popq	%rax
	.cfi_adjust_cfa_offset -8
	popfq
	.cfi_adjust_cfa_offset -8
	ret	$PREEMPT_REDZONE
	.cfi_endproc
	.size	mn_arch_preempt, .-mn_arch_preempt

	.section .note.GNU-stack,"",@progbits
