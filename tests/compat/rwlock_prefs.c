/* rwlock_prefs: pthread read-write locks behave as glibc's do.
 *
 * Proves:
 *   - readers share: 4 threads hold the read lock at the same time;
 *   - exclusion: 4 writers x 10000 increments of two fields while 4 readers
 *     x 10000 check under the read lock that the fields are equal: exact
 *     totals and no torn read;
 *   - while a writer holds it, another thread's tryrdlock/trywrlock ->
 *     EBUSY, timedrdlock/timedwrlock and clockrdlock/clockwrlock (CLOCK_MONOTONIC
 *     and CLOCK_REALTIME) with a 20 ms deadline -> ETIMEDOUT; while a reader
 *     holds it, other readers get in (0) and writers do not (EBUSY,
 *     ETIMEDOUT); when free, everything succeeds;
 *   - the writer itself: wrlock, rdlock, timedwrlock, timedrdlock ->
 *     EDEADLK, trywrlock/tryrdlock -> EBUSY;
 *   - the timed forms check their arguments even on a free lock:
 *     tv_nsec = 1e9 -> EINVAL, clock CLOCK_PROCESS_CPUTIME_ID -> EINVAL;
 *   - pthread_rwlock_unlock on a lock nobody holds: what glibc returns is
 *     printed (on a lock that is thrown away afterwards);
 *   - kinds: with the default kind, PTHREAD_RWLOCK_PREFER_READER_NP,
 *     PTHREAD_RWLOCK_PREFER_WRITER_NP (which glibc treats as reader
 *     preference) and PTHREAD_RWLOCK_INITIALIZER, a new reader gets in while
 *     a writer waits; with PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP (by
 *     attribute and by PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP) a
 *     new reader's tryrdlock gets EBUSY and its timedrdlock ETIMEDOUT while a
 *     writer is queued, and when the reader leaves the writer goes before a
 *     reader that blocked after it;
 *   - rwlockattr roundtrips (kind, pshared, with EINVAL for 42), destroy -> 0.
 *
 * Expects: exit 0 and a fixed list of "what: RESULT" lines.  A claim that
 * does not hold prints "FAIL: ..." and exits 1; a watchdog (SIGALRM, 90 s)
 * prints "FAIL: watchdog ..." if something hangs.
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
#include <time.h>
#include <unistd.h>
#include "compat.h"


/* ---------------------------------------------------------- one call in
 * another thread; a successful acquisition is released again */
enum op { TRYRD, TRYWR, RD, WR, TIMEDRD, TIMEDWR, CLOCKRD_MONO, CLOCKWR_MONO,
	  CLOCKRD_REAL, CLOCKWR_REAL };
static const char *const op_names[] = {
	"tryrdlock", "trywrlock", "rdlock", "wrlock", "timedrdlock", "timedwrlock",
	"clockrdlock monotonic", "clockwrlock monotonic", "clockrdlock realtime",
	"clockwrlock realtime"};

static int do_op(pthread_rwlock_t *l, enum op op, int ms)
{
	struct timespec ts;
	int rc = -1;
	switch (op) {
	case TRYRD: rc = pthread_rwlock_tryrdlock(l); break;
	case TRYWR: rc = pthread_rwlock_trywrlock(l); break;
	case RD: rc = pthread_rwlock_rdlock(l); break;
	case WR: rc = pthread_rwlock_wrlock(l); break;
	case TIMEDRD:
		ts = deadline(CLOCK_REALTIME, ms);
		rc = pthread_rwlock_timedrdlock(l, &ts);
		break;
	case TIMEDWR:
		ts = deadline(CLOCK_REALTIME, ms);
		rc = pthread_rwlock_timedwrlock(l, &ts);
		break;
	case CLOCKRD_MONO:
		ts = deadline(CLOCK_MONOTONIC, ms);
		rc = pthread_rwlock_clockrdlock(l, CLOCK_MONOTONIC, &ts);
		break;
	case CLOCKWR_MONO:
		ts = deadline(CLOCK_MONOTONIC, ms);
		rc = pthread_rwlock_clockwrlock(l, CLOCK_MONOTONIC, &ts);
		break;
	case CLOCKRD_REAL:
		ts = deadline(CLOCK_REALTIME, ms);
		rc = pthread_rwlock_clockrdlock(l, CLOCK_REALTIME, &ts);
		break;
	case CLOCKWR_REAL:
		ts = deadline(CLOCK_REALTIME, ms);
		rc = pthread_rwlock_clockwrlock(l, CLOCK_REALTIME, &ts);
		break;
	}
	return rc;
}

