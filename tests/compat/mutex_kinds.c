/* mutex_kinds: every glibc mutex kind behaves as glibc's does.
 *
 * Proves, for each kind (normal, recursive, errorcheck, adaptive), once
 * made with pthread_mutexattr_settype and once with glibc's static
 * initialiser (PTHREAD_MUTEX_INITIALIZER, PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP,
 * PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP, PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP):
 *   - mutual exclusion: 8 threads x 20000 increments give exactly 160000;
 *   - what the owner gets from trylock (recursive: 0, others: EBUSY), from
 *     relocking (recursive: counts, errorcheck: EDEADLK) and from timedlock
 *     and clocklock on its own mutex (recursive: 0, errorcheck: EDEADLK);
 *   - recursion depth: 50 nested locks need 50 unlocks before another
 *     thread's trylock succeeds;
 *   - another thread's trylock -> EBUSY, timedlock, clocklock(CLOCK_MONOTONIC)
 *     and clocklock(CLOCK_REALTIME) with a 20 ms deadline -> ETIMEDOUT while
 *     held, and 0 when free;
 *   - a thread blocked in timedlock / clocklock with a long deadline is
 *     woken by the unlock and gets 0.
 * The same checks run on a normal mutex made process-shared, robust, and
 * both, used by the threads of one process.
 * Then:
 *   - pthread_mutexattr get/set roundtrips: type, pshared, protocol,
 *     prioceiling, robust, with their EINVAL cases, and
 *     pthread_mutex_getprioceiling on a non-PRIO_PROTECT mutex -> EINVAL;
 *   - a PTHREAD_PRIO_INHERIT mutex: exclusion with 4 threads x 5000,
 *     trylock EBUSY and timedlock ETIMEDOUT from another thread;
 *   - a process-shared mutex in MAP_SHARED memory: the child of fork()
 *     gets EBUSY from trylock while the parent holds it, blocks in lock
 *     until the parent unlocks, then both increment 20000 times: 40001;
 *   - robust mutexes: an owner thread that exits holding one makes the
 *     next locker (lock, trylock, or a thread already blocked in lock) get
 *     EOWNERDEAD; after pthread_mutex_consistent unlock/lock work; without
 *     it, unlock makes the mutex ENOTRECOVERABLE for lock and trylock; a
 *     child process that exits holding a robust process-shared mutex makes
 *     the parent get EOWNERDEAD; a robust errorcheck mutex gives EDEADLK
 *     for the owner's relock and (glibc's robust path) its trylock.
 *
 * Expects: exit 0 and a fixed list of "what: RESULT" lines.  A result
 * that differs from glibc's prints "FAIL: ..." and exits 1.  A watchdog
 * (SIGALRM, 90 s) prints "FAIL: watchdog" and exits 1 if something hangs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "compat.h"


/* ---------------------------------------------------------- helpers that
 * run one locking call in a fresh thread (so it is not the owner) */
typedef int (*mfn)(pthread_mutex_t *);
struct call {
	mfn fn;
	pthread_mutex_t *m;
	int rc;
};

static void *call_thread(void *arg)
{
	struct call *c = arg;
	c->rc = c->fn(c->m);
	return NULL;
}

static pthread_t start_call(struct call *c)
{
	pthread_t t;
	must(pthread_create(&t, NULL, call_thread, c), "pthread_create");
	return t;
}

static int in_thread(mfn fn, pthread_mutex_t *m)
{
	struct call c = {fn, m, -1};
	pthread_join(start_call(&c), NULL);
	return c.rc;
}

/* Each takes the lock and, on success, releases it again. */
static int rel(pthread_mutex_t *m, int rc)
{
	if (rc == 0 && pthread_mutex_unlock(m) != 0)
		return -2;
	return rc;
}
static int f_try(pthread_mutex_t *m) { return rel(m, pthread_mutex_trylock(m)); }
static int f_lock(pthread_mutex_t *m) { return rel(m, pthread_mutex_lock(m)); }
static int f_timed_short(pthread_mutex_t *m)
{
	struct timespec ts = deadline(CLOCK_REALTIME, 20);
	return rel(m, pthread_mutex_timedlock(m, &ts));
}
static int f_mono_short(pthread_mutex_t *m)
{
	struct timespec ts = deadline(CLOCK_MONOTONIC, 20);
	return rel(m, pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &ts));
}
static int f_real_short(pthread_mutex_t *m)
{
	struct timespec ts = deadline(CLOCK_REALTIME, 20);
	return rel(m, pthread_mutex_clocklock(m, CLOCK_REALTIME, &ts));
}
static int f_timed_long(pthread_mutex_t *m)
{
	struct timespec ts = deadline(CLOCK_REALTIME, 20000);
	return rel(m, pthread_mutex_timedlock(m, &ts));
}
static int f_mono_long(pthread_mutex_t *m)
{
	struct timespec ts = deadline(CLOCK_MONOTONIC, 20000);
	return rel(m, pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &ts));
}
static int f_real_long(pthread_mutex_t *m)
{
	struct timespec ts = deadline(CLOCK_REALTIME, 20000);
	return rel(m, pthread_mutex_clocklock(m, CLOCK_REALTIME, &ts));
}

