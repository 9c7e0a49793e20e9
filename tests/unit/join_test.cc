// tests/unit/join_test.cc: the join word (sched/join.c, join.h: JS_STATE,
// JS_WAITBY).  The real mn_gjoin, mn_gdetach and mn_gexit_finish run
// without a scheduler on OS threads: a thread that is not a G joins the
// foreign way (CAS to JOINWAIT by nobody, then a futex on exitword).  The
// transitions that need a parked G joiner (mn_gexit_joiner,
// mn_join_cancel) run on fake Gs whose join was set up by a hook.  A
// collected G goes to the global free list (no P): counting it there says
// it was freed exactly once.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <thread>

#include "tests/unit/race.h"

extern "C" {
struct g;
// sched/join.h (C, but it includes runtime.h: declared here)
enum { JOIN_WAIT, JOIN_TRY, JOIN_TIMED };
int mn_gjoin(struct g *gp, void **res, int mode, int64_t deadline);  // 0 or -errno
int mn_gdetach(struct g *gp);  // 0 or -errno
void mn_gexit_finish(struct g *gp);
struct g *mn_gexit_joiner(struct g *gp);
bool mn_join_cancel(struct g *j);
// sched/testhooks.c (MN_TEST only)
void mn_test_sched_reset(int nprocs);
int mn_test_globrunq_size(void);
struct g *mn_test_globrunq_pop(void);
struct g *mn_test_g_new(uint64_t goid);
void mn_test_g_free(struct g *gp);
const char *mn_test_g_status(struct g *gp);
const char *mn_test_join_state(struct g *gp);
int64_t mn_test_join_waiter(struct g *gp);
void mn_test_join_reset(struct g *gp, void *result);
void mn_test_join_park(struct g *gp, struct g *j);
int mn_test_gfree_drain(struct g *gp);
}

namespace {

constexpr int kRounds = 20000;
int resultObj;
void *const kResult = &resultObj;

struct FakeG {
	struct g *gp;
	explicit FakeG(uint64_t goid, void *result = kResult) : gp(mn_test_g_new(goid))
	{
		mn_test_join_reset(gp, result);
	}
	~FakeG() { mn_test_g_free(gp); }
	FakeG(const FakeG &) = delete;
	FakeG &operator=(const FakeG &) = delete;
};

std::string state(struct g *gp) { return mn_test_join_state(gp); }

int64_t now_ns()
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Wait (a bounded while) until gp's join word says JOINWAIT.
bool await_joinwait(struct g *gp)
{
	for (int i = 0; i < 2000000; i++) {
		if (state(gp) == "joinwait")
			return true;
		std::this_thread::yield();
	}
	return false;
}

}  // namespace

TEST(Join, JoinAfterExitCollectsWithoutParking)
{
	mn_test_sched_reset(1);
	FakeG g(10);
	mn_gexit_finish(g.gp);
	EXPECT_EQ(state(g.gp), "exited");
	EXPECT_EQ(mn_test_gfree_drain(g.gp), 0) << "a joinable G is a zombie until joined";
	void *res = nullptr;
	EXPECT_EQ(mn_gjoin(g.gp, &res, JOIN_WAIT, 0), 0);  // would block for ever if it parked
	EXPECT_EQ(res, kResult);
	EXPECT_EQ(state(g.gp), "free");
	EXPECT_EQ(mn_test_gfree_drain(g.gp), 1);
	EXPECT_EQ(mn_gjoin(g.gp, &res, JOIN_WAIT, 0), -ESRCH) << "joined twice";
	EXPECT_EQ(mn_gdetach(g.gp), -ESRCH);
	EXPECT_EQ(mn_test_gfree_drain(g.gp), 0);
}

TEST(Join, TryJoin)
{
	mn_test_sched_reset(1);
	FakeG g(11);
	EXPECT_EQ(mn_gjoin(g.gp, nullptr, JOIN_TRY, 0), -EBUSY);
	EXPECT_EQ(state(g.gp), "joinable");
	mn_gexit_finish(g.gp);
	void *res = nullptr;
	EXPECT_EQ(mn_gjoin(g.gp, &res, JOIN_TRY, 0), 0);
	EXPECT_EQ(res, kResult);
	EXPECT_EQ(mn_test_gfree_drain(g.gp), 1);
}

TEST(Join, DetachThenJoinAndExit)
{
	mn_test_sched_reset(1);
	FakeG g(12);
	EXPECT_EQ(mn_gdetach(g.gp), 0);
	EXPECT_EQ(state(g.gp), "detached");
	EXPECT_EQ(mn_gdetach(g.gp), -EINVAL);
	EXPECT_EQ(mn_gjoin(g.gp, nullptr, JOIN_WAIT, 0), -EINVAL);
	EXPECT_EQ(mn_test_gfree_drain(g.gp), 0);
	mn_gexit_finish(g.gp);
	EXPECT_EQ(state(g.gp), "free");
	EXPECT_EQ(mn_test_gfree_drain(g.gp), 1) << "a detached G is freed at its exit";
}

