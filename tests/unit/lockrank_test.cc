// tests/unit/lockrank_test.cc: the debug-build lock-order check
// (sched/lockrank.h).  In a release build the checks are compiled out and
// these tests say so (skipped).
#include <gtest/gtest.h>

extern "C" {
// sched/lockrank.h (C, no atomics: usable from C++)
#include "sched/lockrank.h"
// sched/testhooks.c (MN_TEST only)
bool mn_test_config_debug(void);
void mn_test_lock_pair(unsigned first, unsigned second);
void mn_test_unlock_unheld(void);
int mn_test_locks_held(void);
}

namespace {

// GTEST_SKIP returns from the function it is in: a macro, so that it
// ends the test itself.
#define NEED_DEBUG()                                                                   \
	do {                                                                           \
		if (!mn_test_config_debug())                                           \
			GTEST_SKIP() << "release build: lock ranks are checked only with " \
					"--enable-debug";                              \
	} while (0)

TEST(LockRank, IncreasingOrderIsAllowed)
{
	NEED_DEBUG();
	mn_test_lock_pair(LOCKRANK_SEMA, LOCKRANK_SCHED);
	mn_test_lock_pair(LOCKRANK_SCHED, LOCKRANK_GFREE);
	EXPECT_EQ(0, mn_test_locks_held());
}

TEST(LockRank, DecreasingOrderIsFatal)
{
	NEED_DEBUG();
	EXPECT_DEATH(mn_test_lock_pair(LOCKRANK_SCHED, LOCKRANK_SEMA),
		     "lock order: taking sema bucket while holding sched.lock");
}

TEST(LockRank, SameRankTwiceIsFatal)
{
	NEED_DEBUG();
	EXPECT_DEATH(mn_test_lock_pair(LOCKRANK_SEMA, LOCKRANK_SEMA), "lock order");
}

TEST(LockRank, UnrankedLockIsFatal)
{
	NEED_DEBUG();
	EXPECT_DEATH(mn_test_lock_pair(LOCKRANK_NONE, LOCKRANK_SCHED), "without a rank");
}

TEST(LockRank, UnlockOfUnheldLockIsFatal)
{
	NEED_DEBUG();
	EXPECT_DEATH(mn_test_unlock_unheld(), "not held");
}

}  // namespace
