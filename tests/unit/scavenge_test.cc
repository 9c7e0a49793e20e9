// tests/unit/scavenge_test.cc: the scavenger (sched/gfree.c: mn_scavenge).
// Real Gs (mappings with a stack, a TCB and static TLS, as threads get
// them) are freed to the caches, aged by passing mn_scavenge a later
// `now` than the clock's, and released: their mappings must be gone
// (mincore says ENOMEM, RSS falls), what was not old enough must stay,
// and a G asked for afterwards must be whole (a new mapping, TLS
// initialised, libc's per-thread state of a released G carried over).
// The test threads are not Ms: they call mn_gfget/mn_gfput_p with a P of
// their own (a zeroed struct p) or none.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

extern "C" {
#include "sched/env.h"
#include "sched/stack.h"
#include "sched/tcb.h"
struct g;
struct p;
struct g *mn_gfget(struct p *pp, const struct mn_stack_req *req);
void mn_gfput_p(struct p *pp, struct g *gp);
void mn_scavenge(int64_t now);
int64_t mn_scavenge_next(void);
// sched/testhooks.c and sched/gfree.c (MN_TEST only)
void mn_test_sched_reset(int nprocs);
void mn_test_gfree_reset(void);
void mn_test_gfree_counts(int *young, int *old, int *pool);
uint64_t mn_test_gfree_released(void);
void mn_test_g_mapping(struct g *gp, void **map, size_t *mapsize, uintptr_t *lo, uintptr_t *hi, uintptr_t *tcb);
bool mn_test_g_recycled(struct g *gp);
struct p *mn_test_p_new(int id);
int mn_test_p_ngfree(struct p *pp);
}

// In the executable's static TLS; its initial image is 4321.
static __thread int tls_probe = 4321;

namespace {

constexpr int kPeriodS = 80;  // scavenge=80: a rotation every 10 s
constexpr int64_t kSec = 1000000000;
constexpr int64_t kPeriod = kPeriodS * kSec;
constexpr int64_t kInterval = kPeriod / 8;

int64_t now_ns()
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return int64_t(ts.tv_sec) * kSec + ts.tv_nsec;
}

uintptr_t thread_pointer()
{
	uintptr_t tp;
	__asm__ volatile("movq %%fs:0, %0" : "=r"(tp));
	return tp;
}

// tls_probe's copy in another TCB (same offset from the thread pointer).
int *probe_in(uintptr_t tcb)
{
	return reinterpret_cast<int *>(tcb + (reinterpret_cast<uintptr_t>(&tls_probe) - thread_pointer()));
}

struct G {
	struct g *gp;
	void *map;
	size_t mapsize;
	uintptr_t lo, hi, tcb;
};

G info(struct g *gp)
{
	G x{gp, nullptr, 0, 0, 0, 0};
	mn_test_g_mapping(gp, &x.map, &x.mapsize, &x.lo, &x.hi, &x.tcb);
	return x;
}

size_t page() { return size_t(sysconf(_SC_PAGESIZE)); }

mn_stack_req default_req() { return mn_stack_req{0, page(), nullptr, 0}; }

// Make a G the way a thread leaves it: the top of its stack used.
G touched(struct g *gp, int stack_pages)
{
	G x = info(gp);
	for (int i = 1; i <= stack_pages; i++)
		*reinterpret_cast<volatile char *>(x.hi - size_t(i) * page()) = 1;
	return x;
}

// 0: mapped and resident, 1: mapped, not resident, -1: not mapped.
int residency(uintptr_t addr)
{
	unsigned char v = 0;
	void *pg = reinterpret_cast<void *>(addr & ~(uintptr_t(page()) - 1));
	if (mincore(pg, page(), &v) != 0)
		return errno == ENOMEM ? -1 : -2;
	return (v & 1) ? 0 : 1;
}

long rss_pages()
{
	long size = 0, rss = -1;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &size, &rss) != 2)
			rss = -1;
		fclose(f);
	}
	return rss;
}

