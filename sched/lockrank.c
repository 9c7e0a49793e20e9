/* sched/lockrank.c: the debug-build lock-order check (sched/lockrank.h).
 *
 * Called only when config_debug is set, from mn_lock/mn_unlock and
 * mn_slock/mn_sunlock.  The record of held locks is the M's (m->locks)
 * on an M, whatever G or g0 runs there, so that a lock a G parks under
 * and g0 (or the next G) releases is accounted to the one OS thread that
 * holds it; threads that are not Ms keep theirs in TLS.  Failures are
 * fatal with a message naming both locks.
 */
#include <string.h>
#include "lockrank.h"
#include "runtime.h"

static __thread struct mn_lockheld foreign_held;

static struct mn_lockheld *held(void)
{
	struct g *gp = mn_tls_g;
	if (gp && gp->m)
		return &gp->m->locks;
	return &foreign_held;
}

static const char *rank_name(unsigned rank)
{
	switch (rank) {
	case LOCKRANK_SIGAPP: return "signal app_lock";
	case LOCKRANK_TLSCHECK: return "tcb tls_check_lock";
	case LOCKRANK_ALLG: return "allg.lock";
	case LOCKRANK_SEMA: return "sema bucket";
	case LOCKRANK_NETPOLL: return "netpoll pd";
	case LOCKRANK_TIMERS: return "timers.lock";
	case LOCKRANK_SCHED: return "sched.lock";
	case LOCKRANK_GFREE: return "sched.gflock";
	default: return "unranked lock";
	}
}

/* Fatal: "lock order: <what> <taking> while holding <held>" built in a
 * static buffer (no allocation; we are about to abort anyway). */
static void order_throw(const char *what, unsigned taking, unsigned holding)
{
	static char msg[160];
	const char *parts[] = { "lock order: ", what, " ", rank_name(taking), " while holding ",
				rank_name(holding), " (sched/lockrank.h)" };
	size_t n = 0;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		size_t k = strlen(parts[i]);
		if (n + k >= sizeof msg)
			k = sizeof msg - 1 - n;
		memcpy(msg + n, parts[i], k);
		n += k;
	}
	msg[n] = 0;
	mn_throw(msg);
}

void mn_lockrank_acquire(unsigned rank)
{
	struct mn_lockheld *h = held();
	if (rank == LOCKRANK_NONE)
		mn_throw("lock: a lock without a rank (not initialised with MN_LOCK_INIT)");
	if (h->n > 0 && h->rank[h->n - 1] >= rank)
		order_throw("taking", rank, h->rank[h->n - 1]);
	if (h->n == MN_LOCKS_MAX)
		mn_throw("lock: more than MN_LOCKS_MAX runtime locks held");
	h->rank[h->n++] = (unsigned char)rank;
}

void mn_lockrank_release(unsigned rank)
{
	struct mn_lockheld *h = held();
	for (int i = h->n - 1; i >= 0; i--) {
		if (h->rank[i] != rank)
			continue;
		memmove(&h->rank[i], &h->rank[i + 1], (size_t)(h->n - 1 - i));
		h->n--;
		return;
	}
	mn_throw("unlock: the lock is not held by this thread (lockrank)");
}

void mn_lockrank_assert_none(const char *msg)
{
	if (held()->n != 0)
		mn_throw(msg);
}

void mn_lockrank_assert_held(unsigned rank, const char *msg)
{
	struct mn_lockheld *h = held();
	for (int i = 0; i < h->n; i++)
		if (h->rank[i] == rank)
			return;
	mn_throw(msg);
}
