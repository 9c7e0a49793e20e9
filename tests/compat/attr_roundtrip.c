/* attr_roundtrip: pthread_attr_* setters and getters, and the attributes
 * a running thread reports.
 *
 * Proves: every pthread_attr_* setter's value comes back from its getter
 * (detachstate, guardsize, stacksize, stack with user-provided memory,
 * scope, inheritsched, schedpolicy, schedparam, sigmask_np); a fresh
 * attribute object has glibc's defaults; a thread created on a user stack
 * runs on it; a thread created with a signal mask attribute starts with
 * that mask; pthread_getattr_np on a running thread created with a 1 MiB
 * stack reports a stack of at least 1 MiB that contains the thread's
 * locals, a page-sized guard and its detach state, and works on a detached
 * thread (from inside) and on the main thread; pthread_getconcurrency and
 * pthread_setconcurrency round-trip, and setconcurrency(-1) is EINVAL.
 *
 * Expects: exit 0 and deterministic lines (sizes we set, never addresses);
 * a broken claim prints "FAIL: ..." and exits 1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			printf("FAIL: " __VA_ARGS__);                      \
			printf("\n");                                      \
			failures++;                                        \
		}                                                          \
	} while (0)

#define OK(call) CHECK((call) == 0, "%s did not return 0", #call)

static long pagesize;

static const char *detachname(int d)
{
	return d == PTHREAD_CREATE_JOINABLE   ? "JOINABLE"
	       : d == PTHREAD_CREATE_DETACHED ? "DETACHED"
					      : "?";
}

/* What a fresh attribute object says. */
static void defaults(void)
{
	pthread_attr_t a;
	int v;
	size_t sz;
	struct sched_param sp = {.sched_priority = 99};
	void *addr;

	OK(pthread_attr_init(&a));
	OK(pthread_attr_getdetachstate(&a, &v));
	printf("default detachstate %s\n", detachname(v));
	OK(pthread_attr_getscope(&a, &v));
	printf("default scope %s\n",
	       v == PTHREAD_SCOPE_SYSTEM ? "SYSTEM" : "PROCESS");
	OK(pthread_attr_getinheritsched(&a, &v));
	printf("default inheritsched %s\n",
	       v == PTHREAD_INHERIT_SCHED ? "INHERIT" : "EXPLICIT");
	OK(pthread_attr_getschedpolicy(&a, &v));
	printf("default schedpolicy %s\n", v == SCHED_OTHER ? "OTHER" : "?");
	OK(pthread_attr_getschedparam(&a, &sp));
	printf("default priority %d\n", sp.sched_priority);
	OK(pthread_attr_getguardsize(&a, &sz));
	printf("default guardsize is the page size: %s\n",
	       (long)sz == pagesize ? "yes" : "no");
	OK(pthread_attr_getstacksize(&a, &sz));
	/* glibc: RLIMIT_STACK rounded up to pages, 2 MiB (x86_64) when
	 * unlimited; tiny limits have more rules, so only claimed above 1 MiB */
	struct rlimit rl;
	size_t want = 2 * 1024 * 1024;
	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		want = (rl.rlim_cur + pagesize - 1) & ~(size_t)(pagesize - 1);
	printf("default stacksize follows RLIMIT_STACK: %s\n",
	       sz == want ? "yes" : "no");
	if (want >= (1 << 20))
		CHECK(sz == want, "default stacksize %zu, expected %zu", sz,
		      want);
	addr = (void *)1;
	sz = 1;
	OK(pthread_attr_getstack(&a, &addr, &sz));
	printf("default stackaddr is NULL: %s\n", addr == NULL ? "yes" : "no");
	sigset_t set;
	printf("default sigmask_np: %s\n",
	       pthread_attr_getsigmask_np(&a, &set) == PTHREAD_ATTR_NO_SIGMASK_NP
		       ? "PTHREAD_ATTR_NO_SIGMASK_NP"
		       : "set");
	OK(pthread_attr_destroy(&a));
}

