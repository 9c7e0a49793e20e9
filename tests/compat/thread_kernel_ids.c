/* thread_kernel_ids: what a thread asks the kernel about itself agrees.
 *
 *  - gettid(), syscall(SYS_gettid) and the answer of set_tid_address are
 *    the same id in every thread, and live threads' ids differ (stress-ng's
 *    pthread stressor checks exactly this);
 *  - prctl(PR_GET_TID_ADDRESS) gives back what set_tid_address set, and
 *    the kernel's exit of a thread clears that word (0 after the join,
 *    and a FUTEX_WAIT on it wakes);
 *  - tgkill and tkill to one's own id reach one's own handler (in that
 *    thread: pthread_self there is the sender);
 *  - prctl(PR_SET_NAME) names the calling thread: pthread_getname_np and
 *    PR_GET_NAME see it, and the main thread's name is not changed;
 *  - the timer slack (PR_GET_TIMERSLACK) of main, of the threads it makes
 *    and of a forked child is what it would be natively.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "compat.h"

#define NT 8

static pthread_barrier_t all_up;
static pid_t ids[NT];
static _Atomic int mismatches;
static __thread volatile sig_atomic_t got_usr1;
static __thread pthread_t handler_self;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
	handler_self = pthread_self();
}

static void *idcheck(void *arg)
{
	int i = (int)(long)arg;
	pid_t a = gettid();
	pid_t b = (pid_t)syscall(SYS_gettid);
	unsigned long addr = 0;
	int pr = prctl(PR_GET_TID_ADDRESS, &addr, 0, 0, 0);
	syscall(SYS_set_tid_address, NULL);
	pid_t c = (pid_t)syscall(SYS_set_tid_address, addr);
	if (pr != 0 || addr == 0 || a != b || a != c)
		mismatches++;
	ids[i] = a;
	/* The kernel's own thread id of a process: tgkill to oneself. */
	got_usr1 = 0;
	if (syscall(SYS_tgkill, getpid(), a, SIGUSR1) != 0 || got_usr1 != 1 ||
	    !pthread_equal(handler_self, pthread_self()))
		mismatches++;
	got_usr1 = 0;
	if (syscall(SYS_tkill, a, SIGUSR1) != 0 || got_usr1 != 1)
		mismatches++;
	got_usr1 = 0;
	if (tgkill(getpid(), a, SIGUSR1) != 0 || got_usr1 != 1)
		mismatches++;
	if (syscall(SYS_tgkill, getpid(), a, 0) != 0)
		mismatches++;
	pthread_barrier_wait(&all_up);
	return NULL;
}

static _Atomic int clear_word;

/* A detached thread that points its clear-child-tid at clear_word (glibc's
 * join would wait for its own word, which the kernel then never clears). */
static void *set_clear_and_exit(void *arg)
{
	(void)arg;
	unsigned long back = 0;
	pid_t t = (pid_t)syscall(SYS_set_tid_address, &clear_word);
	prctl(PR_GET_TID_ADDRESS, &back, 0, 0, 0);
	printf("set_tid_address answers gettid: %d\n", t == gettid());
	printf("PR_GET_TID_ADDRESS gives it back: %d\n", back == (unsigned long)&clear_word);
	fflush(stdout);
	return NULL;
}

static void *names(void *arg)
{
	(void)arg;
	char buf[32] = "";
	prctl(PR_SET_NAME, "a-very-long-thread-name", 0, 0, 0);
	pthread_getname_np(pthread_self(), buf, sizeof buf);
	printf("after PR_SET_NAME, pthread_getname_np: %s\n", buf);
	memset(buf, 0, sizeof buf);
	prctl(PR_GET_NAME, buf, 0, 0, 0);
	printf("PR_GET_NAME: %s\n", buf);
	return NULL;
}

static void *slack(void *arg)
{
	(void)arg;
	printf("thread timer slack: %d\n", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
	return NULL;
}

int main(void)
{
	signal(SIGALRM, on_alarm);
	alarm(60);
	signal(SIGUSR1, on_usr1);

	phase = "ids";
	pthread_barrier_init(&all_up, NULL, NT + 1);
	pthread_t t[NT];
	for (int i = 0; i < NT; i++)
		t[i] = spawn(idcheck, (void *)(long)i);
	pthread_barrier_wait(&all_up);
	for (int i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
	int dups = 0;
	for (int i = 0; i < NT; i++)
		for (int j = i + 1; j < NT; j++)
			dups += ids[i] == ids[j];
	expect_val("threads whose ids disagree", atomic_load(&mismatches), 0);
	expect_val("live threads sharing an id", dups, 0);
	expect_val("a thread's id is not the process's", ids[0] == getpid(), 0);
	expect_val("main's gettid is the pid", gettid() == getpid(), 1);

	phase = "clear_child_tid";
	/* The exit clears the word and wakes one shared waiter. */
	atomic_store(&clear_word, 12345);
	pthread_detach(spawn(set_clear_and_exit, NULL));
	while (atomic_load(&clear_word) != 0)
		syscall(SYS_futex, &clear_word, FUTEX_WAIT, 12345, NULL, NULL, 0);
	expect_val("word cleared at the thread's exit", atomic_load(&clear_word), 0);

	phase = "names";
	char before[32] = "", after[32] = "";
	prctl(PR_GET_NAME, before, 0, 0, 0);
	pthread_join(spawn(names, NULL), NULL);
	prctl(PR_GET_NAME, after, 0, 0, 0);
	expect_val("main's name unchanged by a thread's PR_SET_NAME", strcmp(before, after), 0);

	phase = "timer slack";
	printf("main timer slack: %d\n", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
	pthread_join(spawn(slack, NULL), NULL);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		printf("child timer slack: %d\n", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);

	printf("failures: %d\n", failures);
	return failures != 0;
}
