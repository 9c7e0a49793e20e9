// tests/unit/race.h: run a few functions at the same moment, many rounds.
// The first arm runs on the caller's thread, the others on threads kept
// for the whole test (starting threads per round would leave them too far
// apart to race; a spinning caller besides them would take a core the
// arms need on a 2-core machine).  Waits yield after a short spin, for
// machines with fewer cores than arms.
//
// Where the arms start apart (the caller runs first, a helper sees the
// start a cache miss later, a virtual CPU is late), a race mostly has one
// winner and the rare collision is what a test needs.  So each round
// delays one side by `bias` pause instructions plus a random few; a test
// that knows who won calls firstWon() after the round, which moves the
// bias against the winner and keeps the arms at the crossover point.
#ifndef MN_TEST_RACE_H
#define MN_TEST_RACE_H
#include <atomic>
#include <chrono>
#include <functional>
#include <random>
#include <thread>
#include <vector>

class Race {
public:
	// jitter: random pauses added to the delay (0 .. jitter-1).
	explicit Race(std::vector<std::function<void()>> arms, unsigned jitter = 8)
	    : arms_(std::move(arms)), jitter_(jitter)
	{
		for (size_t i = 1; i < arms_.size(); i++)
			threads_.emplace_back([this, i] { loop(i); });
	}
	~Race()
	{
		go_.store(kStop, std::memory_order_release);
		for (auto &t : threads_)
			t.join();
	}
	Race(const Race &) = delete;
	Race &operator=(const Race &) = delete;

	// Runs every arm once, together; returns when all are done.
	void round()
	{
		unsigned r = jitter_ ? unsigned(rng_()) % jitter_ : 0;
		delay0_ = bias_ > 0 ? bias_ + r : r;
		delayRest_.store(bias_ < 0 ? -bias_ + r : 0, std::memory_order_relaxed);
		done_.store(0, std::memory_order_relaxed);
		go_.fetch_add(1, std::memory_order_acq_rel);
		pause(delay0_);
		arms_[0]();
		done_.fetch_add(1, std::memory_order_acq_rel);
		for (unsigned spins = 0; done_.load(std::memory_order_acquire) != arms_.size(); spins++)
			relax(spins);
	}

	// Whether to run round number i of at most max: a loaded machine
	// (other builds, fewer cores than arms) gets fewer rounds, not a
	// slow test; each race runs for at most about 2 s.
	bool more(int i, int max)
	{
		if (i == 0)
			start_ = std::chrono::steady_clock::now();
		return i < max && (i % 256 != 0 || std::chrono::steady_clock::now() - start_ < std::chrono::seconds(2));
	}

	// The round's winner was the first arm (true) or another (false).
	void firstWon(bool first)
	{
		bias_ += first ? 1 : -1;
		if (bias_ > kMaxBias)
			bias_ = kMaxBias;
		if (bias_ < -kMaxBias)
			bias_ = -kMaxBias;
	}

private:
	static constexpr unsigned kStop = ~0u;
	static constexpr int kMaxBias = 500;

	static void pause(unsigned n)
	{
		while (n--)
			__builtin_ia32_pause();
	}

	static void relax(unsigned spins)
	{
		if (spins < 4000)
			__builtin_ia32_pause();
		else
			std::this_thread::yield();
	}

	void loop(size_t i)
	{
		unsigned seen = 0;
		for (;;) {
			unsigned g;
			for (unsigned spins = 0; (g = go_.load(std::memory_order_acquire)) == seen; spins++)
				relax(spins);
			if (g == kStop)
				return;
			seen = g;
			pause(delayRest_.load(std::memory_order_relaxed));
			arms_[i]();
			done_.fetch_add(1, std::memory_order_acq_rel);
		}
	}

	std::vector<std::function<void()>> arms_;
	unsigned jitter_;
	std::minstd_rand rng_{12345};
	int bias_ = 0;
	std::chrono::steady_clock::time_point start_;
	unsigned delay0_ = 0;
	std::atomic<unsigned> delayRest_{0};  // written before go_'s release
	std::atomic<unsigned> go_{0};
	std::atomic<size_t> done_{0};
	std::vector<std::thread> threads_;
};
#endif
