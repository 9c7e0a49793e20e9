/* sched/arch/x86_64/arch.c: CPU feature probe, the gs base setter and vfork's helpers.
 * Raw system calls only: libc's syscall() is interposed by preload/. */
#include <errno.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <asm/prctl.h>
#include "arch.h"

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

int mn_arch_have_fsgsbase __attribute__((visibility("hidden")));

void arch_init(void)
{
	mn_arch_have_fsgsbase = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
}

void arch_setm(void *m)
{
	if (mn_arch_have_fsgsbase)
		__asm__ volatile("wrgsbase %0" ::"r"(m) : "memory");
	else
		arch_syscall6(SYS_arch_prctl, ARCH_SET_GS, (long)m, 0, 0, 0, 0);
}

/* vfork.S: set in a vfork child, which shares its parent's TCB and so
 * this TLS (read by the layers above: shims/start.h). */
__thread int mn_tls_vfork_child __attribute__((visibility("hidden")));

/* vfork.S: the system call failed. */
int mn_vfork_failed(int err) __attribute__((visibility("hidden")));
int mn_vfork_failed(int err)
{
	errno = err;
	return -1;
}
