// tests/unit/runq_test.cc: the per-P run queue and the global run queue
// (sched/runq.c).  C++ cannot include runtime.h (C11 _Atomic), so struct g
// and struct p stay opaque: they are zeroed blocks of the sizes the test
// hooks report, and a G is known by its address.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

extern "C" {
struct p;
struct g;
void mn_runqput(struct p *pp, struct g *gp, bool next);
struct g *mn_runqget(struct p *pp, bool *inheritTime);
struct g *mn_runqsteal(struct p *pp, struct p *victim, bool stealRunNext);
bool mn_runqempty(struct p *pp);
void mn_globrunqput(struct g *gp);                 // sched.lock held
struct g *mn_globrunqget(struct p *pp, int max);   // sched.lock held
void mn_test_sched_lock(void);
void mn_test_sched_unlock(void);
// sched/testhooks.c (MN_TEST only)
size_t mn_test_sizeof_p(void);
size_t mn_test_sizeof_g(void);
void mn_test_sched_reset(int nprocs);
int mn_test_globrunq_size(void);
struct g *mn_test_globrunq_pop(void);
}

namespace {

// mn_globrunqput / mn_globrunqget under sched.lock, as the runtime calls them.
void globput(struct g *gp)
{
	mn_test_sched_lock();
	mn_globrunqput(gp);
	mn_test_sched_unlock();
}
struct g *globget(struct p *pp, int max)
{
	mn_test_sched_lock();
	struct g *gp = mn_globrunqget(pp, max);
	mn_test_sched_unlock();
	return gp;
}

constexpr int kRunqSize = 256;  // RUNQ_SIZE in sched/runtime.h

size_t round64(size_t n) { return (n + 63) & ~size_t(63); }

// Zeroed, 64-byte aligned, freed at scope exit.
struct Block {
	void *mem;
	explicit Block(size_t n) : mem(aligned_alloc(64, round64(n)))
	{
		memset(mem, 0, round64(n));
	}
	~Block() { free(mem); }
	Block(const Block &) = delete;
	Block &operator=(const Block &) = delete;
};

struct P {
	Block b{mn_test_sizeof_p()};
	struct p *get() { return static_cast<struct p *>(b.mem); }
};

// n Gs in one block; G i is at(i), index() maps back.
struct Gs {
	size_t stride = round64(mn_test_sizeof_g());
	size_t n;
	Block b;
	explicit Gs(size_t count) : n(count), b(stride * count) {}
	struct g *at(size_t i) { return reinterpret_cast<struct g *>(static_cast<char *>(b.mem) + i * stride); }
	long index(struct g *gp)
	{
		ptrdiff_t d = reinterpret_cast<char *>(gp) - static_cast<char *>(b.mem);
		if (d < 0 || size_t(d) % stride != 0 || size_t(d) / stride >= n)
			return -1;
		return long(size_t(d) / stride);
	}
};

// Pops pp's queue (runnext first) into indices of gs.
std::vector<long> drain(struct p *pp, Gs &gs)
{
	std::vector<long> out;
	while (struct g *gp = mn_runqget(pp, nullptr))
		out.push_back(gs.index(gp));
	return out;
}

std::vector<long> drain_global(Gs &gs)
{
	std::vector<long> out;
	while (struct g *gp = mn_test_globrunq_pop())
		out.push_back(gs.index(gp));
	return out;
}

std::vector<long> iota(long from, long to)
{
	std::vector<long> v;
	for (long i = from; i < to; i++)
		v.push_back(i);
	return v;
}

}  // namespace

TEST(Runq, PutGetFifo)
{
	mn_test_sched_reset(1);
	P pp;
	Gs gs(20);
	EXPECT_TRUE(mn_runqempty(pp.get()));
	for (int i = 0; i < 20; i++)
		mn_runqput(pp.get(), gs.at(i), false);
	EXPECT_FALSE(mn_runqempty(pp.get()));
	for (int i = 0; i < 20; i++) {
		bool inherit = true;
		EXPECT_EQ(mn_runqget(pp.get(), &inherit), gs.at(i)) << "position " << i;
		EXPECT_FALSE(inherit);
	}
	bool inherit = true;
	EXPECT_EQ(mn_runqget(pp.get(), &inherit), nullptr);
	EXPECT_FALSE(inherit);
	EXPECT_TRUE(mn_runqempty(pp.get()));
	EXPECT_EQ(mn_test_globrunq_size(), 0);
}

