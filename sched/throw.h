/* sched/throw.h: fatal errors and diagnostics (throw.c). */
#ifndef MN_THROW_H
#define MN_THROW_H
#include "runtime.h"

/* Print "mnthread: fatal: msg" and abort.  Context: any, including a
 * signal handler: async-signal-safe (raw write(2), no stdio, no malloc). */
MN_HIDDEN void mn_throw(const char *msg) __attribute__((noreturn));
/* Write msg to stderr with raw write(2).  Async-signal-safe. */
MN_HIDDEN void mn_print(const char *msg);
/* printf-like, with throw.c's own formatter (%s %.Ns %.*s %d %u %x %c,
 * modifiers l ll z) into a 512-byte stack buffer, then one mn_print.
 * Async-signal-safe. */
MN_HIDDEN void mn_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same formatter into buf (n bytes, NUL-terminated, cut to fit);
 * returns the length written.  Async-signal-safe. */
MN_HIDDEN int mn_snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#endif