static void setters(void)
{
	pthread_attr_t a;
	int v;
	size_t sz;

	OK(pthread_attr_init(&a));
	static const int ds[] = {PTHREAD_CREATE_DETACHED,
				 PTHREAD_CREATE_JOINABLE};
	for (int i = 0; i < 2; i++) {
		OK(pthread_attr_setdetachstate(&a, ds[i]));
		OK(pthread_attr_getdetachstate(&a, &v));
		printf("detachstate %s -> %s\n", detachname(ds[i]),
		       detachname(v));
		CHECK(v == ds[i], "detachstate roundtrip");
	}

	static const size_t guards[] = {0, 4096, 8192, 12345, 1 << 20};
	for (int i = 0; i < 5; i++) {
		OK(pthread_attr_setguardsize(&a, guards[i]));
		OK(pthread_attr_getguardsize(&a, &sz));
		printf("guardsize %zu -> %zu\n", guards[i], sz);
		CHECK(sz == guards[i], "guardsize roundtrip");
	}

	const size_t stacks[] = {PTHREAD_STACK_MIN, 65536, 1 << 20,
				 3 * (1 << 20) + 1, 64 << 20};
	for (int i = 0; i < 5; i++) {
		OK(pthread_attr_setstacksize(&a, stacks[i]));
		OK(pthread_attr_getstacksize(&a, &sz));
		printf("stacksize %zu -> %zu\n", stacks[i], sz);
		CHECK(sz == stacks[i], "stacksize roundtrip");
	}

	OK(pthread_attr_setscope(&a, PTHREAD_SCOPE_SYSTEM));
	OK(pthread_attr_getscope(&a, &v));
	printf("scope SYSTEM -> %s\n",
	       v == PTHREAD_SCOPE_SYSTEM ? "SYSTEM" : "PROCESS");
	CHECK(pthread_attr_setscope(&a, PTHREAD_SCOPE_PROCESS) == ENOTSUP,
	      "setscope PROCESS");
	OK(pthread_attr_getscope(&a, &v));
	CHECK(v == PTHREAD_SCOPE_SYSTEM, "scope changed by a failed set");

	OK(pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED));
	OK(pthread_attr_getinheritsched(&a, &v));
	printf("inheritsched EXPLICIT -> %s\n",
	       v == PTHREAD_EXPLICIT_SCHED ? "EXPLICIT" : "INHERIT");
	CHECK(v == PTHREAD_EXPLICIT_SCHED, "inheritsched roundtrip");
	OK(pthread_attr_setinheritsched(&a, PTHREAD_INHERIT_SCHED));
	OK(pthread_attr_getinheritsched(&a, &v));
	CHECK(v == PTHREAD_INHERIT_SCHED, "inheritsched roundtrip 2");

	static const int pols[] = {SCHED_FIFO, SCHED_RR, SCHED_OTHER};
	static const char *const polnames[] = {"FIFO", "RR", "OTHER"};
	for (int i = 0; i < 3; i++) {
		OK(pthread_attr_setschedpolicy(&a, pols[i]));
		OK(pthread_attr_getschedpolicy(&a, &v));
		printf("schedpolicy %s -> %s\n", polnames[i],
		       v == pols[i] ? polnames[i] : "?");
		CHECK(v == pols[i], "schedpolicy roundtrip");
	}
	struct sched_param sp = {.sched_priority = 0}, sp2 = {.sched_priority = 7};
	OK(pthread_attr_setschedparam(&a, &sp));
	OK(pthread_attr_getschedparam(&a, &sp2));
	printf("schedparam priority 0 -> %d\n", sp2.sched_priority);
	CHECK(sp2.sched_priority == 0, "schedparam roundtrip");

	sigset_t set, got;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	OK(pthread_attr_setsigmask_np(&a, &set));
	sigemptyset(&got);
	OK(pthread_attr_getsigmask_np(&a, &got));
	printf("sigmask_np {USR1,TERM} -> USR1 %d TERM %d USR2 %d\n",
	       sigismember(&got, SIGUSR1), sigismember(&got, SIGTERM),
	       sigismember(&got, SIGUSR2));
	OK(pthread_attr_setsigmask_np(&a, NULL));
	CHECK(pthread_attr_getsigmask_np(&a, &got) ==
		      PTHREAD_ATTR_NO_SIGMASK_NP,
	      "sigmask_np cleared");
	OK(pthread_attr_destroy(&a));
}