struct Counts {
	int young, old, pool;
};

Counts counts()
{
	Counts c;
	mn_test_gfree_counts(&c.young, &c.old, &c.pool);
	return c;
}

// mn_scavenge(now) until a call releases nothing more (each call stops
// after its time budget when Ps are busy, as they are here).
void scavenge_all(int64_t now)
{
	for (int i = 0; i < 100000; i++) {
		uint64_t before = mn_test_gfree_released();
		mn_scavenge(now);
		if (mn_test_gfree_released() == before)
			return;
	}
	FAIL() << "mn_scavenge never finished";
}

class Scavenge : public ::testing::Test {
protected:
	void SetUp() override
	{
		const char *why = mn_tcb_init();
		ASSERT_EQ(why, nullptr) << why;
		mn_stack_init();
		mn_test_sched_reset(1);
		mn_test_gfree_reset();
		mn_env.scavenge_s = kPeriodS;
		// What mn_tcb_start does for the first G that starts on a TCB
		// of its own: the libc block that holds nothing.
		mn_stack_req req = default_req();
		struct g *gp = mn_gfget(nullptr, &req);
		ASSERT_NE(gp, nullptr);
		mn_tcb_note_fresh(info(gp).tcb);
		mn_gfput_p(nullptr, gp);
		t0_ = now_ns();
	}

	// Release whatever the test left in the global cache (libc blocks
	// kept in the pool are forgotten with the rest).
	void TearDown() override
	{
		mn_env.scavenge_s = kPeriodS;
		int64_t far = t0_ + 100000 * kPeriod;  // beyond every test's clock
		scavenge_all(far);            // the young list becomes a bucket
		scavenge_all(far + kPeriod);  // which is released
		Counts c = counts();
		EXPECT_EQ(c.young + c.old, 0) << "Gs left in the global cache";
		mn_test_gfree_reset();
	}

	int64_t t0_ = 0;
};

}  // namespace

TEST_F(Scavenge, ReleasesOnlyGsUnusedForThePeriod)
{
	constexpr int kN = 128, kYoung = 8;
	mn_stack_req req = default_req();
	std::vector<G> gs;
	for (int i = 0; i < kN + kYoung; i++) {
		struct g *gp = mn_gfget(nullptr, &req);
		ASSERT_NE(gp, nullptr);
		gs.push_back(touched(gp, 4));
	}
	long rss_before = rss_pages();
	Counts c0 = counts();
	ASSERT_EQ(c0.young, 0) << "SetUp's G is gs[0]";
	for (int i = 0; i < kN; i++)
		mn_gfput_p(nullptr, gs[i].gp);

	mn_scavenge(t0_);  // the first call rotates: a bucket stamped t0
	Counts c = counts();
	EXPECT_EQ(c.young, 0);
	EXPECT_EQ(c.old, kN);
	mn_scavenge(t0_ + kPeriod - 1);  // not old enough yet
	EXPECT_EQ(counts().old, kN);
	EXPECT_EQ(mn_test_gfree_released(), 0u);
	for (int i = 0; i < kN; i++)
		ASSERT_EQ(residency(gs[i].tcb), 0) << "G " << i << " lost its TCB page before its time";

	// Freed after the rotation: younger than the period at t0 + period.
	for (int i = kN; i < kN + kYoung; i++)
		mn_gfput_p(nullptr, gs[i].gp);
	EXPECT_EQ(mn_scavenge_next(), t0_ + kPeriod) << "the bucket of t0 is due first";
	scavenge_all(t0_ + kPeriod);
	c = counts();
	EXPECT_EQ(mn_test_gfree_released(), uint64_t(kN));
	EXPECT_EQ(c.old, 0);
	EXPECT_EQ(c.young, kYoung) << "Gs freed since the last rotation were released";
	EXPECT_EQ(c.pool, 0) << "libc blocks that hold nothing are not kept";
	for (int i = 0; i < kN; i++) {
		EXPECT_EQ(residency(gs[i].tcb), -1) << "G " << i << ": TCB still mapped";
		EXPECT_EQ(residency(gs[i].lo), -1) << "G " << i << ": stack still mapped";
	}
	for (int i = kN; i < kN + kYoung; i++)
		EXPECT_EQ(residency(gs[i].tcb), 0) << "young G " << i << " was touched";
	long rss_after = rss_pages();
	// Each released G had its TCB, TLS, DTV and 4 stack pages resident.
	EXPECT_LT(rss_after, rss_before - long(kN) * 4) << "RSS " << rss_before << " -> " << rss_after << " pages";

	// Asking for Gs again: the young ones first, then new mappings.
	std::vector<G> again;
	for (int i = 0; i < kYoung + 4; i++) {
		struct g *gp = mn_gfget(nullptr, &req);
		ASSERT_NE(gp, nullptr);
		G x = info(gp);
		again.push_back(x);
		EXPECT_EQ(mn_test_g_recycled(gp), i < kYoung) << "G " << i;
		EXPECT_EQ(residency(x.tcb), 0);
		EXPECT_EQ(*probe_in(x.tcb), 4321) << "TLS not initialised in G " << i;
		EXPECT_GT(x.hi, x.lo);
		EXPECT_LT(x.hi, x.tcb);
		// The whole stack is usable down to the guard.
		*reinterpret_cast<volatile char *>(x.lo) = 1;
		*reinterpret_cast<volatile char *>(x.hi - 1) = 1;
	}
	for (const G &x : again)
		mn_gfput_p(nullptr, x.gp);
}