/* ---------------------------------------------------------- exclusion */
#define NTHREADS 8
#define NINCR 20000

struct excl {
	pthread_mutex_t *m;
	int iters;
	volatile long counter;
	int errors;
};

static void *excl_thread(void *arg)
{
	struct excl *x = arg;
	for (int i = 0; i < x->iters; i++) {
		if (pthread_mutex_lock(x->m) != 0) {
			__atomic_add_fetch(&x->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		long v = x->counter;
		if ((i & 63) == 0)
			sched_yield();   /* hold it across a reschedule now and then */
		x->counter = v + 1;
		if (pthread_mutex_unlock(x->m) != 0)
			__atomic_add_fetch(&x->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static long exclusion(pthread_mutex_t *m, int nthreads, int iters, int *errors)
{
	struct excl x = {m, iters, 0, 0};
	pthread_t t[NTHREADS];
	for (int i = 0; i < nthreads; i++)
		must(pthread_create(&t[i], NULL, excl_thread, &x), "pthread_create");
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	*errors = x.errors;
	return x.counter;
}

/* ---------------------------------------------------------- one kind */
enum { K_NORMAL, K_RECURSIVE, K_ERRORCHECK, K_ADAPTIVE };
static const char *const kind_names[] = {"normal", "recursive", "errorcheck",
					 "adaptive"};
static const int kind_types[] = {PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_RECURSIVE,
				 PTHREAD_MUTEX_ERRORCHECK,
				 PTHREAD_MUTEX_ADAPTIVE_NP};

static pthread_mutex_t s_normal = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t s_recursive = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_mutex_t s_errorcheck = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static pthread_mutex_t s_adaptive = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;

static void check_kind(int kind, const char *src, pthread_mutex_t *m)
{
	char what[128];
	int errors;
	struct timespec ts;

#define W(...) (snprintf(what, sizeof what, "%s/%s: ", kind_names[kind], src), \
		snprintf(what + strlen(what), sizeof what - strlen(what), __VA_ARGS__), what)

	phase = "exclusion";
	long n = exclusion(m, NTHREADS, NINCR, &errors);
	expect_val(W("exclusion %d x %d", NTHREADS, NINCR), n, (long)NTHREADS * NINCR);
	expect_val(W("exclusion errors"), errors, 0);

	phase = "owner calls";
	expect(W("lock"), pthread_mutex_lock(m), 0);
	expect(W("owner trylock"), pthread_mutex_trylock(m),
	       kind == K_RECURSIVE ? 0 : EBUSY);
	if (kind == K_RECURSIVE) {
		/* depth 2 now; go to 51 */
		int bad = 0;
		for (int i = 0; i < 49; i++)
			bad += pthread_mutex_lock(m) != 0;
		expect_val(W("49 nested locks failing"), bad, 0);
		ts = deadline(CLOCK_REALTIME, 1000);
		expect(W("owner timedlock"), pthread_mutex_timedlock(m, &ts), 0);
		ts = deadline(CLOCK_MONOTONIC, 1000);
		expect(W("owner clocklock monotonic"),
		       pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &ts), 0);
		/* depth 53: undo 52 of them */
		bad = 0;
		for (int i = 0; i < 52; i++)
			bad += pthread_mutex_unlock(m) != 0;
		expect_val(W("52 unlocks failing"), bad, 0);
		expect(W("other trylock at depth 1"), in_thread(f_try, m), EBUSY);
	} else if (kind == K_ERRORCHECK) {
		expect(W("owner relock"), pthread_mutex_lock(m), EDEADLK);
		ts = deadline(CLOCK_REALTIME, 1000);
		expect(W("owner timedlock"), pthread_mutex_timedlock(m, &ts), EDEADLK);
		ts = deadline(CLOCK_MONOTONIC, 1000);
		expect(W("owner clocklock monotonic"),
		       pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &ts), EDEADLK);
	}

	phase = "others while held";
	expect(W("other trylock"), in_thread(f_try, m), EBUSY);
	expect(W("other timedlock 20ms"), in_thread(f_timed_short, m), ETIMEDOUT);
	expect(W("other clocklock monotonic 20ms"), in_thread(f_mono_short, m),
	       ETIMEDOUT);
	expect(W("other clocklock realtime 20ms"), in_thread(f_real_short, m),
	       ETIMEDOUT);
	expect(W("unlock"), pthread_mutex_unlock(m), 0);

	phase = "others while free";
	expect(W("other trylock free"), in_thread(f_try, m), 0);
	expect(W("other lock free"), in_thread(f_lock, m), 0);
	expect(W("other timedlock free"), in_thread(f_timed_long, m), 0);
	expect(W("other clocklock monotonic free"), in_thread(f_mono_long, m), 0);
	expect(W("other clocklock realtime free"), in_thread(f_real_long, m), 0);

	phase = "blocked timed lockers woken by unlock";
	static const mfn waiters[] = {f_lock, f_timed_long, f_mono_long, f_real_long};
	static const char *const wnames[] = {"lock", "timedlock", "clocklock monotonic",
					     "clocklock realtime"};
	for (int i = 0; i < 4; i++) {
		struct call c = {waiters[i], m, -1};
		must(pthread_mutex_lock(m), "lock");
		pthread_t t = start_call(&c);
		sleep_ms(20);
		must(pthread_mutex_unlock(m), "unlock");
		pthread_join(t, NULL);
		expect(W("blocked %s woken by unlock", wnames[i]), c.rc, 0);
	}
#undef W
}

/* ---------------------------------------------------------- attributes */
static const char *type_name(int t)
{
	switch (t) {
	case PTHREAD_MUTEX_NORMAL: return "PTHREAD_MUTEX_NORMAL";
	case PTHREAD_MUTEX_RECURSIVE: return "PTHREAD_MUTEX_RECURSIVE";
	case PTHREAD_MUTEX_ERRORCHECK: return "PTHREAD_MUTEX_ERRORCHECK";
	case PTHREAD_MUTEX_ADAPTIVE_NP: return "PTHREAD_MUTEX_ADAPTIVE_NP";
	}
	return "?";
}

static void attr_roundtrips(void)
{
	pthread_mutexattr_t a;
	int v, rc;

	phase = "mutexattr";
	must(pthread_mutexattr_init(&a), "pthread_mutexattr_init");

	v = -1;
	rc = pthread_mutexattr_gettype(&a, &v);
	printf("attr default type: %s %s\n", errname(rc), type_name(v));
	if (v != PTHREAD_MUTEX_DEFAULT) {
		printf("FAIL: default type is not PTHREAD_MUTEX_DEFAULT\n");
		failures++;
	}
	for (int k = 0; k < 4; k++) {
		expect("attr settype", pthread_mutexattr_settype(&a, kind_types[k]), 0);
		v = -1;
		pthread_mutexattr_gettype(&a, &v);
		printf("attr gettype: %s\n", type_name(v));
		if (v != kind_types[k]) {
			printf("FAIL: gettype after settype(%s)\n", type_name(kind_types[k]));
			failures++;
		}
	}
	expect("attr settype 42", pthread_mutexattr_settype(&a, 42), EINVAL);

	v = -1;
	pthread_mutexattr_getpshared(&a, &v);
	expect_val("attr default pshared is PRIVATE", v == PTHREAD_PROCESS_PRIVATE, 1);
	expect("attr setpshared SHARED",
	       pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
	pthread_mutexattr_getpshared(&a, &v);
	expect_val("attr getpshared is SHARED", v == PTHREAD_PROCESS_SHARED, 1);
	expect("attr setpshared 42", pthread_mutexattr_setpshared(&a, 42), EINVAL);
	expect("attr setpshared PRIVATE",
	       pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_PRIVATE), 0);

	v = -1;
	pthread_mutexattr_getprotocol(&a, &v);
	expect_val("attr default protocol is PRIO_NONE", v == PTHREAD_PRIO_NONE, 1);
	expect("attr setprotocol INHERIT",
	       pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT), 0);
	pthread_mutexattr_getprotocol(&a, &v);
	expect_val("attr getprotocol is INHERIT", v == PTHREAD_PRIO_INHERIT, 1);
	expect("attr setprotocol PROTECT",
	       pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_PROTECT), 0);
	pthread_mutexattr_getprotocol(&a, &v);
	expect_val("attr getprotocol is PROTECT", v == PTHREAD_PRIO_PROTECT, 1);
	expect("attr setprotocol 42", pthread_mutexattr_setprotocol(&a, 42), EINVAL);
	expect("attr setprotocol NONE",
	       pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_NONE), 0);

	v = -1;
	rc = pthread_mutexattr_getprioceiling(&a, &v);
	printf("attr default prioceiling: %s %d\n", errname(rc), v);
	expect("attr setprioceiling 10", pthread_mutexattr_setprioceiling(&a, 10), 0);
	v = -1;
	pthread_mutexattr_getprioceiling(&a, &v);
	expect_val("attr getprioceiling", v, 10);
	expect("attr setprioceiling 0", pthread_mutexattr_setprioceiling(&a, 0), EINVAL);
	expect("attr setprioceiling 100",
	       pthread_mutexattr_setprioceiling(&a, 100), EINVAL);

	v = -1;
	pthread_mutexattr_getrobust(&a, &v);
	expect_val("attr default robust is STALLED", v == PTHREAD_MUTEX_STALLED, 1);
	expect("attr setrobust ROBUST",
	       pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), 0);
	pthread_mutexattr_getrobust(&a, &v);
	expect_val("attr getrobust is ROBUST", v == PTHREAD_MUTEX_ROBUST, 1);
	expect("attr setrobust 42", pthread_mutexattr_setrobust(&a, 42), EINVAL);
	expect("attr setrobust STALLED",
	       pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_STALLED), 0);
	expect("pthread_mutexattr_destroy", pthread_mutexattr_destroy(&a), 0);

	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	expect("mutex getprioceiling on a non-PROTECT mutex",
	       pthread_mutex_getprioceiling(&m, &v), EINVAL);
	expect("destroy a static mutex", pthread_mutex_destroy(&m), 0);
}