TEST(Runq, PutGetFifoWrapsAround)
{
	// Many more Gs than slots through a queue kept short: the ring wraps
	// and the counters pass RUNQ_SIZE many times.
	mn_test_sched_reset(1);
	P pp;
	Gs gs(8);
	for (int round = 0; round < 1000; round++) {
		for (int i = 0; i < 5; i++)
			mn_runqput(pp.get(), gs.at(i), false);
		ASSERT_EQ(drain(pp.get(), gs), iota(0, 5)) << "round " << round;
	}
	EXPECT_EQ(mn_test_globrunq_size(), 0);
}

TEST(Runq, RunnextGoesFirst)
{
	mn_test_sched_reset(1);
	P pp;
	Gs gs(4);
	mn_runqput(pp.get(), gs.at(0), false);
	mn_runqput(pp.get(), gs.at(1), false);
	mn_runqput(pp.get(), gs.at(2), true);
	bool inherit = false;
	EXPECT_EQ(mn_runqget(pp.get(), &inherit), gs.at(2));
	EXPECT_TRUE(inherit);
	EXPECT_EQ(mn_runqget(pp.get(), &inherit), gs.at(0));
	EXPECT_FALSE(inherit);
	EXPECT_EQ(mn_runqget(pp.get(), &inherit), gs.at(1));
	EXPECT_FALSE(inherit);
	EXPECT_EQ(mn_runqget(pp.get(), &inherit), nullptr);
}

TEST(Runq, RunnextAloneIsNotEmpty)
{
	mn_test_sched_reset(1);
	P pp;
	Gs gs(1);
	mn_runqput(pp.get(), gs.at(0), true);
	EXPECT_FALSE(mn_runqempty(pp.get()));
	EXPECT_EQ(mn_runqget(pp.get(), nullptr), gs.at(0));
	EXPECT_TRUE(mn_runqempty(pp.get()));
}

TEST(Runq, RunnextKicksOldToTail)
{
	mn_test_sched_reset(1);
	P pp;
	Gs gs(4);
	mn_runqput(pp.get(), gs.at(0), false);
	mn_runqput(pp.get(), gs.at(1), true);
	mn_runqput(pp.get(), gs.at(2), true);  // kicks G1 behind G0
	bool inherit = false;
	EXPECT_EQ(mn_runqget(pp.get(), &inherit), gs.at(2));
	EXPECT_TRUE(inherit);
	EXPECT_EQ(drain(pp.get(), gs), (std::vector<long>{0, 1}));
}

TEST(Runq, StealTakesHalf)
{
	mn_test_sched_reset(2);
	P victim, thief;
	Gs gs(10);
	for (int i = 0; i < 10; i++)
		mn_runqput(victim.get(), gs.at(i), false);
	// Half (rounded up) leaves the victim: the oldest five.  The thief runs
	// the last of them and queues the other four in order.
	struct g *gp = mn_runqsteal(thief.get(), victim.get(), false);
	EXPECT_EQ(gp, gs.at(4));
	EXPECT_EQ(drain(thief.get(), gs), iota(0, 4));
	EXPECT_EQ(drain(victim.get(), gs), iota(5, 10));
	EXPECT_EQ(mn_test_globrunq_size(), 0);
}

TEST(Runq, StealOneLeavesNothing)
{
	mn_test_sched_reset(2);
	P victim, thief;
	Gs gs(1);
	mn_runqput(victim.get(), gs.at(0), false);
	EXPECT_EQ(mn_runqsteal(thief.get(), victim.get(), false), gs.at(0));
	EXPECT_TRUE(mn_runqempty(victim.get()));
	EXPECT_TRUE(mn_runqempty(thief.get()));
	EXPECT_EQ(mn_runqsteal(thief.get(), victim.get(), true), nullptr);
}

TEST(Runq, StealFullQueueTakesHalf)
{
	mn_test_sched_reset(2);
	P victim, thief;
	Gs gs(kRunqSize);
	for (int i = 0; i < kRunqSize; i++)
		mn_runqput(victim.get(), gs.at(i), false);
	EXPECT_EQ(mn_runqsteal(thief.get(), victim.get(), false), gs.at(kRunqSize / 2 - 1));
	EXPECT_EQ(drain(thief.get(), gs), iota(0, kRunqSize / 2 - 1));
	EXPECT_EQ(drain(victim.get(), gs), iota(kRunqSize / 2, kRunqSize));
	EXPECT_EQ(mn_test_globrunq_size(), 0);
}