TEST(Join, DetachAfterExitCollects)
{
	mn_test_sched_reset(1);
	FakeG g(13);
	mn_gexit_finish(g.gp);
	EXPECT_EQ(mn_gdetach(g.gp), 0);
	EXPECT_EQ(state(g.gp), "free");
	EXPECT_EQ(mn_test_gfree_drain(g.gp), 1);
	EXPECT_EQ(mn_gjoin(g.gp, nullptr, JOIN_WAIT, 0), -ESRCH);
}

TEST(Join, SecondJoinerGetsEinval)
{
	mn_test_sched_reset(1);
	FakeG g(14);
	int first = -1;
	void *res = nullptr;
	std::thread joiner([&] { first = mn_gjoin(g.gp, &res, JOIN_WAIT, 0); });
	ASSERT_TRUE(await_joinwait(g.gp));
	EXPECT_EQ(mn_test_join_waiter(g.gp), 0) << "a foreign joiner is goid 0";
	EXPECT_EQ(mn_gjoin(g.gp, nullptr, JOIN_WAIT, 0), -EINVAL);
	EXPECT_EQ(mn_gjoin(g.gp, nullptr, JOIN_TRY, 0), -EBUSY);
	EXPECT_EQ(mn_gjoin(g.gp, nullptr, JOIN_TIMED, now_ns() + 1000000), -EINVAL);
	// Detaching a thread somebody joins: 0, and the joiner still collects.
	EXPECT_EQ(mn_gdetach(g.gp), 0);
	EXPECT_EQ(state(g.gp), "joinwait");
	mn_gexit_finish(g.gp);
	joiner.join();
	EXPECT_EQ(first, 0);
	EXPECT_EQ(res, kResult);
	EXPECT_EQ(state(g.gp), "free");
	EXPECT_EQ(mn_test_gfree_drain(g.gp), 1);
}

TEST(Join, DetachJoinExitRace)
{
	// Whatever the order: the G is freed exactly once; the join either
	// collects the result (0) or is refused (EINVAL: detached first;
	// ESRCH: detach collected it first); detach never fails but for ESRCH
	// after a join collected.
	mn_test_sched_reset(1);
	FakeG g(15);
	int joined = -1, detached = -1;
	void *res = nullptr;
	Race race({[&] { joined = mn_gjoin(g.gp, &res, JOIN_WAIT, 0); }, [&] { detached = mn_gdetach(g.gp); },
		   [&] { mn_gexit_finish(g.gp); }},
		  64);
	int njoined = 0;
	for (int i = 0; race.more(i, kRounds); i++) {
		mn_test_join_reset(g.gp, kResult);
		res = nullptr;
		race.round();
		ASSERT_EQ(state(g.gp), "free") << "round " << i;
		ASSERT_EQ(mn_test_gfree_drain(g.gp), 1) << "round " << i << ": join " << joined << ", detach " << detached;
		ASSERT_TRUE(joined == 0 || joined == -EINVAL || joined == -ESRCH) << "round " << i << ": join " << joined;
		ASSERT_EQ(res, joined == 0 ? kResult : nullptr) << "round " << i;
		ASSERT_TRUE(detached == 0 || (detached == -ESRCH && joined == 0))
			<< "round " << i << ": join " << joined << ", detach " << detached;
		ASSERT_FALSE(joined == -ESRCH && detached != 0) << "round " << i;
		njoined += joined == 0;
	}
	RecordProperty("joined", njoined);
}

TEST(Join, TimedJoinRacesExit)
{
	// A foreign timed join that times out withdraws its wait; one that
	// loses that race to the exit collects.  Either way the G is freed
	// once, by the timed join or the join after it.
	mn_test_sched_reset(1);
	FakeG g(16);
	int joined = -1;
	void *res = nullptr;
	int64_t deadline = 0;
	Race race({[&] { joined = mn_gjoin(g.gp, &res, JOIN_TIMED, deadline); }, [&] { mn_gexit_finish(g.gp); }},
		  64);
	int ntimedout = 0;
	for (int i = 0; race.more(i, 4000); i++) {
		mn_test_join_reset(g.gp, kResult);
		res = nullptr;
		deadline = now_ns() + 20000;
		race.round();
		ASSERT_TRUE(joined == 0 || joined == -ETIMEDOUT) << "round " << i << ": " << joined;
		if (joined == -ETIMEDOUT) {
			ntimedout++;
			ASSERT_EQ(state(g.gp), "exited") << "round " << i;
			ASSERT_EQ(mn_test_gfree_drain(g.gp), 0) << "round " << i;
			ASSERT_EQ(mn_gjoin(g.gp, &res, JOIN_WAIT, 0), 0) << "round " << i;
		}
		ASSERT_EQ(res, kResult) << "round " << i;
		ASSERT_EQ(state(g.gp), "free") << "round " << i;
		ASSERT_EQ(mn_test_gfree_drain(g.gp), 1) << "round " << i;
	}
	RecordProperty("timedout", ntimedout);
}

