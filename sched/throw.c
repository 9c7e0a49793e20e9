/* sched/throw.c: fatal errors and diagnostics.
 *
 * Everything here is async-signal-safe: no malloc, no stdio, no locale,
 * no interposed call; output goes out with raw write(2) system calls.  So
 * mn_throw and mn_printf may run in the SIGSEGV handler (signal.c), at
 * start-up before the runtime exists (env.c), and with runtime locks held.
 * mn_printf formats into a stack buffer with the small formatter below
 * (vsnprintf is not async-signal-safe), which knows what the runtime's
 * messages use: %s (with a precision, .N or .*), %d, %u, %x, %c and %%,
 * with the length modifiers l, ll and z.  Anything else is copied as is.
 */
#include "throw.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "sys.h"

/* Longest line mn_printf writes; the rest is cut (as vsnprintf did). */
#define PRINTF_BUF 512

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

struct out {
	char *p, *end; /* end: the last byte, kept for the NUL */
};

static void put(struct out *o, char c)
{
	if (o->p < o->end)
		*o->p++ = c;
}

/* At most max bytes of s (max < 0: all of it). */
static void put_str(struct out *o, const char *s, long max)
{
	for (; *s && max != 0; s++, max--)
		put(o, *s);
}

static void put_uint(struct out *o, unsigned long long v, unsigned base)
{
	char digits[24]; /* 2^64 has 20 decimal digits */
	int n = 0;
	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		put(o, digits[--n]);
}

enum { LEN_INT, LEN_LONG, LEN_LLONG, LEN_SIZE };

static void format(struct out *o, const char *f, va_list ap)
{
	for (; *f; f++) {
		if (*f != '%') {
			put(o, *f);
			continue;
		}
		const char *start = f++;
		long prec = -1;
		if (*f == '.') {
			f++;
			if (*f == '*') {
				prec = va_arg(ap, int);
				f++;
			} else {
				for (prec = 0; *f >= '0' && *f <= '9'; f++)
					prec = prec * 10 + (*f - '0');
			}
		}
		int len = LEN_INT;
		if (*f == 'l') {
			len = LEN_LONG;
			if (*++f == 'l') {
				len = LEN_LLONG;
				f++;
			}
		} else if (*f == 'z') {
			len = LEN_SIZE;
			f++;
		}
		switch (*f) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			put_str(o, s ? s : "(null)", prec);
			break;
		}
		case 'd': {
			long long v = len == LEN_INT    ? va_arg(ap, int)
				      : len == LEN_LONG ? va_arg(ap, long)
				      : len == LEN_LLONG ? va_arg(ap, long long)
							 : (long long)va_arg(ap, size_t);
			if (v < 0)
				put(o, '-');
			put_uint(o, v < 0 ? -(unsigned long long)v : (unsigned long long)v, 10);
			break;
		}
		case 'u':
		case 'x': {
			unsigned long long v = len == LEN_INT    ? va_arg(ap, unsigned)
					       : len == LEN_LONG ? va_arg(ap, unsigned long)
					       : len == LEN_LLONG ? va_arg(ap, unsigned long long)
								  : va_arg(ap, size_t);
			put_uint(o, v, *f == 'x' ? 16 : 10);
			break;
		}
		case 'c':
			put(o, (char)va_arg(ap, int));
			break;
		case '%':
			put(o, '%');
			break;
		default: /* unknown: copy the directive as it stands */
			for (; start < f; start++)
				put(o, *start);
			if (*f == '\0')
				return;
			put(o, *f);
			break;
		}
	}
}

void mn_printf(const char *fmt, ...)
{
	char buf[PRINTF_BUF];
	struct out o = { buf, buf + sizeof buf - 1 };
	va_list ap;
	va_start(ap, fmt);
	format(&o, fmt, ap);
	va_end(ap);
	*o.p = '\0';
	mn_print(buf);
}

int mn_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	if (n == 0)
		return 0;
	struct out o = { buf, buf + n - 1 };
	va_list ap;
	va_start(ap, fmt);
	format(&o, fmt, ap);
	va_end(ap);
	*o.p = '\0';
	return (int)(o.p - buf);
}

void mn_throw(const char *msg)
{
	mn_print("mnthread: fatal: ");
	mn_print(msg);
	mn_print("\n");
	abort();
}