struct call {
	pthread_rwlock_t *l;
	enum op op;
	int ms;
	int rc;
	int unlock_rc;
};

static void *call_thread(void *arg)
{
	struct call *c = arg;
	c->rc = do_op(c->l, c->op, c->ms);
	c->unlock_rc = c->rc == 0 ? pthread_rwlock_unlock(c->l) : 0;
	return NULL;
}

static int in_thread(pthread_rwlock_t *l, enum op op, int ms)
{
	struct call c = {l, op, ms, -1, -1};
	pthread_join(spawn(call_thread, &c), NULL);
	if (c.unlock_rc != 0) {
		printf("FAIL: unlock after %s: %s\n", op_names[op], errname(c.unlock_rc));
		failures++;
	}
	return c.rc;
}

/* ---------------------------------------------------------- readers share */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int inside;

static void *sharing_reader(void *arg)
{
	pthread_rwlock_t *l = arg;
	intptr_t rc = pthread_rwlock_rdlock(l);
	if (rc != 0)
		return (void *)rc;
	pthread_mutex_lock(&mu);
	inside++;
	pthread_cond_broadcast(&cv);
	struct timespec ts = deadline(CLOCK_REALTIME, 10000);
	while (inside < 4 && rc == 0)
		rc = pthread_cond_timedwait(&cv, &mu, &ts);
	if (inside >= 4)
		rc = 0;
	pthread_mutex_unlock(&mu);
	pthread_rwlock_unlock(l);
	return (void *)rc;
}

static void readers_share(pthread_rwlock_t *l)
{
	pthread_t t[4];
	phase = "readers share";
	inside = 0;
	for (int i = 0; i < 4; i++)
		t[i] = spawn(sharing_reader, l);
	int bad = 0;
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad += r != NULL;
	}
	expect_val("4 readers held the read lock at once (failures)", bad, 0);
}

/* ---------------------------------------------------------- exclusion */
#define WRITERS 4
#define READERS 4
#define ROUNDS 10000
static volatile long field_a, field_b;
static long torn, reads;

static void *excl_writer(void *arg)
{
	pthread_rwlock_t *l = arg;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_rwlock_wrlock(l);
		long a = field_a;
		field_a = a + 1;
		if ((i & 127) == 0)
			sched_yield();
		field_b = field_b + 1;
		pthread_rwlock_unlock(l);
	}
	return NULL;
}

static void *excl_reader(void *arg)
{
	pthread_rwlock_t *l = arg;
	long t = 0, n = 0;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_rwlock_rdlock(l);
		if (field_a != field_b)
			t++;
		n++;
		pthread_rwlock_unlock(l);
	}
	__atomic_add_fetch(&torn, t, __ATOMIC_RELAXED);
	__atomic_add_fetch(&reads, n, __ATOMIC_RELAXED);
	return NULL;
}

static void exclusion(pthread_rwlock_t *l)
{
	pthread_t t[WRITERS + READERS];
	phase = "exclusion";
	field_a = field_b = 0;
	torn = reads = 0;
	for (int i = 0; i < WRITERS + READERS; i++)
		t[i] = spawn(i % 2 ? excl_reader : excl_writer, l);
	for (int i = 0; i < WRITERS + READERS; i++)
		pthread_join(t[i], NULL);
	expect_val("exclusion: field a", field_a, (long)WRITERS * ROUNDS);
	expect_val("exclusion: field b", field_b, (long)WRITERS * ROUNDS);
	expect_val("exclusion: reads", reads, (long)READERS * ROUNDS);
	expect_val("exclusion: torn reads", torn, 0);
}

