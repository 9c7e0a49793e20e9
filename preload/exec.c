/* preload/exec.c: a new program starts with its creator's signal mask.
 *
 * The kernel gives a program made by exec, or by posix_spawn's clone,
 * the mask of the OS thread that made it.  Under mnthread that thread is
 * an M, which blocks every asynchronous signal (sched/m.c); the mask the
 * program must get is the calling G's (shims/sigmask.c).
 *  - The exec family puts the G's mask on the M just before the call
 *    (and the M's back if it fails).  glibc's execl*, execvp and fexecve
 *    reach the kernel through internal calls, so each is here.
 *  - posix_spawn and posix_spawnp without POSIX_SPAWN_SETSIGMASK get it
 *    set to the G's mask, on a copy of the attributes.
 *  - popen spawns inside glibc: the G's mask is on the M for the call.
 *  - system is ours: glibc's takes the child's mask from the kernel's, and
 *    waits for the child inside libc.  Ours does what glibc 2.36's does
 *    (SIGINT and SIGQUIT ignored while any system() runs, SIGCHLD blocked
 *    in the caller, the child with their defaults and the caller's mask,
 *    /bin/sh -c, status 127 << 8 when the shell cannot start, the child
 *    killed when the caller is cancelled), with the G's mask and a wait
 *    that parks the G.
 */
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "preload/preload.h"

extern char **environ;

#define WITH_G_MASK(call)                                                      \
	({                                                                     \
		uint64_t saved_ = mn_sig_exec_begin();                         \
		__auto_type r_ = (call);                                       \
		int e_ = errno;                                                \
		mn_sig_exec_end(saved_);                                       \
		errno = e_;                                                    \
		r_;                                                            \
	})

MN_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return WITH_G_MASK(REAL(execve)(path, argv, envp));
}
MN_EXPORT int execv(const char *path, char *const argv[]) { return WITH_G_MASK(REAL(execv)(path, argv)); }
MN_EXPORT int execvp(const char *file, char *const argv[]) { return WITH_G_MASK(REAL(execvp)(file, argv)); }
MN_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return WITH_G_MASK(REAL(execvpe)(file, argv, envp));
}
MN_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	return WITH_G_MASK(REAL(fexecve)(fd, argv, envp));
}
MN_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	return WITH_G_MASK(REAL(execveat)(dirfd, path, argv, envp, flags));
}

/* execl, execlp, execle: the list as a vector (on the stack: no malloc
 * between vfork and exec), then the vector call. */
#define ARGV_FROM_LIST(arg, argv, ap, envp_out)                                \
	size_t n_ = 1;                                                         \
	va_start(ap, arg);                                                     \
	while (va_arg(ap, const char *))                                       \
		n_++;                                                          \
	va_end(ap);                                                            \
	char *argv[n_ + 1];                                                    \
	argv[0] = (char *)arg;                                                 \
	va_start(ap, arg);                                                     \
	for (size_t i_ = 1; i_ <= n_; i_++)                                    \
		argv[i_] = va_arg(ap, char *);                                 \
	envp_out;                                                              \
	va_end(ap)

MN_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	ARGV_FROM_LIST(arg, argv, ap, (void)0);
	return execv(path, argv);
}
MN_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	ARGV_FROM_LIST(arg, argv, ap, (void)0);
	return execvp(file, argv);
}
MN_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char **envp;
	ARGV_FROM_LIST(arg, argv, ap, envp = va_arg(ap, char **));
	return execve(path, argv, envp);
}

/* The attributes to spawn with: attr, or a copy asking for the G's mask. */
static const posix_spawnattr_t *spawn_attr(const posix_spawnattr_t *attr, posix_spawnattr_t *copy)
{
	short flags = 0;
	if (attr && posix_spawnattr_getflags(attr, &flags) == 0 && (flags & POSIX_SPAWN_SETSIGMASK))
		return attr;
	sigset_t mask;
	if (!mn_shim_active() || !mn_sig_spawn_mask(&mask))
		return attr;
	if (attr)
		*copy = *attr; /* plain data, no resources */
	else
		posix_spawnattr_init(copy);
	posix_spawnattr_setsigmask(copy, &mask);
	posix_spawnattr_setflags(copy, (short)(flags | POSIX_SPAWN_SETSIGMASK));
	return copy;
}

MN_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	posix_spawnattr_t copy;
	return REAL(posix_spawn)(pid, path, fa, spawn_attr(attr, &copy), argv, envp);
}
MN_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	posix_spawnattr_t copy;
	return REAL(posix_spawnp)(pid, file, fa, spawn_attr(attr, &copy), argv, envp);
}

MN_EXPORT FILE *popen(const char *cmd, const char *mode)
{
	if (!mn_shim_active())
		return REAL(popen)(cmd, mode);
	return WITH_G_MASK(REAL(popen)(cmd, mode));
}

/* ------------------------------------------------------------- system */

static pthread_mutex_t sys_lock = PTHREAD_MUTEX_INITIALIZER;
static int sys_users;
static struct sigaction sys_intr, sys_quit;

static void sys_ignore(void)
{
	struct sigaction ign;
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	pthread_mutex_lock(&sys_lock);
	if (sys_users++ == 0) {
		sigaction(SIGINT, &ign, &sys_intr);
		sigaction(SIGQUIT, &ign, &sys_quit);
	}
	pthread_mutex_unlock(&sys_lock);
}

static void sys_restore(void)
{
	pthread_mutex_lock(&sys_lock);
	if (--sys_users == 0) {
		sigaction(SIGINT, &sys_intr, NULL);
		sigaction(SIGQUIT, &sys_quit, NULL);
	}
	pthread_mutex_unlock(&sys_lock);
}

struct sys_child {
	pid_t pid;
	sigset_t omask;
};

/* The caller was cancelled while it waited: the child goes too. */
static void sys_cancelled(void *arg)
{
	struct sys_child *c = arg;
	kill(c->pid, SIGKILL);
	int st;
	while (REAL(waitpid)(c->pid, &st, 0) < 0 && errno == EINTR)
		;
	sys_restore();
	pthread_sigmask(SIG_SETMASK, &c->omask, NULL);
}

static int run_shell(const char *cmd)
{
	struct sys_child c;
	sys_ignore();
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &chld, &c.omask);
	sigset_t dfl;
	sigemptyset(&dfl);
	if (sys_intr.sa_handler != SIG_IGN)
		sigaddset(&dfl, SIGINT);
	if (sys_quit.sa_handler != SIG_IGN)
		sigaddset(&dfl, SIGQUIT);
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setsigmask(&attr, &c.omask);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)cmd, NULL };
	int status;
	int e = REAL(posix_spawn)(&c.pid, "/bin/sh", NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	if (e == 0) {
		pthread_cleanup_push(sys_cancelled, &c);
		pid_t r;
		while ((r = waitpid(c.pid, &status, 0)) < 0 && errno == EINTR)
			;
		if (r != c.pid)
			status = -1;
		pthread_cleanup_pop(0);
	} else {
		status = 127 << 8;
	}
	sys_restore();
	pthread_sigmask(SIG_SETMASK, &c.omask, NULL);
	if (e)
		errno = e;
	return status;
}

MN_EXPORT int system(const char *cmd)
{
	if (!mn_shim_active() || !mn_is_g())
		return REAL(system)(cmd);
	if (cmd == NULL)
		return run_shell("exit 0") == 0;
	return run_shell(cmd);
}