/* ---------------------------------------------------------- PI mutex */
static void prio_inherit(void)
{
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	int errors;

	phase = "PRIO_INHERIT";
	pthread_mutexattr_init(&a);
	must(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT), "setprotocol");
	expect("pi: init", pthread_mutex_init(&m, &a), 0);
	pthread_mutexattr_destroy(&a);
	expect_val("pi: exclusion 4 x 5000", exclusion(&m, 4, 5000, &errors), 20000);
	expect_val("pi: exclusion errors", errors, 0);
	expect("pi: lock", pthread_mutex_lock(&m), 0);
	expect("pi: other trylock", in_thread(f_try, &m), EBUSY);
	expect("pi: other timedlock 20ms", in_thread(f_timed_short, &m), ETIMEDOUT);
	struct call c = {f_timed_long, &m, -1};
	pthread_t t = start_call(&c);
	sleep_ms(20);
	expect("pi: unlock", pthread_mutex_unlock(&m), 0);
	pthread_join(t, NULL);
	expect("pi: blocked timedlock woken by unlock", c.rc, 0);
	expect("pi: destroy", pthread_mutex_destroy(&m), 0);
}

/* ---------------------------------------------------------- fork */
struct shared {
	pthread_mutex_t m;
	pthread_mutex_t robust;
	volatile long counter;
};

