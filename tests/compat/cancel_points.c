/* cancel_points: pthread_cancel of threads blocked at cancellation points
 * (condvar, semaphore and join waits, sleeps), with cleanup handlers,
 * disabled and asynchronous cancellation, and pending requests acted on at
 * the next cancellation point (also glibc's own, a process-shared
 * semaphore's sem_wait, which runs as a blocking call).  Races: cancellations against condvar
 * signals (no signal lost), a join's end, semaphore posts, and the
 * time-outs of short timed waits (sem, cond, timedjoin, nanosleep).  A
 * pthread_once init routine cancelled midway is run again by the next
 * caller.  Every line printed is the same natively and under mnthread; a
 * thread that is not woken by its cancellation hangs the program (alarm). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "ok" : "WRONG");
	if (!ok)
		failures++;
}

static const char *res_name(void *r)
{
	return r == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : r == NULL ? "NULL" : "a value";
}

static void join_report(const char *what, pthread_t t)
{
	void *r = (void *)1;
	int e = pthread_join(t, &r);
	printf("%s: join %s, result %s\n", what, e ? strerror(e) : "0", res_name(r));
}

/* Let a thread reach its wait (no way to know it from outside). */
static void settle(void) { usleep(30000); }

/* ---- a condvar wait: the cleanup handler runs with the mutex held */
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int never;
static atomic_int held_in_cleanup = -1, cleanups;

static void unlock_cleanup(void *arg)
{
	pthread_mutex_t *mx = arg;
	/* Held by us: an errorcheck-style probe would need the kind; trylock
	 * from here on a normal mutex we hold says EBUSY. */
	held_in_cleanup = pthread_mutex_trylock(mx) == EBUSY;
	atomic_fetch_add(&cleanups, 1);
	pthread_mutex_unlock(mx);
}

static void *cond_waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	pthread_cleanup_push(unlock_cleanup, &m);
	while (!never)
		pthread_cond_wait(&c, &m);
	pthread_cleanup_pop(1);
	return NULL;
}

static void *cond_timedwaiter(void *arg)
{
	(void)arg;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 30;
	pthread_mutex_lock(&m);
	pthread_cleanup_push(unlock_cleanup, &m);
	while (!never)
		pthread_cond_timedwait(&c, &m, &ts);
	pthread_cleanup_pop(1);
	return NULL;
}

/* ---- a semaphore wait */
static sem_t s0;
static void count_cleanup(void *arg) { (void)arg; atomic_fetch_add(&cleanups, 1); }

static void *sem_waiter(void *arg)
{
	(void)arg;
	pthread_cleanup_push(count_cleanup, NULL);
	sem_wait(&s0);
	pthread_cleanup_pop(0);
	return NULL;
}

static void *sem_timedwaiter(void *arg)
{
	(void)arg;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 30;
	pthread_cleanup_push(count_cleanup, NULL);
	sem_timedwait(&s0, &ts);
	pthread_cleanup_pop(0);
	return NULL;
}

/* ---- a join of a thread that keeps running */
static sem_t hold;
static void *held(void *arg)
{
	sem_wait(&hold);
	return arg;
}

static void *joiner(void *arg)
{
	pthread_t *target = arg;
	pthread_cleanup_push(count_cleanup, NULL);
	pthread_join(*target, NULL);
	pthread_cleanup_pop(0);
	return NULL;
}

/* ---- sleeps */
static void *sleeper(void *arg)
{
	int how = (int)(long)arg;
	pthread_cleanup_push(count_cleanup, NULL);
	if (how == 0) {
		struct timespec ts = { 30, 0 };
		nanosleep(&ts, NULL);
	} else if (how == 1) {
		sleep(30);
	} else {
		usleep(30000000);
	}
	pthread_cleanup_pop(0);
	return NULL;
}