/* ---------------------------------------------------------- try/timed */
static void held(pthread_rwlock_t *l)
{
	char w[128];
	struct timespec ts;

	phase = "held by a writer";
	expect("wrlock", pthread_rwlock_wrlock(l), 0);
	for (enum op op = TRYRD; op <= CLOCKWR_REAL; op++) {
		if (op == RD || op == WR)
			continue;
		snprintf(w, sizeof w, "write-held: other %s%s", op_names[op],
			 op >= TIMEDRD ? " 20ms" : "");
		expect(w, in_thread(l, op, 20), op <= TRYWR ? EBUSY : ETIMEDOUT);
	}
	expect("write-held: own wrlock", pthread_rwlock_wrlock(l), EDEADLK);
	expect("write-held: own rdlock", pthread_rwlock_rdlock(l), EDEADLK);
	expect("write-held: own trywrlock", pthread_rwlock_trywrlock(l), EBUSY);
	expect("write-held: own tryrdlock", pthread_rwlock_tryrdlock(l), EBUSY);
	ts = deadline(CLOCK_REALTIME, 1000);
	expect("write-held: own timedwrlock", pthread_rwlock_timedwrlock(l, &ts), EDEADLK);
	expect("write-held: own timedrdlock", pthread_rwlock_timedrdlock(l, &ts), EDEADLK);
	ts = deadline(CLOCK_MONOTONIC, 1000);
	expect("write-held: own clockwrlock monotonic",
	       pthread_rwlock_clockwrlock(l, CLOCK_MONOTONIC, &ts), EDEADLK);
	expect("unlock", pthread_rwlock_unlock(l), 0);

	phase = "held by a reader";
	expect("rdlock", pthread_rwlock_rdlock(l), 0);
	for (enum op op = TRYRD; op <= CLOCKWR_REAL; op++) {
		if (op == WR)
			continue;
		int reader = op == TRYRD || op == RD || op == TIMEDRD ||
			     op == CLOCKRD_MONO || op == CLOCKRD_REAL;
		snprintf(w, sizeof w, "read-held: other %s%s", op_names[op],
			 op >= TIMEDRD && !reader ? " 20ms" : "");
		expect(w, in_thread(l, op, reader ? 5000 : 20),
		       reader ? 0 : op == TRYWR ? EBUSY : ETIMEDOUT);
	}
	expect("read-held: own second rdlock", pthread_rwlock_rdlock(l), 0);
	expect("unlock", pthread_rwlock_unlock(l), 0);
	expect("unlock", pthread_rwlock_unlock(l), 0);

	phase = "free";
	for (enum op op = TRYRD; op <= CLOCKWR_REAL; op++) {
		snprintf(w, sizeof w, "free: other %s", op_names[op]);
		expect(w, in_thread(l, op, 5000), 0);
	}

	/* (An unexpected success is undone, so that later checks still run.) */
	phase = "invalid arguments";
	int rc;
	ts = deadline(CLOCK_REALTIME, 1000);
	ts.tv_nsec = 1000000000;
	expect("free: timedrdlock tv_nsec=1e9", rc = pthread_rwlock_timedrdlock(l, &ts),
	       EINVAL);
	if (rc == 0)
		pthread_rwlock_unlock(l);
	expect("free: timedwrlock tv_nsec=1e9", rc = pthread_rwlock_timedwrlock(l, &ts),
	       EINVAL);
	if (rc == 0)
		pthread_rwlock_unlock(l);
	ts = deadline(CLOCK_REALTIME, 1000);
	expect("free: clockrdlock CLOCK_PROCESS_CPUTIME_ID",
	       rc = pthread_rwlock_clockrdlock(l, CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL);
	if (rc == 0)
		pthread_rwlock_unlock(l);
	expect("free: clockwrlock clock 12345",
	       rc = pthread_rwlock_clockwrlock(l, (clockid_t)12345, &ts), EINVAL);
	if (rc == 0)
		pthread_rwlock_unlock(l);
	expect("free after the EINVALs: trywrlock", pthread_rwlock_trywrlock(l), 0);
	ts.tv_nsec = 1000000000;
	expect("write-held: own timedrdlock tv_nsec=1e9",
	       rc = pthread_rwlock_timedrdlock(l, &ts), EINVAL);
	if (rc == 0)
		pthread_rwlock_unlock(l);
	expect("unlock", pthread_rwlock_unlock(l), 0);

	/* Woken when the holder leaves. */
	phase = "blocked woken";
	static const enum op blockers[] = {RD, WR, TIMEDRD, TIMEDWR, CLOCKRD_MONO,
					   CLOCKWR_MONO, CLOCKRD_REAL, CLOCKWR_REAL};
	for (size_t i = 0; i < sizeof blockers / sizeof blockers[0]; i++) {
		struct call c = {l, blockers[i], 20000, -1, -1};
		pthread_rwlock_wrlock(l);
		pthread_t t = spawn(call_thread, &c);
		sleep_ms(10);
		pthread_rwlock_unlock(l);
		pthread_join(t, NULL);
		snprintf(w, sizeof w, "blocked %s woken by the writer's unlock",
			 op_names[blockers[i]]);
		expect(w, c.rc, 0);
	}
}

/* ---------------------------------------------------------- preferences */
struct pref_thread {
	pthread_rwlock_t *l;
	int write;
	int rc;
	int done;      /* order in which it got the lock, 0 = not yet */
};
static int order_counter;

static void *pref_locker(void *arg)
{
	struct pref_thread *p = arg;
	p->rc = p->write ? pthread_rwlock_wrlock(p->l) : pthread_rwlock_rdlock(p->l);
	if (p->rc == 0) {
		__atomic_store_n(&p->done, __atomic_add_fetch(&order_counter, 1,
							     __ATOMIC_SEQ_CST),
				 __ATOMIC_SEQ_CST);
		if (p->write)
			sleep_ms(10);   /* give a blocked reader a chance to jump in */
		pthread_rwlock_unlock(p->l);
	}
	return NULL;
}

static void prefers(const char *name, pthread_rwlock_t *l, int prefer_writer)
{
	char w[160];
	struct pref_thread wr = {l, 1, -1, 0}, rd = {l, 0, -1, 0};
	pthread_t wt, rt;

	phase = name;
	order_counter = 0;
	printf("%s\n", name);
	expect("  reader: rdlock", pthread_rwlock_rdlock(l), 0);
	wt = spawn(pref_locker, &wr);
	if (prefer_writer) {
		/* Poll until the writer is queued: tryrdlock starts failing. */
		int rc = 0;
		for (int i = 0; i < 10000 && (rc = pthread_rwlock_tryrdlock(l)) == 0; i++) {
			pthread_rwlock_unlock(l);
			sleep_ms(1);
		}
		expect("  tryrdlock while a writer waits", rc, EBUSY);
		expect("  other timedrdlock 20ms while a writer waits",
		       in_thread(l, TIMEDRD, 20), ETIMEDOUT);
		expect("  other tryrdlock while a writer waits", in_thread(l, TRYRD, 0),
		       EBUSY);
		/* A reader that blocks now must come after the writer. */
		rt = spawn(pref_locker, &rd);
		sleep_ms(20);
		expect_val("  the blocked reader is not in", __atomic_load_n(&rd.done,
							__ATOMIC_SEQ_CST), 0);
	} else {
		sleep_ms(30);   /* let the writer queue up */
		expect("  tryrdlock while a writer waits", pthread_rwlock_tryrdlock(l), 0);
		pthread_rwlock_unlock(l);
		expect("  other timedrdlock while a writer waits",
		       in_thread(l, TIMEDRD, 5000), 0);
		expect("  other tryrdlock while a writer waits", in_thread(l, TRYRD, 0), 0);
		rt = spawn(pref_locker, &rd);
		pthread_join(rt, NULL);
		expect_val("  a new reader got in first (order)", rd.done, 1);
	}
	expect_val("  the writer is not in", __atomic_load_n(&wr.done, __ATOMIC_SEQ_CST), 0);
	expect("  reader: unlock", pthread_rwlock_unlock(l), 0);
	pthread_join(wt, NULL);
	expect("  writer: wrlock", wr.rc, 0);
	if (prefer_writer) {
		pthread_join(rt, NULL);
		expect("  blocked reader: rdlock", rd.rc, 0);
		snprintf(w, sizeof w, "  writer went before the blocked reader");
		expect_val(w, wr.done == 1 && rd.done == 2, 1);
	} else {
		expect_val("  writer order", wr.done, 2);
	}
	expect("  destroy", pthread_rwlock_destroy(l), 0);
}

static void kinds(void)
{
	pthread_rwlockattr_t a;
	pthread_rwlock_t l;
	static pthread_rwlock_t s_default = PTHREAD_RWLOCK_INITIALIZER;
	static pthread_rwlock_t s_writer = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;

	must(pthread_rwlock_init(&l, NULL), "rwlock init");
	prefers("kind: default (NULL attr)", &l, 0);

	pthread_rwlockattr_init(&a);
	must(pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_READER_NP), "setkind");
	must(pthread_rwlock_init(&l, &a), "rwlock init");
	prefers("kind: PTHREAD_RWLOCK_PREFER_READER_NP", &l, 0);

	must(pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NP), "setkind");
	must(pthread_rwlock_init(&l, &a), "rwlock init");
	prefers("kind: PTHREAD_RWLOCK_PREFER_WRITER_NP", &l, 0);

	must(pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP),
	     "setkind");
	must(pthread_rwlock_init(&l, &a), "rwlock init");
	prefers("kind: PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP", &l, 1);
	pthread_rwlockattr_destroy(&a);

	prefers("kind: PTHREAD_RWLOCK_INITIALIZER", &s_default, 0);
	prefers("kind: PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP", &s_writer, 1);
}