static void process_shared(void)
{
	pthread_mutexattr_t a;
	struct shared *sh;
	int status;

	phase = "process-shared";
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		printf("FAIL: mmap\n");
		exit(1);
	}
	pthread_mutexattr_init(&a);
	must(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED), "setpshared");
	expect("pshared: init", pthread_mutex_init(&sh->m, &a), 0);
	sh->counter = 0;

	expect("pshared: parent lock", pthread_mutex_lock(&sh->m), 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		printf("FAIL: fork\n");
		exit(1);
	}
	if (pid == 0) {
		int code = 0;
		if (pthread_mutex_trylock(&sh->m) != EBUSY)
			code |= 1;
		if (pthread_mutex_lock(&sh->m) != 0)   /* blocks until the parent unlocks */
			code |= 2;
		sh->counter++;
		if (pthread_mutex_unlock(&sh->m) != 0)
			code |= 4;
		for (int i = 0; i < NINCR; i++) {
			if (pthread_mutex_lock(&sh->m) != 0) {
				code |= 8;
				continue;
			}
			sh->counter++;
			pthread_mutex_unlock(&sh->m);
		}
		_exit(code);
	}
	sleep_ms(50);
	expect("pshared: parent unlock", pthread_mutex_unlock(&sh->m), 0);
	for (int i = 0; i < NINCR; i++) {
		pthread_mutex_lock(&sh->m);
		sh->counter++;
		pthread_mutex_unlock(&sh->m);
	}
	if (waitpid(pid, &status, 0) != pid) {
		printf("FAIL: waitpid\n");
		exit(1);
	}
	expect_val("pshared: child exit status (0: trylock EBUSY, lock/unlock ok)",
		   WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status), 0);
	expect_val("pshared: counter", sh->counter, 2L * NINCR + 1);
	expect("pshared: destroy", pthread_mutex_destroy(&sh->m), 0);

	/* A robust process-shared mutex whose owner process dies. */
	phase = "robust pshared";
	must(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), "setrobust");
	expect("robust pshared: init", pthread_mutex_init(&sh->robust, &a), 0);
	pthread_mutexattr_destroy(&a);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("FAIL: fork\n");
		exit(1);
	}
	if (pid == 0) {
		int rc = pthread_mutex_lock(&sh->robust);
		_exit(rc == 0 ? 0 : 1);   /* exits holding it */
	}
	waitpid(pid, &status, 0);
	expect_val("robust pshared: child locked and exited",
		   WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status), 0);
	expect("robust pshared: parent lock", pthread_mutex_lock(&sh->robust),
	       EOWNERDEAD);
	expect("robust pshared: consistent", pthread_mutex_consistent(&sh->robust), 0);
	expect("robust pshared: unlock", pthread_mutex_unlock(&sh->robust), 0);
	expect("robust pshared: lock again", pthread_mutex_lock(&sh->robust), 0);
	expect("robust pshared: unlock again", pthread_mutex_unlock(&sh->robust), 0);
	expect("robust pshared: destroy", pthread_mutex_destroy(&sh->robust), 0);
	munmap(sh, sizeof *sh);
}

