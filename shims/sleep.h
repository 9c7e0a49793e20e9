/* shims/sleep.h: sleeping and deadlines (shims/sleep.c). */
#ifndef MN_SHIMS_SLEEP_H
#define MN_SHIMS_SLEEP_H
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "shims/shim.h"

/* Sleeps park the G: 0 or -errno (-EINVAL, -EOPNOTSUPP: a clock they do
 * not handle); rem filled on -EINTR. */
MN_SHIM int mn_sleep_rel(clockid_t clock, const struct timespec *req, struct timespec *rem);
MN_SHIM int mn_sleep_abs(clockid_t clock, const struct timespec *abstime);
/* The caller is a G that sleeps by parking. */
MN_SHIM bool mn_sleep_is_g(void);
/* Absolute time on clock -> CLOCK_MONOTONIC deadline (ns); 0 or -EINVAL. */
MN_SHIM int mn_abs_to_deadline(clockid_t clock, const struct timespec *abs, int64_t *out);
#endif