TEST(Join, CancelMissesAnotherJoinersWait)
{
	// JOINWAIT holds the joiner's goid: pthread_cancel of G j2, whose
	// joining still names gp from an old join, must not withdraw j1's.
	mn_test_sched_reset(1);
	FakeG g(20), j1(21), j2(22);
	mn_test_join_park(g.gp, j2.gp);
	mn_test_join_park(g.gp, j1.gp);  // j2's join ended; j1 joins now
	EXPECT_EQ(mn_test_join_waiter(g.gp), 21);
	EXPECT_FALSE(mn_join_cancel(j2.gp));
	EXPECT_EQ(state(g.gp), "joinwait");
	EXPECT_EQ(mn_test_globrunq_size(), 0);
	EXPECT_TRUE(mn_join_cancel(j1.gp));
	EXPECT_EQ(state(g.gp), "joinable");
	EXPECT_EQ(std::string(mn_test_g_status(j1.gp)), "runnable");
	EXPECT_EQ(mn_test_globrunq_pop(), j1.gp);
	EXPECT_FALSE(mn_join_cancel(j1.gp)) << "withdrawn twice";
	EXPECT_EQ(mn_test_globrunq_size(), 0);
}

TEST(Join, ExitToJoinerRacesCancel)
{
	// The exit's direct switch to its joiner (mn_gexit_joiner) and
	// pthread_cancel of that joiner (mn_join_cancel) race on JOINWAIT by
	// j: exactly one wins; the canceller readies j, the exit switches to
	// it, never both.
	mn_test_sched_reset(1);
	FakeG g(30), j(31);
	struct g *next = nullptr;
	bool cancelled = false;
	Race race({[&] { next = mn_gexit_joiner(g.gp); }, [&] { cancelled = mn_join_cancel(j.gp); }});
	int nexit = 0;
	for (int i = 0; race.more(i, kRounds); i++) {
		mn_test_join_reset(g.gp, kResult);
		mn_test_join_park(g.gp, j.gp);
		race.round();
		ASSERT_NE(next != nullptr, cancelled) << "round " << i << ": exactly one must win";
		if (next) {
			ASSERT_EQ(next, j.gp) << "round " << i;
			ASSERT_EQ(state(g.gp), "free") << "round " << i;
			ASSERT_EQ(mn_test_globrunq_size(), 0) << "round " << i;
			ASSERT_EQ(std::string(mn_test_g_status(j.gp)), "waiting") << "round " << i;
		} else {
			ASSERT_EQ(state(g.gp), "joinable") << "round " << i;
			ASSERT_EQ(mn_test_globrunq_pop(), j.gp) << "round " << i;
			ASSERT_EQ(mn_test_globrunq_size(), 0) << "round " << i;
		}
		nexit += next != nullptr;
		race.firstWon(next != nullptr);
	}
	RecordProperty("exit", nexit);
}

TEST(Join, ExitRacesCancelReadiesJoinerOnce)
{
	// The exit (mn_gexit_finish) readies a parked joiner; pthread_cancel
	// of that joiner withdraws its wait and readies it.  j is readied
	// exactly once; the G ends EXITED (a zombie if the cancel won).
	mn_test_sched_reset(1);
	FakeG g(40), j(41);
	bool cancelled = false;
	Race race({[&] { mn_gexit_finish(g.gp); }, [&] { cancelled = mn_join_cancel(j.gp); }});
	int ncancel = 0;
	for (int i = 0; race.more(i, kRounds); i++) {
		mn_test_join_reset(g.gp, kResult);
		mn_test_join_park(g.gp, j.gp);
		race.round();
		ASSERT_EQ(state(g.gp), "exited") << "round " << i;
		ASSERT_EQ(std::string(mn_test_g_status(j.gp)), "runnable") << "round " << i;
		ASSERT_EQ(mn_test_globrunq_size(), 1) << "round " << i;
		ASSERT_EQ(mn_test_globrunq_pop(), j.gp) << "round " << i;
		ncancel += cancelled;
		race.firstWon(!cancelled);
	}
	RecordProperty("cancelled", ncancel);
}