/* ---- cancellation disabled while waiting: the wait goes on */
static sem_t s1, s1_done;
static atomic_int disabled_rc = -1;
static void *disabled_waiter(void *arg)
{
	(void)arg;
	int old;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	disabled_rc = sem_wait(&s1);
	sem_post(&s1_done);
	/* The request stays pending: acted on once enabled, at the next
	 * cancellation point (here, sem_wait with a unit available). */
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
	sem_wait(&s1);
	return (void *)"not cancelled";
}

/* ---- a pending request is acted on at the next cancellation point */
static sem_t go;
static void *pending_then_point(void *arg)
{
	int kind = (int)(long)arg;
	int old;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	sem_wait(&go); /* main cancels us, then posts go */
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
	if (kind == 0) {
		sem_wait(&s1); /* s1 has a unit: a cancellation point all the same */
	} else if (kind == 1) {
		pthread_mutex_lock(&m);
		pthread_cleanup_push(unlock_cleanup, &m);
		pthread_cond_wait(&c, &m);
		pthread_cleanup_pop(1);
	} else {
		usleep(1);
	}
	return (void *)"not cancelled";
}

static void *pending_pshared(void *arg)
{
	int old;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	sem_wait(&go); /* main cancels us, then posts go */
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
	sem_wait(arg);
	return (void *)"not cancelled";
}

/* ---- asynchronous cancellation while blocked in a wait */
static void *async_waiter(void *arg)
{
	(void)arg;
	int old;
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
	sem_wait(&s0);
	pthread_setcanceltype(old, NULL);
	return NULL;
}

/* Asynchronous cancellation ends a mutex wait too (no cancellation point:
 * with the deferred type the thread would wait on). */
static pthread_mutex_t async_m = PTHREAD_MUTEX_INITIALIZER;
static void *async_mutex_waiter(void *arg)
{
	(void)arg;
	int old;
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
	pthread_mutex_lock(&async_m);
	pthread_setcanceltype(old, NULL);
	pthread_mutex_unlock(&async_m);
	return NULL;
}

/* ---- cancellations racing signals on one condvar: no signal is lost */
#define RACE_WAITERS 8
#define RACE_TOKENS 2000
static pthread_mutex_t rm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rc = PTHREAD_COND_INITIALIZER;
static int tokens, consumed, stop;

static void race_cleanup(void *arg) { pthread_mutex_unlock(arg); }

static void *race_waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&rm);
	pthread_cleanup_push(race_cleanup, &rm);
	for (;;) {
		while (tokens == 0 && !stop)
			pthread_cond_wait(&rc, &rm);
		if (tokens == 0)
			break;
		tokens--;
		consumed++;
	}
	pthread_cleanup_pop(1);
	return NULL;
}

static void cancel_race(void)
{
	pthread_t w[RACE_WAITERS * 2];
	int nw = 0, cancelled = 0;
	for (int i = 0; i < RACE_WAITERS; i++)
		pthread_create(&w[nw++], NULL, race_waiter, NULL);
	for (int i = 0; i < RACE_TOKENS; i++) {
		pthread_mutex_lock(&rm);
		tokens++;
		pthread_cond_signal(&rc);
		pthread_mutex_unlock(&rm);
		if (i % 250 == 125) {
			/* Cancel the oldest live waiter just after a signal, and
			 * start a new one: the signal must reach someone. */
			pthread_cancel(w[cancelled]);
			pthread_join(w[cancelled], NULL);
			cancelled++;
			pthread_create(&w[nw++], NULL, race_waiter, NULL);
		}
		if (i % 64 == 0)
			sched_yield();
	}
	/* Every token is taken by some live waiter within a few seconds. */
	int left = -1;
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&rm);
		left = tokens;
		pthread_mutex_unlock(&rm);
		if (left == 0)
			break;
		usleep(10000);
	}
	printf("race: %d waiters cancelled\n", cancelled);
	check("race: every token taken (no signal lost)", left == 0);
	pthread_mutex_lock(&rm);
	stop = 1;
	pthread_cond_broadcast(&rc);
	pthread_mutex_unlock(&rm);
	for (int i = cancelled; i < nw; i++)
		pthread_join(w[i], NULL);
	check("race: tokens consumed == produced", consumed == RACE_TOKENS);
}

