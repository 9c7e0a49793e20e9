// tests/unit/park_test.cc: timed parks (sched/park.c, the waitsel
// protocol).  A fake G (sched/testhooks.c: zeroed, never run) is parked
// with a deadline; the waker (mn_goready_sel), its timer (mn_timers_run
// firing parktimer_fire) and pthread_cancel (mn_park_cancel) race from
// OS threads.  No scheduler runs: the threads hold no P, so a readied G
// goes onto the global run queue, and with no idle P (npidle 0 after
// mn_test_sched_reset) mn_wakep starts nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "tests/unit/race.h"

extern "C" {
struct g;
// sched/park.h, sched/timer.h
bool mn_goready_sel(struct g *gp);
bool mn_park_cancel(struct g *gp);
int64_t mn_timers_run(int64_t now);
// sched/testhooks.c (MN_TEST only)
void mn_test_sched_reset(int nprocs);
int mn_test_globrunq_size(void);
struct g *mn_test_globrunq_pop(void);
struct g *mn_test_g_new(uint64_t goid);
void mn_test_g_free(struct g *gp);
void mn_test_g_set_waiting(struct g *gp);
const char *mn_test_g_status(struct g *gp);
uint32_t mn_test_park_arm(struct g *gp, int64_t deadline, void (*ontimeout)(struct g *, void *), void *arg,
			  bool cancellable);
bool mn_test_park_publish(struct g *gp);
bool mn_test_park_finish(struct g *gp);
bool mn_test_park_sel_timeout(struct g *gp, uint32_t armed);
bool mn_test_park_add_timer_if(struct g *gp, uint32_t armed);
void mn_test_park_set_published(struct g *gp, uint32_t seq);
uint32_t mn_test_g_waitsel(struct g *gp);
bool mn_test_park_timer_queued(struct g *gp);
}

namespace {

constexpr int kRounds = 20000;
// waitsel's low two bits (park.c)
constexpr uint32_t kArmed = 1, kWoken = 2, kTimedOut = 3;
// A deadline already due: mn_timers_run(kNow) fires it.
constexpr int64_t kDue = 1, kNow = 2;

struct FakeG {
	struct g *gp;
	explicit FakeG(uint64_t goid = 1) : gp(mn_test_g_new(goid)) {}
	~FakeG() { mn_test_g_free(gp); }
	FakeG(const FakeG &) = delete;
	FakeG &operator=(const FakeG &) = delete;
};

void count_timeout(struct g *, void *arg) { static_cast<std::atomic<int> *>(arg)->fetch_add(1); }

// gp is runnable once: in the global queue exactly once, nothing else.
::testing::AssertionResult ReadiedOnce(struct g *gp)
{
	if (std::string(mn_test_g_status(gp)) != "runnable")
		return ::testing::AssertionFailure() << "status " << mn_test_g_status(gp);
	int n = mn_test_globrunq_size();
	struct g *first = mn_test_globrunq_pop();
	struct g *second = mn_test_globrunq_pop();
	if (n != 1 || first != gp || second != nullptr)
		return ::testing::AssertionFailure() << "global queue held " << n << " Gs";
	return ::testing::AssertionSuccess();
}

::testing::AssertionResult NotReadied(struct g *gp)
{
	if (std::string(mn_test_g_status(gp)) != "waiting")
		return ::testing::AssertionFailure() << "status " << mn_test_g_status(gp);
	if (int n = mn_test_globrunq_size())
		return ::testing::AssertionFailure() << "global queue holds " << n << " Gs";
	return ::testing::AssertionSuccess();
}

}  // namespace

TEST(Park, WakeupWithoutTimerIsAPlainReady)
{
	mn_test_sched_reset(1);
	FakeG g;
	EXPECT_EQ(mn_test_g_waitsel(g.gp), 0u);
	EXPECT_TRUE(mn_goready_sel(g.gp));
	EXPECT_TRUE(ReadiedOnce(g.gp));
}

