/* preload/syscall.c: syscall() and gettid().  Through syscall(), futex(2)
 * parks the G on the futex word (shims/futex.c), and the calls that name
 * a thread by id (gettid, set_tid_address, tgkill/tkill/rt_tgsigqueueinfo) see
 * the G's id; every other system call is the kernel's. */
#include <errno.h>
#include <stdarg.h>
#include <sys/random.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <linux/io_uring.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include "sched/sys.h"
#include "preload/preload.h"
#include "shims/blocking.h"
#include "shims/futex.h"
#include "shims/netio.h"

/* A pidfd of this very process (its fdinfo's Pid: line). */
static bool pidfd_is_self(int fd)
{
	char path[64], buf[512], want[32];
	/* A /proc/PID directory serves as one too. */
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	snprintf(want, sizeof want, "/proc/%ld", (long)getpid());
	long l = mn_sys6(SYS_readlink, (long)path, (long)buf, sizeof buf - 1, 0, 0, 0);
	if (l > 0) {
		buf[l] = 0;
		if (strcmp(buf, want) == 0)
			return true;
	}
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	long f = mn_sys6(SYS_open, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0, 0);
	if (f < 0)
		return false;
	long k = mn_sys6(SYS_read, f, (long)buf, sizeof buf - 1, 0, 0, 0);
	mn_sys6(SYS_close, f, 0, 0, 0, 0, 0);
	if (k <= 0)
		return false;
	buf[k] = 0;
	const char *p = strstr(buf, "Pid:");
	return p && strtol(p + 4, NULL, 10) == (long)getpid();
}

MN_EXPORT long syscall(long n, ...)
{
	va_list ap;
	va_start(ap, n);
	long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
	long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
	va_end(ap);
	if ((n == SYS_tgkill || n == SYS_tkill || n == SYS_rt_tgsigqueueinfo) && mn_shim_active()) {
		/* A G's id names that G (shims/thread.c). */
		long ret;
		int ok = n == SYS_tgkill	 ? mn_thread_tgkill(a1, a2, (int)a3, NULL, &ret)
			 : n == SYS_tkill ? mn_thread_tgkill(-1, a1, (int)a2, NULL, &ret)
					  : mn_thread_tgkill(a1, a2, (int)a3, (const siginfo_t *)a4, &ret);
		if (ok)
			return ret < 0 ? (errno = (int)-ret, -1) : ret;
	}
	if ((n == SYS_gettid || n == SYS_set_tid_address) && mn_shim_active() && mn_is_g()) {
		/* A thread's id: the G's everywhere (preload/signal.c). */
		switch (n) {
		case SYS_gettid:
			return mn_thread_gettid();
		case SYS_set_tid_address:
			return mn_thread_set_tid_address((int *)a1);
		}
	}
	if (n == SYS_futex && mn_shim_active()) {
		long ret;
		if (mn_futex((uint32_t *)a1, (int)a2, (uint32_t)a3, (const struct timespec *)a4, (uint32_t)a6, &ret)) {
			if (ret < 0) {
				errno = (int)-ret;
				return -1;
			}
			return ret;
		}
	}
	/* A thread's own kernel state (preload/thread.c: unshare). */
	if ((n == SYS_unshare || n == SYS_setns || n == SYS_capset || n == SYS_capget || n == SYS_seccomp ||
	     n == SYS_prctl) &&
	    mn_shim_active()) {
		long ret;
		if (mn_thread_kstate(n, a1, a2, a3, a4, a5, &ret))
			return ret < 0 ? (errno = (int)-ret, -1) : ret;
	}
	/* pidfd_send_signal to this process, plain: kill's (preload/thread.c). */
	if (n == SYS_pidfd_send_signal && a3 == 0 && a4 == 0 && mn_shim_active() && mn_is_g() &&
	    pidfd_is_self((int)a1))
		return kill(getpid(), (int)a2);
	/* A signalfd of the program's (preload/signal.c). */
	if ((n == SYS_signalfd4 || n == SYS_signalfd) && a2 && mn_shim_active()) {
		long r = REAL(syscall)(n, a1, a2, a3, a4, a5, a6);
		if (r >= 0)
			mn_sig_signalfd((const sigset_t *)a2);
		return r;
	}
	/* Closes end the netpoller's waits on the number (preload/io.c). */
	if ((n == SYS_close || n == SYS_dup2 || n == SYS_dup3) && mn_shim_active()) {
		int fd = (int)(n == SYS_close ? a1 : a2);
		if ((n == SYS_close || a1 != a2) && mn_netio_close(fd)) {
			if (n == SYS_close)
				return 0;
			errno = EBUSY;
			return -1;
		}
	}
	if (n == SYS_close_range && (unsigned)a1 <= (unsigned)a2 && mn_shim_active()) {
		if (!(a3 & CLOSE_RANGE_CLOEXEC))
			mn_netio_close_range((unsigned)a1, (unsigned)a2);
		/* The netpoller's own descriptors stay open (shims/netio.c). */
		unsigned part[4][2];
		int k = mn_netio_keep_ours((unsigned)a1, (unsigned)a2, part);
		long r = 0;
		for (int i = 0; i < k && r == 0; i++)
			r = REAL(syscall)(n, (long)part[i][0], (long)part[i][1], a3, 0, 0, 0);
		return r;
	}
	/* Calls that wait, made straight: without the P (shims/blocking.h). */
	if ((n == SYS_getrandom && !(a3 & GRND_NONBLOCK)) ||
	    (n == SYS_io_uring_enter && (a4 & IORING_ENTER_GETEVENTS) && a3 > 0))
		return mn_shim_active() ? MN_BLOCKING_WAIT(REAL(syscall)(n, a1, a2, a3, a4, a5, a6))
					: REAL(syscall)(n, a1, a2, a3, a4, a5, a6);
	return REAL(syscall)(n, a1, a2, a3, a4, a5, a6);
}

/* A thread's id, as glibc records it in its TCB: unique per G, so
 * programs that key per-thread data on gettid() (Python's native_id,
 * loggers) keep working.  syscall(SYS_gettid), set_tid_address's answer
 * and tgkill/tkill/rt_tgsigqueueinfo to a G's id, its own or another's,
 * agree with it (syscall above, tgkill in preload/signal.c): the signal
 * goes to that G. */
MN_EXPORT pid_t gettid(void)
{
	if (mn_shim_active() && mn_is_g())
		return mn_thread_gettid();
	return REAL(gettid)();
}