TEST(Runq, StealRunnextOnlyWhenAsked)
{
	mn_test_sched_reset(2);
	P victim, thief;
	Gs gs(1);
	mn_runqput(victim.get(), gs.at(0), true);
	EXPECT_EQ(mn_runqsteal(thief.get(), victim.get(), false), nullptr);
	EXPECT_FALSE(mn_runqempty(victim.get()));
	EXPECT_EQ(mn_runqsteal(thief.get(), victim.get(), true), gs.at(0));
	EXPECT_TRUE(mn_runqempty(victim.get()));
	EXPECT_TRUE(mn_runqempty(thief.get()));
}

TEST(Runq, StealPrefersQueueOverRunnext)
{
	mn_test_sched_reset(2);
	P victim, thief;
	Gs gs(2);
	mn_runqput(victim.get(), gs.at(0), false);
	mn_runqput(victim.get(), gs.at(1), true);
	EXPECT_EQ(mn_runqsteal(thief.get(), victim.get(), true), gs.at(0));
	bool inherit = false;
	EXPECT_EQ(mn_runqget(victim.get(), &inherit), gs.at(1));
	EXPECT_TRUE(inherit);
}

TEST(Runq, OverflowGoesToGlobal)
{
	mn_test_sched_reset(1);
	P pp;
	Gs gs(kRunqSize + 1);
	for (int i = 0; i <= kRunqSize; i++)
		mn_runqput(pp.get(), gs.at(i), false);
	// The 257th put finds the ring full: the older half (128) and the new
	// G go to the global queue in one batch, in order.
	EXPECT_EQ(mn_test_globrunq_size(), kRunqSize / 2 + 1);
	std::vector<long> local = drain(pp.get(), gs);
	std::vector<long> global = drain_global(gs);
	EXPECT_EQ(local.size() + global.size(), size_t(kRunqSize + 1));
	EXPECT_EQ(local, iota(kRunqSize / 2, kRunqSize));
	std::vector<long> want = iota(0, kRunqSize / 2);
	want.push_back(kRunqSize);
	EXPECT_EQ(global, want);
	EXPECT_EQ(mn_test_globrunq_size(), 0);
}

TEST(Runq, OverflowViaRunnextKick)
{
	// A full ring plus a runnext kick: the kicked G overflows too.
	mn_test_sched_reset(1);
	P pp;
	Gs gs(kRunqSize + 2);
	mn_runqput(pp.get(), gs.at(0), true);
	for (int i = 1; i <= kRunqSize; i++)
		mn_runqput(pp.get(), gs.at(i), false);
	EXPECT_EQ(mn_test_globrunq_size(), 0);
	mn_runqput(pp.get(), gs.at(kRunqSize + 1), true);  // kicks G0 into the full ring
	EXPECT_EQ(mn_test_globrunq_size(), kRunqSize / 2 + 1);
	bool inherit = false;
	EXPECT_EQ(mn_runqget(pp.get(), &inherit), gs.at(kRunqSize + 1));
	EXPECT_TRUE(inherit);
	EXPECT_EQ(drain(pp.get(), gs), iota(kRunqSize / 2 + 1, kRunqSize + 1));
	std::vector<long> want = iota(1, kRunqSize / 2 + 1);
	want.push_back(0);
	EXPECT_EQ(drain_global(gs), want);
}

TEST(Runq, GlobrunqGetFairShare)
{
	// The "sched.lock held" functions, with the lock (debug builds check).
	mn_test_sched_reset(4);
	P pp;
	Gs gs(10);
	for (int i = 0; i < 10; i++)
		globput(gs.at(i));
	EXPECT_EQ(mn_test_globrunq_size(), 10);
	// 10 / 4 procs + 1 = 3: one to run, two into the local queue.
	EXPECT_EQ(globget(pp.get(), 0), gs.at(0));
	EXPECT_EQ(mn_test_globrunq_size(), 7);
	EXPECT_EQ(drain(pp.get(), gs), iota(1, 3));
	// max caps the share.
	EXPECT_EQ(globget(pp.get(), 1), gs.at(3));
	EXPECT_TRUE(mn_runqempty(pp.get()));
	EXPECT_EQ(mn_test_globrunq_size(), 6);
	EXPECT_EQ(drain_global(gs), iota(4, 10));
	EXPECT_EQ(globget(pp.get(), 0), nullptr);
}