TEST_F(Scavenge, KeepsLibcStateOfAReleasedG)
{
	mn_stack_req req = default_req();
	struct g *a = mn_gfget(nullptr, &req);  // SetUp's G
	struct g *b = mn_gfget(nullptr, &req);
	ASSERT_NE(a, nullptr);
	ASSERT_NE(b, nullptr);
	uintptr_t tb = info(b).tcb;
	// b's thread used malloc: some word of libc's block (the tcache
	// pointer, say) differs from a fresh G's.
	size_t words = mn_tcb_libc_bytes() / sizeof(uintptr_t);
	ASSERT_GT(words, 0u);
	auto *blk = static_cast<uintptr_t *>(mn_tcb_libc_block(tb));
	std::vector<unsigned char> buf(mn_tcb_libc_bytes());
	const uintptr_t marker = 0x5ca7e0000ul;
	size_t w = 0;
	uintptr_t orig = 0;
	for (; w < words; w++) {
		orig = blk[w];
		blk[w] = marker;
		if (mn_tcb_libc_save(tb, buf.data()))
			break;
		blk[w] = orig;
	}
	ASSERT_LT(w, words) << "no word of libc's block counts as state";
	EXPECT_FALSE(mn_tcb_libc_save(info(a).tcb, buf.data())) << "a fresh G's block holds state";

	mn_gfput_p(nullptr, a);
	mn_gfput_p(nullptr, b);
	mn_scavenge(t0_);
	scavenge_all(t0_ + kPeriod);
	Counts c = counts();
	EXPECT_EQ(mn_test_gfree_released(), 2u);
	EXPECT_EQ(c.young + c.old, 0);
	EXPECT_EQ(c.pool, 1) << "b's libc block was not kept, or a's was";

	// The next new G takes b's libc state, and starts as a recycled one.
	struct g *n = mn_gfget(nullptr, &req);
	ASSERT_NE(n, nullptr);
	uintptr_t tn = info(n).tcb;
	EXPECT_TRUE(mn_test_g_recycled(n));
	EXPECT_EQ(static_cast<uintptr_t *>(mn_tcb_libc_block(tn))[w], marker);
	EXPECT_EQ(*probe_in(tn), 4321) << "the other TLS blocks are new";
	EXPECT_EQ(counts().pool, 0);
	static_cast<uintptr_t *>(mn_tcb_libc_block(tn))[w] = orig;
	struct g *m = mn_gfget(nullptr, &req);
	EXPECT_FALSE(mn_test_g_recycled(m)) << "one block went to two Gs";
	mn_gfput_p(nullptr, n);
	mn_gfput_p(nullptr, m);
}

