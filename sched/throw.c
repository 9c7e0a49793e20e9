/* sched/throw.c: fatal errors and diagnostics.  Async-signal-safe: no
 * malloc, no stdio, no interposed calls; one raw write(2) per message. */
#include "throw.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include "sys.h"

void mn_print(const char *msg)
{
	size_t n = strlen(msg);
	while (n > 0) {
		long w = mn_sys3(SYS_write, 2, msg, n);
		if (w <= 0)
			break;
		msg += w;
		n -= (size_t)w;
	}
}

/* vsnprintf into a stack buffer: glibc's does not allocate for %s/%d/%ld. */
void mn_printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	mn_print(buf);
}

void mn_throw(const char *msg)
{
	mn_print("mnthread: fatal: ");
	mn_print(msg);
	mn_print("\n");
	abort();
}
