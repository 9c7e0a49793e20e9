/* futex_user: a program that synchronises with raw futex system calls, as
 * Rust's standard library (and other language runtimes) do, through
 * syscall(SYS_futex, ...).
 *
 * Proves:
 *   - a three-state futex mutex (0 free, 1 locked, 2 contended; FUTEX_WAIT_PRIVATE
 *     / FUTEX_WAKE_PRIVATE) gives exact counts with 8 threads x 20000
 *     increments, and the same mutex with the shared (non-PRIVATE) ops with
 *     4 threads x 10000;
 *   - a Rust-style condvar (a sequence word: waiters read it, unlock, then
 *     FUTEX_WAIT_BITSET_PRIVATE with FUTEX_BITSET_MATCH_ANY and no timeout;
 *     notify bumps it and wakes 1 or all) carries 4 producers x 20000 items
 *     through an 8-slot buffer to 4 consumers: exact count and sum;
 *   - a Rust-style parker (EMPTY/PARKED/NOTIFIED, park = FUTEX_WAIT on
 *     PARKED, unpark = swap to NOTIFIED and FUTEX_WAKE) passes a baton
 *     around a ring of 8 threads 2000 times;
 *   - FUTEX_WAIT_BITSET_PRIVATE with an absolute CLOCK_MONOTONIC deadline
 *     20 ms away -> -1/ETIMEDOUT, not early; the same with
 *     FUTEX_CLOCK_REALTIME and a CLOCK_REALTIME deadline;
 *   - FUTEX_WAKE_BITSET only wakes waiters whose bitset intersects: of two
 *     waiters (bitset 2, queued first, and bitset 1), a wake of at most one
 *     with bitset 1 wakes the second; the first stays asleep through it and
 *     through a wake with bitset 4, until a wake with bitset 2;
 *   - FUTEX_WAKE with count 1 never wakes more than 1 (4 waiters need 4
 *     calls that woke someone); FUTEX_WAKE with INT_MAX wakes all 3 of 3;
 *     FUTEX_WAKE on a word nobody waits on returns 0;
 *   - FUTEX_WAIT(_PRIVATE, _BITSET) with a value that does not match ->
 *     -1/EAGAIN; FUTEX_WAIT_PRIVATE with a relative 20 ms timeout ->
 *     -1/ETIMEDOUT, not early; a timeout with tv_nsec = 1e9 -> EINVAL;
 *     a bitset of 0 -> EINVAL (wait and wake); a misaligned address ->
 *     EINVAL.
 *
 * Expects: exit 0 and a fixed list of "what: RESULT" lines.  A claim that
 * does not hold prints "FAIL: ..." and exits 1; a watchdog (SIGALRM, 90 s)
 * prints "FAIL: watchdog ..." if something hangs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "compat.h"


/* The raw call, as libc's syscall(): -1 and errno on failure. */
static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts,
		  uint32_t *uaddr2, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

/* 0 on success, else errno. */
static int fres(long rc)
{
	return rc == -1 ? errno : 0;
}

static long unexpected_errors;   /* wait results other than 0/EAGAIN/EINTR */