/* ---------------------------------------------------------- robust */
static void *lock_and_exit(void *arg)
{
	return (void *)(intptr_t)pthread_mutex_lock(arg);
}

static volatile int later_locked;

static void *lock_and_exit_later(void *arg)
{
	int rc = pthread_mutex_lock(arg);
	__atomic_store_n(&later_locked, 1, __ATOMIC_RELEASE);
	sleep_ms(50);   /* let the other thread block in lock */
	return (void *)(intptr_t)rc;
}

struct robust_waiter {
	pthread_mutex_t *m;
	int rc, consistent, unlock;
};

static void *robust_waiter(void *arg)
{
	struct robust_waiter *w = arg;
	w->rc = pthread_mutex_lock(w->m);
	if (w->rc == EOWNERDEAD)
		w->consistent = pthread_mutex_consistent(w->m);
	if (w->rc == 0 || w->rc == EOWNERDEAD)
		w->unlock = pthread_mutex_unlock(w->m);
	return NULL;
}

static void dead_owner(pthread_mutex_t *m, const char *what)
{
	pthread_t t;
	void *ret;
	char buf[128];
	must(pthread_create(&t, NULL, lock_and_exit, m), "pthread_create");
	pthread_join(t, &ret);
	snprintf(buf, sizeof buf, "%s: owner thread locked and exited", what);
	expect(buf, (int)(intptr_t)ret, 0);
}