TEST(Park, TimerFiresWhenNobodyWakes)
{
	mn_test_sched_reset(1);
	FakeG g;
	std::atomic<int> timeouts{0};
	uint32_t armed = mn_test_park_arm(g.gp, kDue, count_timeout, &timeouts, false);
	ASSERT_TRUE(mn_test_park_publish(g.gp));
	EXPECT_EQ(mn_timers_run(kNow), 0);
	EXPECT_EQ(mn_test_g_waitsel(g.gp), (armed & ~3u) | kTimedOut);
	EXPECT_EQ(timeouts.load(), 1);
	EXPECT_TRUE(ReadiedOnce(g.gp));
	EXPECT_FALSE(mn_goready_sel(g.gp)) << "a waker after the time-out must lose";
	EXPECT_EQ(mn_test_globrunq_size(), 0);
	EXPECT_FALSE(mn_test_park_finish(g.gp));
	EXPECT_EQ(mn_test_g_waitsel(g.gp), 0u);
}

TEST(Park, WakeupBeforeTimerDeletesIt)
{
	mn_test_sched_reset(1);
	FakeG g;
	std::atomic<int> timeouts{0};
	uint32_t armed = mn_test_park_arm(g.gp, kDue, count_timeout, &timeouts, false);
	ASSERT_TRUE(mn_test_park_publish(g.gp));
	EXPECT_TRUE(mn_goready_sel(g.gp));
	EXPECT_EQ(mn_test_g_waitsel(g.gp), (armed & ~3u) | kWoken);
	EXPECT_TRUE(ReadiedOnce(g.gp));
	EXPECT_TRUE(mn_test_park_finish(g.gp));
	EXPECT_FALSE(mn_test_park_timer_queued(g.gp));
	EXPECT_EQ(mn_timers_run(kNow), 0) << "the woken park left a timer";
	EXPECT_EQ(timeouts.load(), 0);
}

TEST(Park, WakeupBeforePublishAddsNoTimer)
{
	// Woken between arming and the unlockf: arm_timer must not leave a
	// timer behind (it would fire into a later park).
	mn_test_sched_reset(1);
	FakeG g;
	std::atomic<int> timeouts{0};
	mn_test_park_arm(g.gp, kDue, count_timeout, &timeouts, false);
	EXPECT_TRUE(mn_goready_sel(g.gp));
	EXPECT_FALSE(mn_test_park_publish(g.gp));
	EXPECT_TRUE(ReadiedOnce(g.gp));
	EXPECT_TRUE(mn_test_park_finish(g.gp));
	EXPECT_EQ(mn_timers_run(kNow), 0);
	EXPECT_EQ(timeouts.load(), 0);
}

TEST(Park, TimeoutRacesWakeup)
{
	mn_test_sched_reset(1);
	FakeG g;
	std::atomic<int> timeouts{0};
	bool woke = false;
	Race race({[&] { woke = mn_goready_sel(g.gp); }, [&] { mn_timers_run(kNow); }});
	int wins[4] = {};
	for (int i = 0; race.more(i, kRounds); i++) {
		timeouts = 0;
		uint32_t armed = mn_test_park_arm(g.gp, kDue, count_timeout, &timeouts, false);
		ASSERT_TRUE(mn_test_park_publish(g.gp));
		race.round();
		uint32_t sel = mn_test_g_waitsel(g.gp);
		ASSERT_EQ(sel & ~3u, armed & ~3u) << "round " << i;
		ASSERT_TRUE((sel & 3u) == kWoken || (sel & 3u) == kTimedOut) << "round " << i << ": state " << (sel & 3u);
		wins[sel & 3u]++;
		ASSERT_EQ(woke, (sel & 3u) == kWoken) << "round " << i << ": the waker's answer";
		ASSERT_EQ(timeouts.load(), (sel & 3u) == kTimedOut ? 1 : 0) << "round " << i << ": ontimeout runs";
		ASSERT_TRUE(ReadiedOnce(g.gp)) << "round " << i;
		ASSERT_EQ(mn_test_park_finish(g.gp), woke) << "round " << i << ": the park's answer";
		ASSERT_FALSE(mn_test_park_timer_queued(g.gp)) << "round " << i;
		race.firstWon(woke);
	}
	RecordProperty("woken", wins[kWoken]);
	RecordProperty("timedout", wins[kTimedOut]);
}

