/* shims/futex.h: futex(2) made through syscall() (shims/futex.c). */
#ifndef MN_SHIMS_FUTEX_H
#define MN_SHIMS_FUTEX_H
#include <stdint.h>
#include <time.h>
#include "shims/shim.h"

/* 1 handled (*ret: >= 0 or -errno), 0 the kernel's. */
MN_SHIM int mn_futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts, uint32_t val3, long *ret);
#endif
