/* sched/arch/x86_64/arch.c: CPU feature probe and the gs base setter. */
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>
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
		syscall(SYS_arch_prctl, ARCH_SET_GS, m);
}