static const char *kind_name(int k)
{
	switch (k) {
	case PTHREAD_RWLOCK_PREFER_READER_NP: return "PTHREAD_RWLOCK_PREFER_READER_NP";
	case PTHREAD_RWLOCK_PREFER_WRITER_NP: return "PTHREAD_RWLOCK_PREFER_WRITER_NP";
	case PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP:
		return "PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP";
	}
	return "?";
}

static void attrs(void)
{
	pthread_rwlockattr_t a;
	int v;

	phase = "rwlockattr";
	expect("rwlockattr init", pthread_rwlockattr_init(&a), 0);
	v = -1;
	expect("rwlockattr getkind", pthread_rwlockattr_getkind_np(&a, &v), 0);
	printf("rwlockattr default kind: %s\n", kind_name(v));
	static const int ks[] = {PTHREAD_RWLOCK_PREFER_WRITER_NP,
				 PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP,
				 PTHREAD_RWLOCK_PREFER_READER_NP};
	for (int i = 0; i < 3; i++) {
		expect("rwlockattr setkind", pthread_rwlockattr_setkind_np(&a, ks[i]), 0);
		v = -1;
		pthread_rwlockattr_getkind_np(&a, &v);
		printf("rwlockattr getkind: %s\n", kind_name(v));
		if (v != ks[i]) {
			printf("FAIL: getkind after setkind(%s)\n", kind_name(ks[i]));
			failures++;
		}
	}
	expect("rwlockattr setkind 42", pthread_rwlockattr_setkind_np(&a, 42), EINVAL);
	v = -1;
	pthread_rwlockattr_getpshared(&a, &v);
	expect_val("rwlockattr default pshared is PRIVATE", v == PTHREAD_PROCESS_PRIVATE, 1);
	expect("rwlockattr setpshared SHARED",
	       pthread_rwlockattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
	pthread_rwlockattr_getpshared(&a, &v);
	expect_val("rwlockattr getpshared is SHARED", v == PTHREAD_PROCESS_SHARED, 1);
	expect("rwlockattr setpshared 42", pthread_rwlockattr_setpshared(&a, 42), EINVAL);
	pthread_rwlock_t l;
	expect("rwlock init with a SHARED attr", pthread_rwlock_init(&l, &a), 0);
	expect("its wrlock", pthread_rwlock_wrlock(&l), 0);
	expect("its other trywrlock", in_thread(&l, TRYWR, 0), EBUSY);
	expect("its unlock", pthread_rwlock_unlock(&l), 0);
	expect("its destroy", pthread_rwlock_destroy(&l), 0);
	expect("rwlockattr destroy", pthread_rwlockattr_destroy(&a), 0);
}

int main(void)
{
	pthread_rwlock_t l;
	static pthread_rwlock_t sl = PTHREAD_RWLOCK_INITIALIZER;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(90);

	expect("rwlock init", pthread_rwlock_init(&l, NULL), 0);
	readers_share(&l);
	exclusion(&l);
	held(&l);
	expect("destroy", pthread_rwlock_destroy(&l), 0);

	readers_share(&sl);
	exclusion(&sl);

	kinds();
	attrs();

	/* Unlocking a lock nobody holds: glibc does not detect it; the lock
	 * is not used again. */
	phase = "unlock unheld";
	pthread_rwlock_t spoiled;
	pthread_rwlock_init(&spoiled, NULL);
	printf("unlock of an unheld rwlock: %s\n", errname(pthread_rwlock_unlock(&spoiled)));

	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
