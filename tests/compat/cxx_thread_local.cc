// cxx_thread_local: C++ thread_local objects and exceptions in std::threads.
//
// Proves: a thread_local object with a non-trivial constructor and
// destructor is constructed on first use in each std::thread and destroyed
// at that thread's exit, before join() returns (libstdc++ registers it with
// __cxa_thread_atexit); a thread_local std::string and a dynamically
// initialised thread_local int are per thread; exceptions thrown and caught
// inside threads work, including a std::this_thread::yield() inside a catch
// block followed by a bare `throw;` rethrow (libstdc++ keeps the caught
// exception stack in per-thread storage), std::current_exception() after a
// yield, and std::uncaught_exceptions() in a destructor that yields during
// unwinding.  pthread_cancel of threads blocked in a condvar wait and in a
// semaphore wait unwinds them like an exception that cannot be swallowed:
// destructors run, a catch (...) sees it and must rethrow, and the
// condvar's cleanup handler finds its mutex held.  A std::call_once
// callable that throws leaves the flag to the next call.
//
// Expects: exit 0 and the fixed counts below; a broken claim prints
// "FAIL: ..." and exits 1.
#include <pthread.h>
#include <semaphore.h>
#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kThreads = 8;
constexpr int kRounds = 500;

[[noreturn]] void fail(const std::string &what)
{
	std::printf("FAIL: %s\n", what.c_str());
	std::fflush(stdout);
	std::exit(1);
}

std::mutex log_mu;
int constructed;                 // guarded by log_mu
int destroyed;                   // guarded by log_mu
bool destroyed_by[kThreads];     // guarded by log_mu
int last_id_destroyed = -1;      // guarded by log_mu

struct Tracker {
	int id = -1;
	std::vector<int> data;
	Tracker() : data(100, 7)
	{
		std::lock_guard<std::mutex> g(log_mu);
		constructed++;
	}
	~Tracker()
	{
		std::lock_guard<std::mutex> g(log_mu);
		destroyed++;
		if (id < 0 || id >= kThreads)
			fail("thread_local destructor saw a bad id");
		if (destroyed_by[id])
			fail("thread_local destroyed twice for thread " +
			     std::to_string(id));
		destroyed_by[id] = true;
		last_id_destroyed = id;
	}
};

thread_local Tracker tracker;
thread_local std::string tname = "unnamed";
int next_init = 100;
int dyn_init() { return next_init; }
thread_local int tdyn = dyn_init();   // dynamic initialisation per thread

// A guard whose destructor yields while an exception is propagating.
struct UnwindGuard {
	int *count;
	~UnwindGuard()
	{
		std::this_thread::yield();
		if (std::uncaught_exceptions() != 1)
			fail("uncaught_exceptions() != 1 during unwinding");
		++*count;
	}
};

[[noreturn]] void thrower(int id, int round)
{
	throw std::runtime_error("t" + std::to_string(id) + "r" +
				 std::to_string(round));
}

struct Counts {
	int caught = 0, rethrown = 0, current = 0, unwound = 0;
};

void exceptions(int id, Counts &c)
{
	for (int r = 0; r < kRounds; r++) {
		std::string want = "t" + std::to_string(id) + "r" +
				   std::to_string(r);
		try {
			try {
				UnwindGuard g{&c.unwound};
				thrower(id, r);
			} catch (const std::runtime_error &e) {
				std::this_thread::yield();
				if (want != e.what())
					fail("caught the wrong exception: " +
					     std::string(e.what()));
				c.caught++;
				std::exception_ptr p = std::current_exception();
				std::this_thread::yield();
				if (!p)
					fail("current_exception() empty after "
					     "yield");
				c.current++;
				throw;   // rethrow the exception being handled
			}
		} catch (const std::exception &e) {
			if (want != e.what())
				fail("rethrow delivered the wrong exception");
			c.rethrown++;
		}
		if (std::uncaught_exceptions() != 0)
			fail("uncaught_exceptions() != 0 after handling");
	}
}

Counts results[kThreads];

void body(int id)
{
	if (tdyn != 100)
		fail("dynamic thread_local init wrong");
	tdyn = id;
	tracker.id = id;   // first use: constructs this thread's Tracker
	tname = "thread-" + std::to_string(id);
	exceptions(id, results[id]);
	if (tracker.id != id || tdyn != id ||
	    tname != "thread-" + std::to_string(id) ||
	    tracker.data.size() != 100)
		fail("thread_local values changed in thread " +
		     std::to_string(id));
}

// Cancellation of threads parked in waits.
std::atomic<int> raii_done{0}, caught_cancel{0}, cleanup_held{0};
pthread_mutex_t cmu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t ccv = PTHREAD_COND_INITIALIZER;
sem_t csem;