static void note(long rc)
{
	if (rc == -1 && errno != EAGAIN && errno != EINTR)
		__atomic_add_fetch(&unexpected_errors, 1, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------- mutex */
static int private_flag = FUTEX_PRIVATE_FLAG;

static void fm_lock(uint32_t *m)
{
	uint32_t c = 0;
	if (__atomic_compare_exchange_n(m, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	if (c != 2)
		c = __atomic_exchange_n(m, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		note(futex(m, FUTEX_WAIT | private_flag, 2, NULL, NULL, 0));
		c = __atomic_exchange_n(m, 2, __ATOMIC_ACQUIRE);
	}
}

static void fm_unlock(uint32_t *m)
{
	if (__atomic_exchange_n(m, 0, __ATOMIC_RELEASE) == 2)
		note(futex(m, FUTEX_WAKE | private_flag, 1, NULL, NULL, 0));
}

static uint32_t fmutex;
static volatile long fcounter;
static int fiters;

static void *mutex_worker(void *arg)
{
	for (int i = 0; i < fiters; i++) {
		fm_lock(&fmutex);
		long v = fcounter;
		if ((i & 63) == 0)
			sched_yield();
		fcounter = v + 1;
		fm_unlock(&fmutex);
	}
	return NULL;
}

static void mutex_test(const char *label, int threads, int iters)
{
	pthread_t t[8];
	char w[96];
	fcounter = 0;
	fiters = iters;
	for (int i = 0; i < threads; i++)
		t[i] = spawn(mutex_worker, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	snprintf(w, sizeof w, "%s: counter (%d x %d)", label, threads, iters);
	expect_val(w, fcounter, (long)threads * iters);
	snprintf(w, sizeof w, "%s: lock word at the end", label);
	expect_val(w, fmutex, 0);
}

/* ---------------------------------------------------------- condvar */
struct fcond {
	uint32_t seq;
};

static void fc_wait(struct fcond *c, uint32_t *m)
{
	uint32_t v = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
	fm_unlock(m);
	note(futex(&c->seq, FUTEX_WAIT_BITSET_PRIVATE, v, NULL, NULL, FUTEX_BITSET_MATCH_ANY));
	fm_lock(m);
}

static void fc_notify_one(struct fcond *c)
{
	__atomic_add_fetch(&c->seq, 1, __ATOMIC_RELAXED);
	futex(&c->seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void fc_notify_all(struct fcond *c)
{
	__atomic_add_fetch(&c->seq, 1, __ATOMIC_RELAXED);
	futex(&c->seq, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

#define PRODUCERS 4
#define CONSUMERS 4
#define ITEMS 20000
#define SLOTS 8
static struct {
	uint32_t m;
	struct fcond not_full, not_empty;
	unsigned long buf[SLOTS];
	int head, count;
	long taken, got;
	unsigned long sum;
} bb;

static void *producer(void *arg)
{
	unsigned long p = (uintptr_t)arg;
	for (unsigned long i = 0; i < ITEMS; i++) {
		unsigned long v = p * 1000003UL + i * 7919UL + 1;
		fm_lock(&bb.m);
		while (bb.count == SLOTS)
			fc_wait(&bb.not_full, &bb.m);
		bb.buf[(bb.head + bb.count) % SLOTS] = v;
		bb.count++;
		fc_notify_one(&bb.not_empty);
		fm_unlock(&bb.m);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	unsigned long sum = 0;
	long got = 0;
	for (;;) {
		fm_lock(&bb.m);
		while (bb.count == 0 && bb.taken < (long)PRODUCERS * ITEMS)
			fc_wait(&bb.not_empty, &bb.m);
		if (bb.count == 0) {
			fm_unlock(&bb.m);
			break;
		}
		unsigned long v = bb.buf[bb.head];
		bb.head = (bb.head + 1) % SLOTS;
		bb.count--;
		bb.taken++;
		if (bb.taken == (long)PRODUCERS * ITEMS)
			fc_notify_all(&bb.not_empty);
		fc_notify_one(&bb.not_full);
		fm_unlock(&bb.m);
		sum += v;
		got++;
	}
	fm_lock(&bb.m);
	bb.sum += sum;
	bb.got += got;
	fm_unlock(&bb.m);
	return NULL;
}

static void condvar_test(void)
{
	pthread_t p[PRODUCERS], c[CONSUMERS];
	unsigned long want = 0;

	phase = "condvar";
	for (unsigned long i = 0; i < CONSUMERS; i++)
		c[i] = spawn(consumer, NULL);
	for (unsigned long i = 0; i < PRODUCERS; i++)
		p[i] = spawn(producer, (void *)(uintptr_t)i);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(p[i], NULL);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(c[i], NULL);
	for (unsigned long p = 0; p < PRODUCERS; p++)
		for (unsigned long i = 0; i < ITEMS; i++)
			want += p * 1000003UL + i * 7919UL + 1;
	expect_val("condvar: items", bb.got, (long)PRODUCERS * ITEMS);
	printf("condvar: sum %lu\n", bb.sum);
	if (bb.sum != want) {
		printf("FAIL: condvar: expected sum %lu\n", want);
		failures++;
	}
}

/* ---------------------------------------------------------- parker */
#define EMPTY 0
#define NOTIFIED 1
#define PARKED UINT32_MAX   /* -1 */
#define RING 8
#define LAPS 2000

static uint32_t park_state[RING];
static volatile int baton;
static long passes;

static void park(uint32_t *state)
{
	if (__atomic_sub_fetch(state, 1, __ATOMIC_ACQUIRE) == EMPTY)
		return;   /* was NOTIFIED */
	for (;;) {
		note(futex(state, FUTEX_WAIT_PRIVATE, PARKED, NULL, NULL, 0));
		uint32_t n = NOTIFIED;
		if (__atomic_compare_exchange_n(state, &n, EMPTY, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		/* spurious wake-up: still PARKED */
	}
}

static void unpark(uint32_t *state)
{
	if (__atomic_exchange_n(state, NOTIFIED, __ATOMIC_RELEASE) == PARKED)
		futex(state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *ring_member(void *arg)
{
	int id = (int)(intptr_t)arg;
	for (int lap = 0; lap < LAPS; lap++) {
		while (__atomic_load_n(&baton, __ATOMIC_ACQUIRE) != id)
			park(&park_state[id]);
		passes++;   /* only the baton holder touches it */
		int next = (id + 1) % RING;
		__atomic_store_n(&baton, next, __ATOMIC_RELEASE);
		unpark(&park_state[next]);
	}
	return NULL;
}

static void parker_test(void)
{
	pthread_t t[RING];
	phase = "parker";
	for (int i = 0; i < RING; i++)
		t[i] = spawn(ring_member, (void *)(intptr_t)i);
	for (int i = 0; i < RING; i++)
		pthread_join(t[i], NULL);
	expect_val("parker: baton passes", passes, (long)RING * LAPS);
	expect_val("parker: baton back at 0", baton, 0);
}

/* ---------------------------------------------------------- bitsets */
struct bit_waiter {
	uint32_t *word;
	uint32_t bitset;
	int rc;
	int done;
};

static void *bit_waiter(void *arg)
{
	struct bit_waiter *b = arg;
	struct timespec ts = deadline(CLOCK_MONOTONIC, 20000);
	long rc;
	do
		rc = futex(b->word, FUTEX_WAIT_BITSET_PRIVATE, 0, &ts, NULL, b->bitset);
	while (rc == -1 && errno == EINTR);
	b->rc = fres(rc);
	__atomic_store_n(&b->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Call FUTEX_WAKE_BITSET (waking at most 1) until it reports having
 * woken somebody. */
static long wake_bitset_until(uint32_t *word, uint32_t bitset)
{
	long rc = 0;
	for (int i = 0; i < 10000; i++) {
		rc = futex(word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, bitset);
		if (rc != 0)
			return rc;
		sleep_ms(1);
	}
	return rc;
}

static void bitset_test(void)
{
	static uint32_t word;
	struct bit_waiter w1 = {&word, 1, -1, 0}, w2 = {&word, 2, -1, 0};

	/* The bitset-2 waiter queues first: a wake of one waiter with
	 * bitset 1 must skip it and wake the bitset-1 waiter. */
	phase = "wake bitset";
	pthread_t t2 = spawn(bit_waiter, &w2);
	sleep_ms(20);
	pthread_t t1 = spawn(bit_waiter, &w1);
	sleep_ms(20);
	expect_val("FUTEX_WAKE_BITSET 1 (at most 1) woke", wake_bitset_until(&word, 1), 1);
	pthread_join(t1, NULL);
	expect("waiter with bitset 1", w1.rc, 0);
	sleep_ms(10);
	expect_val("waiter with bitset 2 still asleep", !__atomic_load_n(&w2.done,
								   __ATOMIC_SEQ_CST), 1);
	expect_val("FUTEX_WAKE_BITSET 4 (nobody's) woke",
		   futex(&word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 4), 0);
	expect_val("waiter with bitset 2 still asleep", !__atomic_load_n(&w2.done,
								   __ATOMIC_SEQ_CST), 1);
	expect_val("FUTEX_WAKE_BITSET 2 (at most 1) woke", wake_bitset_until(&word, 2), 1);
	pthread_join(t2, NULL);
	expect("waiter with bitset 2", w2.rc, 0);
}

/* ---------------------------------------------------------- wake counts */
static uint32_t wake_word;

static void *plain_waiter(void *arg)
{
	long rc;
	do
		rc = futex(&wake_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	while (rc == -1 && errno == EINTR);
	return (void *)(intptr_t)fres(rc);
}

static void wake_counts(void)
{
	pthread_t t[4];
	long total = 0, most = 0, calls = 0;

	phase = "wake one";
	for (int i = 0; i < 4; i++)
		t[i] = spawn(plain_waiter, NULL);
	while (total < 4 && calls < 20000) {
		long n = futex(&wake_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		calls++;
		if (n > most)
			most = n;
		if (n > 0)
			total += n;
		else
			sleep_ms(1);
	}
	expect_val("FUTEX_WAKE 1: most woken by one call", most, 1);
	expect_val("FUTEX_WAKE 1: total woken", total, 4);
	int bad = 0;
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad += r != NULL;
	}
	expect_val("FUTEX_WAKE 1: waiters with errors", bad, 0);

	phase = "wake all";
	total = 0;
	calls = 0;
	for (int i = 0; i < 3; i++)
		t[i] = spawn(plain_waiter, NULL);
	sleep_ms(30);
	while (total < 3 && calls < 20000) {
		long n = futex(&wake_word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
		calls++;
		if (n > 0)
			total += n;
		else
			sleep_ms(1);
	}
	expect_val("FUTEX_WAKE INT_MAX: total woken", total, 3);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	expect_val("FUTEX_WAKE with no waiters",
		   futex(&wake_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
	expect_val("FUTEX_WAKE (shared) with no waiters",
		   futex(&wake_word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0), 0);
}

/* ---------------------------------------------------------- errors, timeouts */
static void errors_and_timeouts(void)
{
	static uint32_t word = 5;
	static uint32_t words[2];
	struct timespec ts, t0;

	phase = "errors";
	expect("FUTEX_WAIT_PRIVATE value mismatch",
	       fres(futex(&word, FUTEX_WAIT_PRIVATE, 6, NULL, NULL, 0)), EAGAIN);
	expect("FUTEX_WAIT (shared) value mismatch",
	       fres(futex(&word, FUTEX_WAIT, 4, NULL, NULL, 0)), EAGAIN);
	expect("FUTEX_WAIT_BITSET_PRIVATE value mismatch",
	       fres(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL,
			  FUTEX_BITSET_MATCH_ANY)), EAGAIN);
	ts = (struct timespec){0, 1000000000};
	expect("FUTEX_WAIT_PRIVATE timeout tv_nsec=1e9",
	       fres(futex(&word, FUTEX_WAIT_PRIVATE, 5, &ts, NULL, 0)), EINVAL);
	ts = (struct timespec){-1, 0};
	expect("FUTEX_WAIT_PRIVATE timeout tv_sec=-1",
	       fres(futex(&word, FUTEX_WAIT_PRIVATE, 5, &ts, NULL, 0)), EINVAL);
	ts = deadline(CLOCK_MONOTONIC, 1000);
	expect("FUTEX_WAIT_BITSET_PRIVATE bitset 0",
	       fres(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, &ts, NULL, 0)), EINVAL);
	expect("FUTEX_WAKE_BITSET_PRIVATE bitset 0",
	       fres(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0)), EINVAL);
	expect("FUTEX_WAIT_PRIVATE misaligned address",
	       fres(futex((uint32_t *)((char *)words + 1), FUTEX_WAIT_PRIVATE, 0, NULL,
			  NULL, 0)), EINVAL);
	expect("FUTEX_WAKE_PRIVATE misaligned address",
	       fres(futex((uint32_t *)((char *)words + 1), FUTEX_WAKE_PRIVATE, 1, NULL,
			  NULL, 0)), EINVAL);

	phase = "timeouts";
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ts = (struct timespec){0, 20000000};
	expect("FUTEX_WAIT_PRIVATE relative 20ms",
	       fres(futex(&word, FUTEX_WAIT_PRIVATE, 5, &ts, NULL, 0)), ETIMEDOUT);
	expect_val("  took at least 20ms", elapsed_ms(&t0) >= 19, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ts = (struct timespec){0, 20000000};
	expect("FUTEX_WAIT (shared) relative 20ms",
	       fres(futex(&word, FUTEX_WAIT, 5, &ts, NULL, 0)), ETIMEDOUT);
	expect_val("  took at least 20ms", elapsed_ms(&t0) >= 19, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ts = deadline(CLOCK_MONOTONIC, 20);
	expect("FUTEX_WAIT_BITSET_PRIVATE absolute monotonic 20ms",
	       fres(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, &ts, NULL,
			  FUTEX_BITSET_MATCH_ANY)), ETIMEDOUT);
	expect_val("  took at least 20ms", elapsed_ms(&t0) >= 19, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ts = deadline(CLOCK_REALTIME, 20);
	expect("FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME absolute realtime 20ms",
	       fres(futex(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 5, &ts,
			  NULL, FUTEX_BITSET_MATCH_ANY)), ETIMEDOUT);
	expect_val("  took at least 20ms", elapsed_ms(&t0) >= 19, 1);
	/* FUTEX_CLOCK_REALTIME goes only with the bitset wait. */
	ts.tv_sec = 0;
	ts.tv_nsec = 1000000;
	expect("FUTEX_WAIT_PRIVATE|FUTEX_CLOCK_REALTIME",
	       fres(futex(&word, FUTEX_WAIT_PRIVATE | FUTEX_CLOCK_REALTIME, 5, &ts, NULL, 0)), ENOSYS);
	expect("FUTEX_WAKE_PRIVATE|FUTEX_CLOCK_REALTIME",
	       fres(futex(&word, FUTEX_WAKE_PRIVATE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0)), ENOSYS);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec -= 1;
	expect("FUTEX_WAIT_BITSET_PRIVATE absolute deadline in the past",
	       fres(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, &ts, NULL,
			  FUTEX_BITSET_MATCH_ANY)), ETIMEDOUT);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(90);

	phase = "mutex private";
	private_flag = FUTEX_PRIVATE_FLAG;
	mutex_test("futex mutex, private ops", 8, 20000);
	phase = "mutex shared";
	private_flag = 0;
	mutex_test("futex mutex, shared ops", 4, 10000);
	private_flag = FUTEX_PRIVATE_FLAG;

	condvar_test();
	parker_test();
	bitset_test();
	wake_counts();
	errors_and_timeouts();
	expect_val("unexpected futex wait errors", unexpected_errors, 0);

	if (failures) {
		printf("FAIL: %d unexpected results\n", failures);
		return 1;
	}
	printf("all as expected\n");
	return 0;
}
