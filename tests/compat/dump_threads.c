/* dump_threads: threads parked in every kind of wait, for the thread dump
 * tests (tests/compat/dump.sh; built with -g -O0 so that each wait is
 * made from a frame of this file's own functions).
 *
 *   dump_threads park     threads waiting in a mutex, a condvar, a sleep,
 *                         a join, a pipe read and one spinning; main
 *                         joins.  Prints "tid NAME GETTID" per thread and
 *                         "fd PIPE_READ_END", then "ready", and waits until
 *                         killed.
 *   dump_threads count N  creates N threads one after another, joins each,
 *                         returns (the summary line counts N + 1).
 *   dump_threads overflow recurses without end in a thread (the stack
 *                         overflow report and its backtrace).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int pipefd[2];
static volatile int stop;
static pthread_t sleeper;

static void say_tid(const char *name)
{
	pthread_setname_np(pthread_self(), name);
	printf("tid %s %ld\n", name, (long)syscall(SYS_gettid));
	fflush(stdout);
}

__attribute__((noinline)) static void *wait_in_mutex(void *arg)
{
	say_tid("w_mutex");
	pthread_mutex_lock(&held);
	pthread_mutex_unlock(&held);
	return arg;
}

__attribute__((noinline)) static void *wait_in_cond(void *arg)
{
	say_tid("w_cond");
	pthread_mutex_lock(&cm);
	while (!stop)
		pthread_cond_wait(&never, &cm);
	pthread_mutex_unlock(&cm);
	return arg;
}

__attribute__((noinline)) static void *wait_in_sleep(void *arg)
{
	say_tid("w_sleep");
	sleep(600);
	return arg;
}

__attribute__((noinline)) static void *wait_in_join(void *arg)
{
	say_tid("w_join");
	pthread_join(sleeper, NULL);
	return arg;
}

__attribute__((noinline)) static void *wait_in_pipe_read(void *arg)
{
	say_tid("w_pipe");
	char c;
	if (read(pipefd[0], &c, 1) < 0)
		perror("read");
	return arg;
}

__attribute__((noinline)) static void *spin_forever(void *arg)
{
	say_tid("w_spin");
	volatile unsigned long n = 0;
	while (!stop)
		n++;
	return arg;
}

static void *recurse(void *arg)
{
	volatile char pad[256];
	pad[0] = (char)(uintptr_t)arg;
	recurse((void *)(uintptr_t)(pad[0] + 1));
	return (void *)(uintptr_t)pad[0];
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "count") == 0) {
		int n = atoi(argv[2]);
		for (int i = 0; i < n; i++) {
			pthread_t t;
			if (pthread_create(&t, NULL, wait_in_mutex, NULL) != 0)
				return 1;
			pthread_join(t, NULL);
		}
		printf("created %d\n", n);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "overflow") == 0) {
		pthread_t t;
		pthread_create(&t, NULL, recurse, NULL);
		pthread_join(t, NULL);
		return 0;
	}
	if (argc != 2 || strcmp(argv[1], "park") != 0) {
		fprintf(stderr, "usage: dump_threads park | count N | overflow\n");
		return 2;
	}
	if (pipe(pipefd) != 0)
		return 1;
	pthread_mutex_lock(&held);
	pthread_t t[5];
	pthread_create(&t[0], NULL, wait_in_mutex, NULL);
	pthread_create(&t[1], NULL, wait_in_cond, NULL);
	pthread_create(&sleeper, NULL, wait_in_sleep, NULL);
	pthread_create(&t[2], NULL, wait_in_join, NULL);
	pthread_create(&t[3], NULL, wait_in_pipe_read, NULL);
	pthread_create(&t[4], NULL, spin_forever, NULL);
	usleep(300000); /* every thread in its wait */
	printf("tid main %ld\nfd %d\nready\n", (long)syscall(SYS_gettid), pipefd[0]);
	fflush(stdout);
	pthread_join(t[2], NULL);
	return 0;
}