TEST_F(Scavenge, PCacheHandsItsColdGsToTheGlobalCache)
{
	constexpr int kN = 40;
	mn_stack_req req = default_req();
	struct p *pp = mn_test_p_new(0);
	std::vector<G> gs;
	for (int i = 0; i < kN; i++)
		gs.push_back(info(mn_gfget(pp, &req)));
	for (const G &x : gs)
		mn_gfput_p(pp, x.gp);
	ASSERT_EQ(mn_test_p_ngfree(pp), kN);
	int young0 = counts().young;

	mn_scavenge(t0_);  // a rotation: the owner's next call starts counting
	struct g *hot = mn_gfget(pp, &req);
	mn_gfput_p(pp, hot);  // the one it used stays on top
	EXPECT_EQ(mn_test_p_ngfree(pp), kN);
	EXPECT_EQ(counts().young, 0) << "moved before a whole rotation passed";

	mn_scavenge(t0_ + kInterval);  // another: 39 untouched since the last
	EXPECT_EQ(mn_test_p_ngfree(pp), kN) << "sysmon touched a P's cache";
	struct g *again = mn_gfget(pp, &req);
	EXPECT_EQ(again, hot) << "the hot G went too";
	EXPECT_EQ(mn_test_p_ngfree(pp), 0);
	EXPECT_EQ(counts().young, kN - 1);
	mn_gfput_p(pp, again);

	mn_scavenge(t0_ + 2 * kInterval);  // they age in a bucket ...
	scavenge_all(t0_ + 2 * kInterval + kPeriod);  // ... and go
	EXPECT_EQ(mn_test_gfree_released(), uint64_t(kN - 1 + young0));
	EXPECT_EQ(mn_test_p_ngfree(pp), 1);
	int gone = 0;
	for (const G &x : gs)
		gone += residency(x.tcb) == -1;
	EXPECT_EQ(gone, kN - 1);
	mn_gfput_p(nullptr, mn_gfget(pp, &req));
	free(pp);
}

// A released G's dynamic TLS blocks (what __tls_get_addr allocated for
// modules dlopen'ed with dynamic TLS) are freed: one of 64 MiB, which
// malloc always maps on its own (above its largest mmap threshold, 32
// MiB), is put in the G's last DTV slot.
TEST_F(Scavenge, ReleaseFreesDynamicTls)
{
	mn_stack_req req = default_req();
	struct g *gp = mn_gfget(nullptr, &req);
	ASSERT_NE(gp, nullptr);
	uintptr_t tcb = info(gp).tcb;
	auto *dtv = *reinterpret_cast<uintptr_t **>(tcb + 8);  // tcbhead_t.dtv
	size_t n = dtv[-2];                                    // its slot count
	ASSERT_GT(n, 1u);
	ASSERT_EQ(dtv[2 * n + 1], 0u) << "the last slot is in use";
	size_t before = mallinfo2().hblkhd;
	void *blk = malloc(64 << 20);
	ASSERT_NE(blk, nullptr);
	ASSERT_GT(mallinfo2().hblkhd, before);
	dtv[2 * n] = dtv[2 * n + 1] = uintptr_t(blk);
	mn_gfput_p(nullptr, gp);
	mn_scavenge(t0_);
	scavenge_all(t0_ + kPeriod);
	EXPECT_EQ(mn_test_gfree_released(), 1u);
	EXPECT_EQ(mallinfo2().hblkhd, before) << "the dynamic TLS block was not freed";
}