/* ---- an init routine of pthread_once cancelled: the next caller runs it */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static sem_t once_entered, once_block;
static atomic_int once_runs, once_done_by = -1;
static void once_init(void)
{
	int run = atomic_fetch_add(&once_runs, 1);
	if (run == 0) {
		sem_post(&once_entered);
		sem_wait(&once_block); /* cancelled here */
	}
	once_done_by = run;
}

static void *once_caller(void *arg)
{
	(void)arg;
	pthread_once(&once, once_init);
	return (void *)"returned";
}

static void once_cancel(void)
{
	sem_init(&once_entered, 0, 0);
	sem_init(&once_block, 0, 0);
	pthread_t a, b;
	pthread_create(&a, NULL, once_caller, NULL);
	sem_wait(&once_entered);
	pthread_create(&b, NULL, once_caller, NULL); /* waits for a's init */
	settle();
	pthread_cancel(a);
	join_report("once: the thread cancelled in init", a);
	void *r = NULL;
	pthread_join(b, &r);
	printf("once: the waiter %s, init runs %d, completed by run %d\n",
	       r && strcmp(r, "returned") == 0 ? "returned" : "WRONG", (int)once_runs, (int)once_done_by);
	pthread_once(&once, once_init);
	printf("once: runs after one more call: %d\n", (int)once_runs);
}

/* ---- cancellations racing time-outs: short timed waits in a loop,
 * cancelled at arbitrary moments; each must end cancelled */
static pthread_mutex_t tm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tc = PTHREAD_COND_INITIALIZER;
static sem_t ts0; /* never posted */

static void *timed_looper(void *arg)
{
	int kind = (int)(long)arg;
	pthread_t self_target = 0;
	if (kind == 2)
		pthread_create(&self_target, NULL, held, NULL); /* joined with time-outs */
	for (;;) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200000 + (kind * 37000);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (kind == 0) {
			sem_timedwait(&ts0, &ts);
		} else if (kind == 1) {
			pthread_mutex_lock(&tm);
			pthread_cleanup_push(race_cleanup, &tm);
			pthread_cond_timedwait(&tc, &tm, &ts);
			pthread_cleanup_pop(1);
		} else if (kind == 2) {
			pthread_timedjoin_np(self_target, NULL, &ts);
		} else {
			struct timespec d = { 0, 150000 };
			nanosleep(&d, NULL);
		}
	}
	return NULL;
}

static void timeout_race(void)
{
	int bad = 0;
	sem_init(&ts0, 0, 0);
	for (int i = 0; i < 200; i++) {
		pthread_t t;
		pthread_create(&t, NULL, timed_looper, (void *)(long)(i % 4));
		usleep(100 + (i * 53) % 700);
		pthread_cancel(t);
		void *r = NULL;
		pthread_join(t, &r);
		if (r != PTHREAD_CANCELED)
			bad++;
	}
	/* the timedjoin loopers' targets wait on hold: let them go */
	for (int i = 0; i < 50; i++)
		sem_post(&hold);
	printf("timeout race: 200 runs\n");
	check("timeout race: every looper cancelled", bad == 0);
}

/* ---- cancellations racing a join's end and semaphore posts */
#define JRACE 300
static void *quick(void *arg) { return arg; }

static void *race_joiner(void *arg)
{
	pthread_t target = *(pthread_t *)arg;
	void *r = NULL;
	if (pthread_join(target, &r) != 0)
		return (void *)"join failed";
	return r; /* the target's own result */
}

