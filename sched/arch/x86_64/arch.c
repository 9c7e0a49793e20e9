/* sched/arch/x86_64/arch.c: CPU feature probe, the gs base setter and vfork's helpers.
 * Raw system calls only: libc's syscall() is interposed by preload/. */
#include <cpuid.h>
#include <errno.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <asm/prctl.h>
#include "arch.h"

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

int mn_arch_have_fsgsbase __attribute__((visibility("hidden")));
int mn_arch_have_xsave __attribute__((visibility("hidden")));
unsigned mn_arch_xsave_size __attribute__((visibility("hidden"))) = 512;

void arch_init(void)
{
	mn_arch_have_fsgsbase = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
	unsigned a, b, c, d;
	/* OSXSAVE (CPUID.1:ECX bit 27): the CPU has xsave and the kernel
	 * enabled it (XCR0); then leaf 0xD sub-leaf 0 EBX is the size of the
	 * area for the features XCR0 enables now. */
	if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 27)) && __get_cpuid_max(0, NULL) >= 0xd) {
		__cpuid_count(0xd, 0, a, b, c, d);
		if (b >= 576) {
			mn_arch_have_xsave = 1;
			mn_arch_xsave_size = b;
		}
	}
}

int arch_tsc_invariant(void)
{
	unsigned a, b, c, d;
	if (__get_cpuid_max(0x80000000, NULL) < 0x80000007)
		return 0;
	__cpuid(0x80000007, a, b, c, d);
	return (d >> 8) & 1;
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
