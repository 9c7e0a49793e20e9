/* sched/arch/x86_64/vfork.S: vfork that marks the child.
 *
 * A vfork child borrows its parent's stack and TCB, so it runs "as" the
 * parent G and must never switch Gs.  vfork cannot be wrapped by a C
 * function (the child would return through, and clobber, the wrapper's
 * frame), so this is the whole call: the return address lives in a
 * register across the syscall, as in glibc.  The child sets
 * mn_tls_vfork_child in the TLS it shares with the parent; the parent,
 * resumed after the child's exec or exit, clears it.  The child then
 * takes its G's signal mask in the kernel (mn_gsig_vfork_child), which
 * is what it execs with.  This is the one
 * interposed name defined outside preload/ (listed in preload/mnthread.map).
 */
	.text
	.globl	vfork
	.type	vfork, @function
	.p2align 4
vfork:
	.cfi_startproc
	popq	%rdx
	.cfi_adjust_cfa_offset -8
	.cfi_register %rip, %rdx
	movl	$58, %eax		/* SYS_vfork */
	syscall
	pushq	%rdx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rip, 0
	movq	mn_tls_vfork_child@gottpoff(%rip), %rcx
	cmpq	$-4095, %rax
	jae	2f
	testq	%rax, %rax
	jnz	1f
	movl	$1, %fs:(%rcx)		/* child */
	jmp	mn_gsig_vfork_child	/* returns 0 to our caller */
1:	movl	$0, %fs:(%rcx)		/* parent, resumed */
	ret
2:	negl	%eax
	movl	%eax, %edi
	jmp	mn_vfork_failed
	.cfi_endproc
	.size	vfork, .-vfork
	.section .note.GNU-stack,"",@progbits
