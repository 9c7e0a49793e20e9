// tests/unit/syscall_test.cc: the retake race (sched/syscall.c).  A P left
// in P_SYSCALL by an M in a system call goes back either to that M
// (exitsyscall's fast path: mn_syscall_takeback, P_SYSCALL -> P_RUNNING)
// or to sysmon (mn_retake_syscall's mn_syscall_retake, P_SYSCALL ->
// P_IDLE, then handoffp), never to both.  The two CASes are the very
// inline functions syscall.c calls (sched/syscall.h), raced on a zeroed P.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/unit/race.h"

extern "C" {
struct p;
// sched/testhooks.c (MN_TEST only)
size_t mn_test_sizeof_p(void);
void mn_test_p_enter_syscall(struct p *pp);
bool mn_test_p_takeback(struct p *pp);
bool mn_test_p_retake(struct p *pp);
const char *mn_test_p_status(struct p *pp);
}

namespace {

constexpr int kRounds = 50000;

struct P {
	size_t n = (mn_test_sizeof_p() + 63) & ~size_t(63);
	struct p *pp = static_cast<struct p *>(aligned_alloc(64, n));
	P() { memset(pp, 0, n); }
	~P() { free(pp); }
	P(const P &) = delete;
	P &operator=(const P &) = delete;
};

std::string status(struct p *pp) { return mn_test_p_status(pp); }

}  // namespace

TEST(Syscall, ExitTakesBackItsP)
{
	P p;
	mn_test_p_enter_syscall(p.pp);
	EXPECT_TRUE(mn_test_p_takeback(p.pp));
	EXPECT_EQ(status(p.pp), "running");
	EXPECT_FALSE(mn_test_p_retake(p.pp)) << "sysmon took a P its M had taken back";
	EXPECT_EQ(status(p.pp), "running");
}

TEST(Syscall, RetakeTakesTheP)
{
	P p;
	mn_test_p_enter_syscall(p.pp);
	EXPECT_TRUE(mn_test_p_retake(p.pp));
	EXPECT_EQ(status(p.pp), "idle");
	EXPECT_FALSE(mn_test_p_takeback(p.pp)) << "the M took back a P sysmon had retaken";
	EXPECT_EQ(status(p.pp), "idle");
}

TEST(Syscall, NeitherTakesAPNotInSyscall)
{
	// An idle P (handed off) or a running one (given to another M, which
	// may itself be in no call): an M coming back from an older call on
	// it must not grab it, nor sysmon retake it.
	P p;
	EXPECT_EQ(status(p.pp), "idle");
	EXPECT_FALSE(mn_test_p_takeback(p.pp));
	EXPECT_FALSE(mn_test_p_retake(p.pp));
	EXPECT_EQ(status(p.pp), "idle");
	mn_test_p_enter_syscall(p.pp);
	ASSERT_TRUE(mn_test_p_takeback(p.pp));
	EXPECT_FALSE(mn_test_p_takeback(p.pp));
	EXPECT_EQ(status(p.pp), "running");
}

TEST(Syscall, ExitRacesRetake)
{
	P p;
	bool back = false, retaken = false;
	Race race({[&] { back = mn_test_p_takeback(p.pp); }, [&] { retaken = mn_test_p_retake(p.pp); }});
	int nback = 0;
	for (int i = 0; race.more(i, kRounds); i++) {
		mn_test_p_enter_syscall(p.pp);
		race.round();
		ASSERT_NE(back, retaken) << "round " << i << ": exactly one must own the P";
		ASSERT_EQ(status(p.pp), back ? "running" : "idle") << "round " << i;
		nback += back;
		race.firstWon(back);
	}
	RecordProperty("takenback", nback);
}