static void join_race(void)
{
	int bad = 0, cancelled = 0;
	for (int i = 0; i < JRACE; i++) {
		pthread_t target, j;
		pthread_create(&target, NULL, quick, (void *)"target");
		pthread_create(&j, NULL, race_joiner, &target);
		if (i % 3)
			sched_yield();
		pthread_cancel(j);
		void *r = NULL;
		pthread_join(j, &r);
		if (r == PTHREAD_CANCELED) {
			/* cancelled before or while waiting: the target is still
			 * ours to join, exactly once */
			cancelled++;
			void *tr = NULL;
			if (pthread_join(target, &tr) != 0 || tr == NULL || strcmp(tr, "target"))
				bad++;
		} else if (r == NULL || strcmp(r, "target")) {
			bad++;
		}
	}
	printf("join race: %d runs\n", JRACE);
	check("join race: every target joined exactly once", bad == 0);
	(void)cancelled; /* how many varies from run to run */
}

static sem_t rs;
static atomic_int units_taken;
static void *race_sem_waiter(void *arg)
{
	(void)arg;
	for (;;) {
		sem_wait(&rs);
		atomic_fetch_add(&units_taken, 1);
	}
	return NULL;
}

static void sem_race(void)
{
	sem_init(&rs, 0, 0);
	pthread_t w[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&w[i], NULL, race_sem_waiter, NULL);
	int posted = 0;
	for (int k = 0; k < 4; k++) {
		for (int i = 0; i < 500; i++) {
			sem_post(&rs);
			posted++;
			if (i % 50 == 0)
				sched_yield();
		}
		pthread_cancel(w[k]); /* amid posts: no unit may vanish */
		pthread_join(w[k], NULL);
	}
	int v = -1;
	sem_getvalue(&rs, &v);
	printf("sem race: %d posted\n", posted);
	check("sem race: units taken + left == posted", (int)units_taken + v == posted);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(60);
	pthread_t t, t2;
	sem_init(&s0, 0, 0);
	sem_init(&s1, 0, 0);
	sem_init(&s1_done, 0, 0);
	sem_init(&hold, 0, 0);
	sem_init(&go, 0, 0);

	/* cond waits */
	pthread_create(&t, NULL, cond_waiter, NULL);
	settle();
	printf("cancel cond waiter: %d\n", pthread_cancel(t));
	join_report("cond waiter", t);
	check("cond waiter: cleanup ran with the mutex held", held_in_cleanup == 1);
	check("cond waiter: mutex free afterwards", pthread_mutex_trylock(&m) == 0 && pthread_mutex_unlock(&m) == 0);

	held_in_cleanup = -1;
	pthread_create(&t, NULL, cond_timedwaiter, NULL);
	settle();
	printf("cancel cond timedwaiter: %d\n", pthread_cancel(t));
	join_report("cond timedwaiter", t);
	check("cond timedwaiter: cleanup ran with the mutex held", held_in_cleanup == 1);

	/* sem waits */
	cleanups = 0;
	pthread_create(&t, NULL, sem_waiter, NULL);
	pthread_create(&t2, NULL, sem_timedwaiter, NULL);
	settle();
	printf("cancel sem waiters: %d %d\n", pthread_cancel(t), pthread_cancel(t2));
	join_report("sem waiter", t);
	join_report("sem timedwaiter", t2);
	int v = -1;
	sem_getvalue(&s0, &v);
	printf("sem value after: %d, cleanups: %d\n", v, (int)cleanups);
	/* the semaphore still works: a new waiter gets a post */
	pthread_create(&t, NULL, sem_waiter, NULL);
	settle();
	sem_post(&s0);
	join_report("sem waiter posted", t);

	/* join */
	cleanups = 0;
	pthread_t target;
	pthread_create(&target, NULL, held, (void *)"target result");
	pthread_create(&t, NULL, joiner, &target);
	settle();
	printf("cancel joiner: %d\n", pthread_cancel(t));
	join_report("joiner", t);
	sem_post(&hold);
	void *r = NULL;
	int e = pthread_join(target, &r);
	printf("the target is joinable again: join %d, result %s\n", e,
	       r && strcmp(r, "target result") == 0 ? "its own" : "WRONG");
	printf("joiner cleanups: %d\n", (int)cleanups);

	/* sleeps */
	cleanups = 0;
	for (long how = 0; how < 3; how++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		pthread_create(&t, NULL, sleeper, (void *)how);
		settle();
		pthread_cancel(t);
		join_report(how == 0 ? "nanosleep" : how == 1 ? "sleep" : "usleep", t);
		clock_gettime(CLOCK_MONOTONIC, &b);
		check("  cancelled well before the 30 s", b.tv_sec - a.tv_sec < 10);
	}
	printf("sleep cleanups: %d\n", (int)cleanups);

	/* disabled while waiting */
	pthread_create(&t, NULL, disabled_waiter, NULL);
	settle();
	printf("cancel disabled waiter: %d\n", pthread_cancel(t));
	settle();
	int done = sem_trywait(&s1_done);
	check("disabled waiter still waiting after the cancel", done == -1 && errno == EAGAIN);
	sem_post(&s1);
	sem_wait(&s1_done);
	printf("disabled waiter's sem_wait: %d\n", (int)disabled_rc);
	sem_post(&s1); /* a unit for its second, cancellable, sem_wait */
	join_report("disabled waiter, enabled again", t);
	sem_getvalue(&s1, &v);
	printf("unit left by the cancelled sem_wait: %d\n", v);
	while (sem_trywait(&s1) == 0)
		;

	/* pending request acted on at the next cancellation point */
	for (long kind = 0; kind < 3; kind++) {
		if (kind == 0)
			sem_post(&s1);
		held_in_cleanup = -1;
		pthread_create(&t, NULL, pending_then_point, (void *)kind);
		pthread_cancel(t);
		sem_post(&go);
		join_report(kind == 0 ? "pending, then sem_wait" : kind == 1 ? "pending, then cond_wait"
									       : "pending, then usleep",
			    t);
		if (kind == 1)
			check("  cleanup ran with the mutex held", held_in_cleanup == 1);
	}
	while (sem_trywait(&s1) == 0)
		;

	/* a pending request at a process-shared semaphore's sem_wait, which
	 * is glibc's own (a blocking call): acted on there, and the thread's
	 * end leaves the runtime sound (later threads still run) */
	sem_t pshared;
	sem_init(&pshared, 1, 0);
	for (int i = 0; i < 5; i++) {
		pthread_create(&t, NULL, pending_pshared, &pshared);
		pthread_cancel(t);
		sem_post(&go);
		join_report(i == 0 ? "pending, then a process-shared sem_wait" : "  again", t);
	}
	sem_destroy(&pshared);

	/* asynchronous cancellation of a blocked thread */
	pthread_create(&t, NULL, async_waiter, NULL);
	settle();
	printf("cancel async waiter: %d\n", pthread_cancel(t));
	join_report("async waiter", t);
	pthread_mutex_lock(&async_m);
	pthread_create(&t, NULL, async_mutex_waiter, NULL);
	settle();
	printf("cancel async mutex waiter: %d\n", pthread_cancel(t));
	join_report("async mutex waiter", t);
	pthread_mutex_unlock(&async_m);

	/* an exited thread: nothing to cancel, its own result */
	pthread_create(&t, NULL, held, (void *)"done");
	sem_post(&hold);
	settle();
	printf("cancel exited thread: %d\n", pthread_cancel(t));
	r = NULL;
	pthread_join(t, &r);
	printf("exited thread's result: %s\n", r && strcmp(r, "done") == 0 ? "its own" : "WRONG");

	once_cancel();
	cancel_race();
	join_race();
	sem_race();
	timeout_race();

	if (failures) {
		printf("FAIL: %d\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