TEST(Runq, GlobrunqGetNeverOverflowsLocal)
{
	mn_test_sched_reset(1);
	P pp;
	Gs gs(kRunqSize + 200);
	for (int i = 0; i < kRunqSize - 3; i++)
		mn_runqput(pp.get(), gs.at(i), false);
	for (int i = kRunqSize; i < kRunqSize + 200; i++)
		globput(gs.at(i));
	// Room for 3: take at most 3 (one returned, two queued), never spill.
	EXPECT_EQ(globget(pp.get(), 0), gs.at(kRunqSize));
	EXPECT_EQ(mn_test_globrunq_size(), 197);
	std::vector<long> want = iota(0, kRunqSize - 3);
	want.push_back(kRunqSize + 1);
	want.push_back(kRunqSize + 2);
	EXPECT_EQ(drain(pp.get(), gs), want);
	EXPECT_EQ(drain_global(gs), iota(kRunqSize + 3, kRunqSize + 200));
}

TEST(Runq, ConcurrentStealNoLossNoDup)
{
	// One owner puts (some as runnext) and gets; two thieves steal into
	// their own Ps, one taking runnext too, and run what they stole.  At
	// the end every G was taken exactly once.
	constexpr int kN = 100000;
	mn_test_sched_reset(3);
	P owner, thief[2];
	Gs gs(kN);
	std::vector<std::atomic<int>> seen(kN);
	std::atomic<long> stolen[2] = {{0}, {0}};
	std::atomic<bool> done{false};
	std::atomic<int> ready{0};
	auto take = [&](struct g *gp) {
		long i = gs.index(gp);
		ASSERT_GE(i, 0) << "a pointer that is not one of ours came out of a queue";
		seen[i].fetch_add(1, std::memory_order_relaxed);
	};

	std::vector<std::thread> thieves;
	for (int t = 0; t < 2; t++) {
		thieves.emplace_back([&, t] {
			ready.fetch_add(1);
			while (!done.load(std::memory_order_acquire)) {
				struct g *gp = mn_runqsteal(thief[t].get(), owner.get(), t == 1);
				if (!gp) {
					std::this_thread::yield();
					continue;
				}
				take(gp);
				stolen[t].fetch_add(1, std::memory_order_relaxed);
				while ((gp = mn_runqget(thief[t].get(), nullptr)) != nullptr) {
					take(gp);
					stolen[t].fetch_add(1, std::memory_order_relaxed);
				}
			}
		});
	}
	std::thread own([&] {
		while (ready.load() < 2)
			std::this_thread::yield();
		for (int i = 0; i < kN; i++) {
			mn_runqput(owner.get(), gs.at(i), i % 7 == 0);
			// Alternate phases: a long queue that overflows into the
			// global queue, and a short one where the owner and the
			// thieves race for the last Gs and runnext.
			bool longq = (i / 10000) % 2 == 0;
			if (!longq || i % 3 == 0) {
				if (struct g *gp = mn_runqget(owner.get(), nullptr))
					take(gp);
			}
			if (i % 512 == 0)
				std::this_thread::yield();
		}
		done.store(true, std::memory_order_release);
	});
	own.join();
	for (auto &t : thieves)
		t.join();

	// Everyone has stopped: the main thread now owns all three Ps.
	for (struct p *pp : {owner.get(), thief[0].get(), thief[1].get()})
		while (struct g *gp = mn_runqget(pp, nullptr))
			take(gp);
	long global = 0;
	while (struct g *gp = mn_test_globrunq_pop()) {
		take(gp);
		global++;
	}
	EXPECT_EQ(mn_test_globrunq_size(), 0);

	int lost = 0, dup = 0, first_bad = -1;
	for (int i = 0; i < kN; i++) {
		int c = seen[i].load();
		if (c == 0)
			lost++;
		if (c > 1)
			dup++;
		if (c != 1 && first_bad < 0)
			first_bad = i;
	}
	EXPECT_EQ(lost, 0) << "first bad G " << first_bad;
	EXPECT_EQ(dup, 0) << "first bad G " << first_bad;
	RecordProperty("stolen0", int(stolen[0].load()));
	RecordProperty("stolen1", int(stolen[1].load()));
	RecordProperty("global", int(global));
}