struct Raii {
	~Raii() { raii_done++; }
};

void unlock_cmu(void *)
{
	if (pthread_mutex_trylock(&cmu) == EBUSY) // held, by us
		cleanup_held++;
	pthread_mutex_unlock(&cmu);
}

void *cond_victim(void *)
{
	Raii r;
	pthread_mutex_lock(&cmu);
	pthread_cleanup_push(unlock_cmu, nullptr);
	for (;;)
		pthread_cond_wait(&ccv, &cmu);
	pthread_cleanup_pop(1);
	return nullptr;
}

void *sem_victim(void *)
{
	Raii r;
	try {
		sem_wait(&csem);
	} catch (...) {
		caught_cancel++;
		throw;
	}
	return nullptr;
}

void cancel_waits()
{
	sem_init(&csem, 0, 0);
	pthread_t a, b;
	pthread_create(&a, nullptr, cond_victim, nullptr);
	pthread_create(&b, nullptr, sem_victim, nullptr);
	usleep(30000);
	pthread_cancel(a);
	pthread_cancel(b);
	void *ra = nullptr, *rb = nullptr;
	pthread_join(a, &ra);
	pthread_join(b, &rb);
	std::printf("cancelled %d\n", (ra == PTHREAD_CANCELED) + (rb == PTHREAD_CANCELED));
	std::printf("cancel: destructors %d, catch (...) %d, cleanup with mutex %d\n", raii_done.load(),
		    caught_cancel.load(), cleanup_held.load());
	if (ra != PTHREAD_CANCELED || rb != PTHREAD_CANCELED || raii_done != 2 || caught_cancel != 1 ||
	    cleanup_held != 1)
		fail("cancellation");
}

} // namespace

int main()
{
	std::vector<std::thread> threads;
	for (int i = 0; i < kThreads; i++)
		threads.emplace_back(body, i);

	// Join in order; each thread's destructor must be done by then.
	for (int i = 0; i < kThreads; i++) {
		threads[i].join();
		std::lock_guard<std::mutex> g(log_mu);
		if (!destroyed_by[i])
			fail("thread_local of thread " + std::to_string(i) +
			     " not destroyed when join() returned");
	}

	// A second wave, one thread at a time: constructor and destructor
	// run once per thread, and the destructor is done before join().
	for (int i = 0; i < kThreads; i++) {
		{
			std::lock_guard<std::mutex> g(log_mu);
			destroyed_by[i] = false;
		}
		std::thread t([i] {
			tracker.id = i;
			Counts c;
			try {
				thrower(i, 0);
			} catch (const std::exception &) {
				std::this_thread::yield();
				c.caught++;
			}
			if (c.caught != 1)
				fail("second wave catch");
		});
		t.join();
		std::lock_guard<std::mutex> g(log_mu);
		if (!destroyed_by[i] || last_id_destroyed != i)
			fail("second wave: destructor not run before join");
	}

	Counts sum;
	for (const Counts &c : results) {
		sum.caught += c.caught;
		sum.rethrown += c.rethrown;
		sum.current += c.current;
		sum.unwound += c.unwound;
	}
	std::lock_guard<std::mutex> g(log_mu);
	std::printf("threads %d\n", 2 * kThreads);
	std::printf("constructed %d\n", constructed);
	std::printf("destroyed %d\n", destroyed);
	std::printf("caught %d\n", sum.caught);
	std::printf("current_exception %d\n", sum.current);
	std::printf("rethrown %d\n", sum.rethrown);
	std::printf("unwound guards %d\n", sum.unwound);
	if (constructed != 2 * kThreads || destroyed != 2 * kThreads)
		fail("constructor/destructor counts");
	if (sum.caught != kThreads * kRounds ||
	    sum.rethrown != kThreads * kRounds ||
	    sum.unwound != kThreads * kRounds)
		fail("exception counts");
	cancel_waits();
	// std::call_once is pthread_once: a callable that throws leaves the
	// flag unset, and the next call runs it again.
	static std::once_flag flag;
	static int once_calls = 0;
	int threw = 0;
	std::thread ot([&threw] {
		for (int i = 0; i < 3; i++) {
			try {
				std::call_once(flag, [] {
					if (++once_calls < 3)
						throw std::runtime_error("not yet");
				});
			} catch (const std::runtime_error &) {
				threw++;
			}
		}
	});
	ot.join();
	std::printf("call_once: %d throws, %d calls\n", threw, once_calls);
	if (threw != 2 || once_calls != 3)
		fail("call_once after a throw");
	std::printf("ok\n");
	return 0;
}