/* ---------------------------------------------- threads and their attrs */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stage;   /* guarded by mu */

static void set_stage(int s)
{
	pthread_mutex_lock(&mu);
	stage = s;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void wait_stage(int s)
{
	pthread_mutex_lock(&mu);
	while (stage < s)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

static int in_stack(const void *p, void *addr, size_t size)
{
	return (uintptr_t)p >= (uintptr_t)addr &&
	       (uintptr_t)p < (uintptr_t)addr + size;
}

static volatile uintptr_t local_addr;

static void *user_stack_thread(void *arg)
{
	int local;
	local_addr = (uintptr_t)&local;
	return arg;
}

static void *sigmask_thread(void *arg)
{
	sigset_t cur;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	return (void *)(intptr_t)(sigismember(&cur, SIGUSR1) * 2 +
				  sigismember(&cur, SIGUSR2));
}

static void *parked_thread(void *arg)
{
	int local;
	local_addr = (uintptr_t)&local;
	set_stage(1);
	wait_stage(2);
	return arg;
}

static int detached_result;   /* guarded by mu, via stage 3 */

static void *detached_thread(void *arg)
{
	pthread_attr_t a;
	int v = -1, local;
	void *addr;
	size_t sz = 0;

	if (pthread_getattr_np(pthread_self(), &a) == 0) {
		pthread_attr_getdetachstate(&a, &v);
		pthread_attr_getstack(&a, &addr, &sz);
		pthread_attr_destroy(&a);
		detached_result = (v == PTHREAD_CREATE_DETACHED) * 1 +
				  (sz >= (1 << 20)) * 2 +
				  in_stack(&local, addr, sz) * 4;
	}
	set_stage(3);
	return NULL;
}

static void threads(void)
{
	pthread_attr_t a;
	pthread_t t;
	void *ret, *addr;
	size_t sz, gsz;
	int v;

	/* A thread on a user-provided stack. */
	const size_t ustack = 256 * 1024;
	void *mem = aligned_alloc((size_t)pagesize, ustack);
	OK(pthread_attr_init(&a));
	OK(pthread_attr_setstack(&a, mem, ustack));
	OK(pthread_attr_getstack(&a, &addr, &sz));
	printf("stack (malloc'd, %zu) -> same address: %s, size %zu\n",
	       ustack, addr == mem ? "yes" : "no", sz);
	CHECK(addr == mem && sz == ustack, "setstack roundtrip");
	OK(pthread_attr_getstacksize(&a, &sz));
	printf("stacksize after setstack %zu\n", sz);
	OK(pthread_create(&t, &a, user_stack_thread, (void *)(intptr_t)5));
	OK(pthread_join(t, &ret));
	printf("thread ran on the user stack: %s\n",
	       in_stack((void *)local_addr, mem, ustack) ? "yes" : "no");
	CHECK(ret == (void *)(intptr_t)5, "user stack thread result");
	OK(pthread_attr_destroy(&a));
	free(mem);

	/* A thread created with a signal mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	OK(pthread_attr_init(&a));
	OK(pthread_attr_setsigmask_np(&a, &set));
	OK(pthread_create(&t, &a, sigmask_thread, NULL));
	OK(pthread_join(t, &ret));
	printf("thread started with sigmask_np: USR1 blocked %d, USR2 "
	       "blocked %d\n",
	       (int)(intptr_t)ret / 2, (int)(intptr_t)ret % 2);
	CHECK(ret == (void *)(intptr_t)2, "thread signal mask from attr");
	OK(pthread_attr_destroy(&a));

	/* pthread_getattr_np on a running thread with a 1 MiB stack. */
	OK(pthread_attr_init(&a));
	OK(pthread_attr_setstacksize(&a, 1 << 20));
	OK(pthread_create(&t, &a, parked_thread, NULL));
	OK(pthread_attr_destroy(&a));
	wait_stage(1);
	OK(pthread_getattr_np(t, &a));
	OK(pthread_attr_getstack(&a, &addr, &sz));
	OK(pthread_attr_getstacksize(&a, &sz));
	OK(pthread_attr_getguardsize(&a, &gsz));
	OK(pthread_attr_getdetachstate(&a, &v));
	printf("getattr_np running: stacksize %zu (asked 1 MiB)\n", sz);
	printf("getattr_np running: stack holds its locals: %s\n",
	       in_stack((void *)local_addr, addr, sz) ? "yes" : "no");
	printf("getattr_np running: guardsize is the page size: %s\n",
	       (long)gsz == pagesize ? "yes" : "no");
	printf("getattr_np running: detachstate %s\n", detachname(v));
	CHECK(sz >= (1 << 20) && in_stack((void *)local_addr, addr, sz) &&
		      v == PTHREAD_CREATE_JOINABLE,
	      "getattr_np of a running thread");
	OK(pthread_attr_destroy(&a));
	set_stage(2);
	OK(pthread_join(t, NULL));

	/* A detached thread asks about itself. */
	OK(pthread_attr_init(&a));
	OK(pthread_attr_setstacksize(&a, 1 << 20));
	OK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
	OK(pthread_create(&t, &a, detached_thread, NULL));
	OK(pthread_attr_destroy(&a));
	wait_stage(3);
	printf("getattr_np self in a detached thread: detached %d, "
	       ">= 1 MiB %d, holds locals %d\n",
	       detached_result & 1, (detached_result >> 1) & 1,
	       (detached_result >> 2) & 1);
	CHECK(detached_result == 7, "getattr_np in a detached thread");

	/* The main thread. */
	int local;
	OK(pthread_getattr_np(pthread_self(), &a));
	OK(pthread_attr_getstack(&a, &addr, &sz));
	OK(pthread_attr_getdetachstate(&a, &v));
	printf("getattr_np main: detachstate %s, stack holds its locals: %s\n",
	       detachname(v), in_stack(&local, addr, sz) ? "yes" : "no");
	CHECK(v == PTHREAD_CREATE_JOINABLE && in_stack(&local, addr, sz),
	      "getattr_np of main");
	OK(pthread_attr_destroy(&a));
}

/* PTHREAD_INHERIT_SCHED (the default) copies the creator's policy:
 * SCHED_BATCH needs no privilege. */
static void *report_sched(void *arg)
{
	(void)arg;
	int policy = -1;
	struct sched_param sp = { 0 };
	pthread_getschedparam(pthread_self(), &policy, &sp);
	return (void *)(intptr_t)(policy * 1000 + sp.sched_priority);
}

static void inherit_sched(void)
{
	struct sched_param sp = { 0 };
	pthread_t t;
	void *r;
	int rc = pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
	printf("setschedparam(self, SCHED_BATCH): %d\n", rc);
	OK(pthread_create(&t, NULL, report_sched, NULL));
	OK(pthread_join(t, &r));
	printf("inherited policy*1000+priority: %ld (SCHED_BATCH is %d)\n", (long)(intptr_t)r, SCHED_BATCH);
	pthread_attr_t a;
	OK(pthread_attr_init(&a));
	OK(pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED));
	OK(pthread_attr_setschedpolicy(&a, SCHED_OTHER));
	OK(pthread_create(&t, &a, report_sched, NULL));
	OK(pthread_join(t, &r));
	printf("explicit SCHED_OTHER: %ld\n", (long)(intptr_t)r);
	OK(pthread_attr_destroy(&a));
	sp.sched_priority = 0;
	pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
}

static void concurrency(void)
{
	printf("getconcurrency initially %d\n", pthread_getconcurrency());
	OK(pthread_setconcurrency(4));
	printf("setconcurrency 4 -> %d\n", pthread_getconcurrency());
	CHECK(pthread_getconcurrency() == 4, "concurrency roundtrip");
	int rc = pthread_setconcurrency(-1);
	printf("setconcurrency -1: %s\n", rc == EINVAL ? "EINVAL" : "?");
	CHECK(rc == EINVAL, "setconcurrency(-1)");
	CHECK(pthread_getconcurrency() == 4, "concurrency after EINVAL");
	OK(pthread_setconcurrency(0));
	printf("setconcurrency 0 -> %d\n", pthread_getconcurrency());
}

int main(void)
{
	pagesize = sysconf(_SC_PAGESIZE);
	defaults();
	setters();
	threads();
	inherit_sched();
	concurrency();
	if (failures) {
		printf("FAIL: %d claims broken\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
