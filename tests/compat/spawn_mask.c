/* tests/compat/spawn_mask.c: a new program starts with the signal mask of
 * the thread that made it.
 *
 * Main blocks SIGUSR1; a thread blocks SIGUSR1 and SIGUSR2.  Each of them
 * starts this program again ("child" mode) in every way a program can:
 * fork then execve, vfork then execv, posix_spawn without attributes,
 * posix_spawnp with attributes that do not set a mask, posix_spawn with
 * POSIX_SPAWN_SETSIGMASK (SIGTERM only), popen and system (through the
 * shell, which keeps the mask).  The child reads its mask from the kernel
 * (/proc/self/status: it runs without LD_PRELOAD) and prints which of
 * SIGUSR1, SIGUSR2, SIGTERM it blocks, and whether SIGINT is ignored
 * (system's child gets its default back).
 *
 * Expects: the same lines natively and under mnthread, exit 0.  Under
 * mnthread without the fix every child blocked nearly everything (an M's
 * mask).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "compat.h"

extern char **environ;
static char self[4096];
static char *clean_env[64];

static unsigned long long status_field(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long v = 0;
	size_t n = strlen(name);
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, name, n) == 0)
			v = strtoull(line + n + 1, NULL, 16);
	if (f)
		fclose(f);
	return v;
}

static int child(void)
{
	unsigned long long blk = status_field("SigBlk:"), ign = status_field("SigIgn:");
#define B(s) ((blk >> ((s) - 1)) & 1 ? "yes" : "no")
	printf("USR1=%s USR2=%s TERM=%s INT=%s\n", B(SIGUSR1), B(SIGUSR2), B(SIGTERM),
	       (ign >> (SIGINT - 1)) & 1 ? "ignored" : "default");
	return 0;
}

static void wait_child(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		;
	fflush(stdout);
}

static void label(const char *who, const char *how)
{
	printf("%s, %s: ", who, how);
	fflush(stdout);
}

static void all_ways(const char *who)
{
	char *argv[] = { self, (char *)"child", NULL };
	pid_t pid;

	label(who, "fork+execve");
	pid = fork();
	if (pid == 0) {
		execve(self, argv, clean_env);
		_exit(127);
	}
	wait_child(pid);

	label(who, "vfork+execv");
	char **saved = environ;
	environ = clean_env;
	pid = vfork();
	if (pid == 0) {
		execv(self, argv);
		_exit(127);
	}
	environ = saved;
	wait_child(pid);

	label(who, "posix_spawn");
	must(posix_spawn(&pid, self, NULL, NULL, argv, clean_env), "posix_spawn");
	wait_child(pid);

	label(who, "posix_spawnp, attributes without a mask");
	posix_spawnattr_t a;
	posix_spawnattr_init(&a);
	posix_spawnattr_setflags(&a, POSIX_SPAWN_SETSIGDEF);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&a, &none);
	must(posix_spawnp(&pid, self, NULL, &a, argv, clean_env), "posix_spawnp");
	wait_child(pid);
	posix_spawnattr_destroy(&a);

	label(who, "posix_spawn, POSIX_SPAWN_SETSIGMASK of SIGTERM");
	posix_spawnattr_init(&a);
	sigset_t term;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	posix_spawnattr_setsigmask(&a, &term);
	posix_spawnattr_setflags(&a, POSIX_SPAWN_SETSIGMASK);
	must(posix_spawn(&pid, self, NULL, &a, argv, clean_env), "posix_spawn");
	wait_child(pid);
	posix_spawnattr_destroy(&a);

	char cmd[4200];
	snprintf(cmd, sizeof cmd, "env -u LD_PRELOAD '%s' child", self);
	label(who, "popen");
	FILE *p = popen(cmd, "r");
	char line[200];
	while (p && fgets(line, sizeof line, p))
		fputs(line, stdout);
	if (p)
		pclose(p);
	fflush(stdout);

	label(who, "system");
	int r = system(cmd);
	fflush(stdout);
	if (r != 0)
		printf("system returned %d\n", r);
}

static void *thread(void *arg)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	all_ways("thread");
	return arg;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child();
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return 1;
	self[n] = 0;
	int k = 0;
	for (char **e = environ; *e && k < 62; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11) != 0)
			clean_env[k++] = *e;
	clean_env[k] = NULL;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	all_ways("main");
	pthread_t t;
	must(pthread_create(&t, NULL, thread, NULL), "pthread_create");
	pthread_join(t, NULL);
	printf("all done\n");
	return 0;
}