TEST_F(Scavenge, UserStacksStayTheProgramsOwn)
{
	constexpr size_t kStack = 64 * 1024;
	std::vector<unsigned char> mine(kStack, 0xa5);
	mn_stack_req req{0, 0, mine.data(), kStack};
	struct g *gp = mn_gfget(nullptr, &req);
	ASSERT_NE(gp, nullptr);
	G x = info(gp);
	EXPECT_EQ(x.lo, uintptr_t(mine.data()));
	mn_gfput_p(nullptr, gp);
	mn_scavenge(t0_);
	scavenge_all(t0_ + kPeriod);
	EXPECT_EQ(residency(x.tcb), -1) << "the header mapping stays";
	for (size_t i = 0; i < kStack; i += 4096)
		ASSERT_EQ(mine[i], 0xa5) << "the program's stack was touched at " << i;
}

TEST_F(Scavenge, ZeroMeansNever)
{
	mn_env.scavenge_s = 0;
	mn_stack_req req = default_req();
	G x = info(mn_gfget(nullptr, &req));
	mn_gfput_p(nullptr, x.gp);
	mn_scavenge(t0_);
	mn_scavenge(t0_ + 1000 * kPeriod);
	EXPECT_EQ(mn_scavenge_next(), 0);
	EXPECT_EQ(mn_test_gfree_released(), 0u);
	EXPECT_EQ(counts().young, 1) << "SetUp's G, taken and given back";
	EXPECT_EQ(residency(x.tcb), 0);
}

// The owner of a P gets and frees Gs (and odd shapes through the global
// cache) while another thread scavenges with a clock that follows the
// rounds: nothing is released twice or while in use (in
// use, a G's stack and TCB are written and read back; a released one
// would fault, a reused one would read wrong).
TEST_F(Scavenge, RacesWithGetAndPut)
{
	constexpr int kRounds = 3000;
	struct p *pp = mn_test_p_new(0);
	std::atomic<bool> done{false};
	std::atomic<int64_t> round{0};
	std::thread sysmon([&] {
		// An eighth of the period every 4 rounds: Gs freed to the global
		// cache are released some 32 rounds later.
		while (!done.load()) {
			mn_scavenge(t0_ + round.load() * (kInterval / 4));
			struct timespec pause = {0, 20000};  // sysmon's own tick
			nanosleep(&pause, nullptr);
		}
	});
	mn_stack_req dflt = default_req();
	mn_stack_req odd{128 * 1024, page(), nullptr, 0};
	std::vector<std::pair<G, int>> held;
	unsigned seed = 1;
	// kRounds, and on until the other thread has released some (it may
	// get little CPU on a loaded machine), for 20 s at most.
	int64_t give_up = now_ns() + 20 * kSec;
	for (int i = 0; i < kRounds || (mn_test_gfree_released() < 100 && now_ns() < give_up); i++) {
		round.store(i);
		seed = seed * 1103515245 + 12345;
		bool get = held.size() < 8 && (held.empty() || (seed >> 16) % 2);
		struct p *mine = (seed >> 20) % 4 ? pp : nullptr;
		if (get) {
			struct g *gp = mn_gfget(mine, (seed >> 24) % 5 ? &dflt : &odd);
			ASSERT_NE(gp, nullptr);
			G x = info(gp);
			*probe_in(x.tcb) = i;
			*reinterpret_cast<volatile char *>(x.hi - 1) = 1;
			held.emplace_back(x, i);
		} else {
			auto [x, mark] = held.back();
			held.pop_back();
			ASSERT_EQ(*probe_in(x.tcb), mark) << "a G in use was recycled or released";
			mn_gfput_p(mine, x.gp);
		}
	}
	done.store(true);
	sysmon.join();
	EXPECT_GT(mn_test_gfree_released(), 0u) << "the race never released anything";
	for (const auto &h : held)
		mn_gfput_p(nullptr, h.first.gp);
	while (mn_test_p_ngfree(pp) > 0)
		mn_gfput_p(nullptr, mn_gfget(pp, &dflt));
	free(pp);
}
