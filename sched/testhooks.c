/* sched/testhooks.c: hooks for the gtest unit tests (tests/unit/), built
 * only into libmnsched_test.la (MN_TEST).  C++ cannot include runtime.h
 * (C11 atomics), so the tests see structs through these. */
#include "runtime.h"
#include <string.h>

#if defined(MN_TEST) && MN_TEST
size_t mn_test_sizeof_p(void) { return sizeof(struct p); }
size_t mn_test_sizeof_g(void) { return sizeof(struct g); }

void mn_test_sched_reset(int nprocs)
{
	memset(&mn_sched, 0, sizeof mn_sched);
	mn_sched.lock = (struct mn_lock)MN_LOCK_INIT(LOCKRANK_SCHED);
	mn_sched.gflock = (struct mn_lock)MN_LOCK_INIT(LOCKRANK_GFREE);
	mn_sched.nprocs = nprocs;
}

int mn_test_globrunq_size(void)
{
	return atomic_load(&mn_sched.runqsize);
}

struct g *mn_test_globrunq_pop(void)
{
	mn_lock(&mn_sched.lock);
	struct g *gp = mn_sched.runqhead;
	if (gp) {
		mn_sched.runqhead = gp->schedlink;
		if (!mn_sched.runqhead)
			mn_sched.runqtail = NULL;
		atomic_fetch_sub(&mn_sched.runqsize, 1);
	}
	mn_unlock(&mn_sched.lock);
	return gp;
}
#endif

#if defined(MN_TEST) && MN_TEST
bool mn_test_config_debug(void) { return config_debug; }

/* Take a lock of rank first, then one of rank second, then release both
 * (lockrank_test). */
void mn_test_lock_pair(unsigned first, unsigned second)
{
	struct mn_lock a = MN_LOCK_INIT(first), b = MN_LOCK_INIT(second);
	mn_lock(&a);
	mn_lock(&b);
	mn_unlock(&b);
	mn_unlock(&a);
}

/* Release a lock this thread never took. */
void mn_test_unlock_unheld(void)
{
	struct mn_lock a = MN_LOCK_INIT(LOCKRANK_SCHED);
	atomic_store(&a.key, 1);
	mn_unlock(&a);
}

/* Check that nothing is held after taking and releasing n ranked locks in
 * order; returns true when the record is back to empty. */
int mn_test_locks_held(void)
{
	struct mn_lock a = MN_LOCK_INIT(LOCKRANK_SEMA);
	mn_lock(&a);
	mn_lockrank_assert_held(LOCKRANK_SEMA, "test: sema rank not recorded");
	mn_unlock(&a);
	mn_lockrank_assert_none("test: a lock still recorded after unlock");
	return 0;
}
#endif

#if defined(MN_TEST) && MN_TEST
void mn_test_sched_lock(void) { mn_lock(&mn_sched.lock); }
void mn_test_sched_unlock(void) { mn_unlock(&mn_sched.lock); }
#endif
