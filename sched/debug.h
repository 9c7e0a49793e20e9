/* sched/debug.h: the runtime's consistency checks.
 *
 * config_debug is a constant (configure --enable-debug), not a macro
 * test: the checks are always compiled and type-checked, and release
 * builds drop them as dead code.  A failed check is fatal (mn_throw: a
 * constant message, written with a raw write(2)).
 */
#ifndef MN_DEBUG_H
#define MN_DEBUG_H
#include <stdbool.h>
#include "config.h"

static const bool config_debug = MN_CONFIG_DEBUG;

__attribute__((visibility("hidden"), noreturn)) void mn_throw(const char *msg);

/* MN_ASSERT(cond, "who: what went wrong"): checked in debug builds. */
#define MN_ASSERT(cond, msg)                                                   \
	do {                                                                   \
		if (config_debug && __builtin_expect(!(cond), 0))              \
			mn_throw(msg);                                         \
	} while (0)
#endif
