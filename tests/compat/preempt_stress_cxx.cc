// preempt_stress_cxx.cc: preempt_stress's C++ exceptions.
//
// One round throws from 20 recursion depths (1..16) through frames that
// each hold an object with a destructor, catches by type, checks the
// message, and checks that every object was destroyed (a thread_local
// count of live objects, so that several threads can run rounds at once).
// Returns the number of things that went wrong.
#include <stdexcept>
#include <string>

namespace {

thread_local int live;

struct Guard {
	Guard() { ++live; }
	~Guard() { --live; }
};

[[gnu::noinline]] int dive(int depth, int throw_at)
{
	Guard g;
	if (depth == throw_at)
		throw std::runtime_error("depth " + std::to_string(depth));
	return dive(depth + 1, throw_at) + 1;
}

} // namespace

extern "C" long stress_exceptions_round(long seed)
{
	long bad = 0;
	for (int k = 0; k < 20; k++) {
		int at = (int)((seed + k) % 16) + 1;
		try {
			dive(0, at);
			bad++; // no exception
		} catch (const std::runtime_error &e) {
			if (e.what() != "depth " + std::to_string(at))
				bad++;
		} catch (...) {
			bad++;
		}
		if (live != 0) {
			bad++;
			live = 0;
		}
	}
	return bad;
}
