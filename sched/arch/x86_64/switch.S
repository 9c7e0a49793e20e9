/* sched/arch/x86_64/switch.S: the G context switch and the first frame of
 * a G.  See arch.h for the contract and the frame layout.
 *
 * The frame saved on the suspended stack, from its stack pointer up:
 *   0: mxcsr (4 bytes), x87 control word (2 bytes), pad
 *   8: r15  16: r14  24: r13  32: r12  40: rbx  48: rbp  56: return address
 * CFI describes every push so gdb and libunwind can unwind a suspended G
 * from inside mn_arch_switch.
 */
#include "arch.h"

	.text
	.globl	mn_arch_switch
	.hidden	mn_arch_switch
	.type	mn_arch_switch, @function
	.p2align 4
mn_arch_switch:
	.cfi_startproc
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbx, 0
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
	subq	$8, %rsp
	.cfi_adjust_cfa_offset 8
	stmxcsr	0(%rsp)
	fnstcw	4(%rsp)
	movq	%rsp, GCTX_SP(%rdi)

	/* From here on we run on the new stack: its frame has the same shape. */
	movq	GCTX_SP(%rsi), %rsp
	movq	GCTX_FSBASE(%rsi), %rax
	testl	$1, mn_arch_have_fsgsbase(%rip)
	jz	1f
	wrfsbase %rax
2:
	ldmxcsr	0(%rsp)
	fldcw	4(%rsp)
	addq	$8, %rsp
	.cfi_adjust_cfa_offset -8
	popq	%r15
	.cfi_adjust_cfa_offset -8
	popq	%r14
	.cfi_adjust_cfa_offset -8
	popq	%r13
	.cfi_adjust_cfa_offset -8
	popq	%r12
	.cfi_adjust_cfa_offset -8
	popq	%rbx
	.cfi_adjust_cfa_offset -8
	popq	%rbp
	.cfi_adjust_cfa_offset -8
	ret
1:	/* No FSGSBASE: arch_prctl(ARCH_SET_FS, rax).  Clobbers rcx, r11,
	 * rdi, rsi: all caller-saved, and nothing below needs them. */
	movq	%rax, %rsi
	movl	$0x1002, %edi
	movl	$158, %eax
	syscall
	jmp	2b
	.cfi_endproc
	.size	mn_arch_switch, .-mn_arch_switch

/* The first frame of a G.  mn_arch_switch "returns" here with the G in r12
 * and rsp 16-byte aligned.  The return address column is undefined so
 * unwinders stop here: this is the outermost frame of the G. */
	.globl	mn_arch_gstart
	.hidden	mn_arch_gstart
	.type	mn_arch_gstart, @function
	.p2align 4
mn_arch_gstart:
	.cfi_startproc
	.cfi_undefined %rip
	xorl	%ebp, %ebp
	movq	%r12, %rdi
	call	mn_gentry
	ud2
	.cfi_endproc
	.size	mn_arch_gstart, .-mn_arch_gstart

	.section .note.GNU-stack,"",@progbits