static void robust(void)
{
	pthread_mutexattr_t a;
	pthread_mutex_t m;

	phase = "robust";
	pthread_mutexattr_init(&a);
	must(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), "setrobust");
	expect("robust: init", pthread_mutex_init(&m, &a), 0);

	dead_owner(&m, "robust");
	expect("robust: lock after owner died", pthread_mutex_lock(&m), EOWNERDEAD);
	expect("robust: consistent", pthread_mutex_consistent(&m), 0);
	expect("robust: unlock", pthread_mutex_unlock(&m), 0);
	expect("robust: lock", pthread_mutex_lock(&m), 0);
	expect("robust: unlock", pthread_mutex_unlock(&m), 0);
	expect("robust: other lock", in_thread(f_lock, &m), 0);

	dead_owner(&m, "robust trylock");
	expect("robust: trylock after owner died", pthread_mutex_trylock(&m),
	       EOWNERDEAD);
	expect("robust: consistent", pthread_mutex_consistent(&m), 0);
	expect("robust: unlock", pthread_mutex_unlock(&m), 0);

	/* A thread already blocked in lock when the owner exits. */
	phase = "robust blocked waiter";
	pthread_t owner, waiter;
	struct robust_waiter w = {&m, -1, -1, -1};
	void *ret;
	must(pthread_create(&owner, NULL, lock_and_exit_later, &m), "pthread_create");
	while (!__atomic_load_n(&later_locked, __ATOMIC_ACQUIRE))
		sleep_ms(1);
	must(pthread_create(&waiter, NULL, robust_waiter, &w), "pthread_create");
	pthread_join(owner, &ret);
	pthread_join(waiter, NULL);
	expect("robust: sleeping owner locked", (int)(intptr_t)ret, 0);
	expect("robust: blocked waiter lock", w.rc, EOWNERDEAD);
	expect("robust: blocked waiter consistent", w.consistent, 0);
	expect("robust: blocked waiter unlock", w.unlock, 0);
	expect("robust: destroy", pthread_mutex_destroy(&m), 0);

	/* Not made consistent: unrecoverable. */
	phase = "robust unrecoverable";
	expect("robust2: init", pthread_mutex_init(&m, &a), 0);
	dead_owner(&m, "robust2");
	expect("robust2: lock after owner died", pthread_mutex_lock(&m), EOWNERDEAD);
	expect("robust2: unlock without consistent", pthread_mutex_unlock(&m), 0);
	expect("robust2: lock", pthread_mutex_lock(&m), ENOTRECOVERABLE);
	expect("robust2: other lock", in_thread(f_lock, &m), ENOTRECOVERABLE);
	/* Last: glibc 2.36's trylock leaves an unrecoverable mutex locked
	 * when it reports ENOTRECOVERABLE, so nothing may lock it after. */
	expect("robust2: trylock", pthread_mutex_trylock(&m), ENOTRECOVERABLE);
	expect("robust2: destroy", pthread_mutex_destroy(&m), 0);

	/* Robust errorcheck: the owner checks still apply. */
	must(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK), "settype");
	expect("robust errorcheck: init", pthread_mutex_init(&m, &a), 0);
	expect("robust errorcheck: lock", pthread_mutex_lock(&m), 0);
	expect("robust errorcheck: relock", pthread_mutex_lock(&m), EDEADLK);
	/* glibc: the robust path reports EDEADLK here, not EBUSY */
	expect("robust errorcheck: owner trylock", pthread_mutex_trylock(&m), EDEADLK);
	expect("robust errorcheck: other trylock", in_thread(f_try, &m), EBUSY);
	expect("robust errorcheck: unlock", pthread_mutex_unlock(&m), 0);
	expect("robust errorcheck: unlock unlocked", pthread_mutex_unlock(&m), EPERM);
	expect("robust errorcheck: destroy", pthread_mutex_destroy(&m), 0);
	pthread_mutexattr_destroy(&a);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(90);

	for (int k = 0; k < 4; k++) {
		pthread_mutexattr_t a;
		pthread_mutex_t m;
		pthread_mutexattr_init(&a);
		must(pthread_mutexattr_settype(&a, kind_types[k]), "settype");
		must(pthread_mutex_init(&m, &a), "pthread_mutex_init");
		pthread_mutexattr_destroy(&a);
		check_kind(k, "attr", &m);
		expect("destroy", pthread_mutex_destroy(&m), 0);
	}
	check_kind(K_NORMAL, "static", &s_normal);
	check_kind(K_RECURSIVE, "static", &s_recursive);
	check_kind(K_ERRORCHECK, "static", &s_errorcheck);
	check_kind(K_ADAPTIVE, "static", &s_adaptive);

	/* Process-shared and robust mutexes used by the threads of one
	 * process behave like the normal kind. */
	static const struct {
		const char *src;
		int pshared, robust;
	} special[] = {{"pshared", 1, 0}, {"robust", 0, 1}, {"pshared+robust", 1, 1}};
	for (int i = 0; i < 3; i++) {
		pthread_mutexattr_t a;
		pthread_mutex_t m;
		pthread_mutexattr_init(&a);
		if (special[i].pshared)
			must(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED),
			     "setpshared");
		if (special[i].robust)
			must(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), "setrobust");
		must(pthread_mutex_init(&m, &a), "pthread_mutex_init");
		pthread_mutexattr_destroy(&a);
		check_kind(K_NORMAL, special[i].src, &m);
		expect("destroy", pthread_mutex_destroy(&m), 0);
	}

	attr_roundtrips();
	prio_inherit();
	process_shared();
	robust();

	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