TEST(Park, CancelRacesWakeup)
{
	mn_test_sched_reset(1);
	FakeG g;
	std::atomic<int> timeouts{0};
	bool woke = false, cancelled = false;
	Race race({[&] { woke = mn_goready_sel(g.gp); }, [&] { cancelled = mn_park_cancel(g.gp); }});
	int nwoke = 0;
	for (int i = 0; race.more(i, kRounds); i++) {
		timeouts = 0;
		// A far deadline: only the waker and the canceller race.
		mn_test_park_arm(g.gp, INT64_MAX, count_timeout, &timeouts, true);
		ASSERT_TRUE(mn_test_park_publish(g.gp));
		race.round();
		uint32_t st = mn_test_g_waitsel(g.gp) & 3u;
		ASSERT_NE(woke, cancelled) << "round " << i << ": exactly one must end the park";
		ASSERT_EQ(st, woke ? kWoken : kTimedOut) << "round " << i;
		ASSERT_EQ(timeouts.load(), cancelled ? 1 : 0) << "round " << i;
		ASSERT_TRUE(ReadiedOnce(g.gp)) << "round " << i;
		ASSERT_EQ(mn_test_park_finish(g.gp), woke) << "round " << i;
		ASSERT_FALSE(mn_test_park_timer_queued(g.gp)) << "round " << i;
		nwoke += woke;
		race.firstWon(woke);
	}
	RecordProperty("woken", nwoke);
}

TEST(Park, StaleTimeoutMissesNewerPark)
{
	mn_test_sched_reset(1);
	FakeG g;
	std::atomic<int> timeouts{0};
	uint32_t old = mn_test_park_arm(g.gp, kDue, count_timeout, &timeouts, false);
	ASSERT_TRUE(mn_goready_sel(g.gp));
	ASSERT_TRUE(ReadiedOnce(g.gp));
	ASSERT_TRUE(mn_test_park_finish(g.gp));
	uint32_t armed = mn_test_park_arm(g.gp, kDue, count_timeout, &timeouts, false);
	ASSERT_NE(old, armed);
	// The older park's time-out, late: must not end this one.
	EXPECT_FALSE(mn_test_park_sel_timeout(g.gp, old));
	EXPECT_EQ(mn_test_g_waitsel(g.gp), armed);
	EXPECT_EQ(timeouts.load(), 0);
	EXPECT_TRUE(NotReadied(g.gp));
	// The older park's arm_timer, late: must not queue the timer.
	EXPECT_FALSE(mn_test_park_add_timer_if(g.gp, old));
	EXPECT_EQ(mn_timers_run(kNow), 0);
	EXPECT_EQ(mn_test_g_waitsel(g.gp), armed);
	EXPECT_TRUE(NotReadied(g.gp));
	// This park's own time-out still works.
	EXPECT_TRUE(mn_test_park_sel_timeout(g.gp, armed));
	EXPECT_EQ(timeouts.load(), 1);
	EXPECT_TRUE(mn_test_park_finish(g.gp) == false);
}

TEST(Park, StaleCancelMissesUnpublishedPark)
{
	// pthread_cancel ends a cancellable park only once that very park is
	// published: an older park's published seq must not count.
	mn_test_sched_reset(1);
	FakeG g;
	std::atomic<int> timeouts{0};
	mn_test_park_arm(g.gp, INT64_MAX, count_timeout, &timeouts, true);
	ASSERT_TRUE(mn_test_park_publish(g.gp));
	ASSERT_TRUE(mn_goready_sel(g.gp));
	ASSERT_TRUE(ReadiedOnce(g.gp));
	ASSERT_TRUE(mn_test_park_finish(g.gp));
	uint32_t armed = mn_test_park_arm(g.gp, INT64_MAX, count_timeout, &timeouts, true);
	EXPECT_FALSE(mn_park_cancel(g.gp));
	EXPECT_EQ(mn_test_g_waitsel(g.gp), armed);
	EXPECT_EQ(timeouts.load(), 0);
	EXPECT_TRUE(NotReadied(g.gp));
	ASSERT_TRUE(mn_test_park_publish(g.gp));
	EXPECT_TRUE(mn_park_cancel(g.gp));
	EXPECT_EQ(timeouts.load(), 1);
	EXPECT_TRUE(ReadiedOnce(g.gp));
	EXPECT_FALSE(mn_test_park_finish(g.gp));
}
