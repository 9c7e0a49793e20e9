// tests/unit/stack_test.cc: G memory and its guard (sched/stack.c).
// The crash checks run in a forked child, as the style guide asks.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern "C" {
// Copied from sched/stack.h (plain C, valid C++).
struct mn_stack_req {
	size_t stacksize;
	size_t guardsize;
	void *userstack;
	size_t usersize;
};
struct mn_stack {
	void *map;
	size_t mapsize;
	uintptr_t lo, hi;
	size_t guardsize;
	size_t reqsize;
	bool user;
};
extern size_t mn_default_stacksize;
extern size_t mn_pagesize;
int mn_stack_alloc(struct mn_stack *st, const struct mn_stack_req *req, size_t header_bytes);
void mn_stack_free(struct mn_stack *st);
void mn_stack_init(void);
const char *mn_stack_guardkind(void);
}

namespace {

constexpr size_t kKiB = 1024, kMiB = 1024 * 1024;

size_t count_maps()
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return 0;
	size_t n = 0;
	int c;
	while ((c = fgetc(f)) != EOF)
		if (c == '\n')
			n++;
	fclose(f);
	return n;
}

// Runs fn in a forked child; returns the child's wait status.
template <typename F> int in_child(F fn)
{
	fflush(nullptr);
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit nocore = {0, 0};
		setrlimit(RLIMIT_CORE, &nocore);  // a crash is expected: no core file
		fn();
		_exit(0);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

// mn_default_stacksize after mn_stack_init under a given soft RLIMIT_STACK,
// measured in a child (the parent's limit is left alone).  0 on failure.
size_t default_size_with_rlimit(rlim_t soft)
{
	int fds[2];
	if (pipe(fds) != 0)
		return 0;
	int status = in_child([&] {
		struct rlimit rl;
		if (getrlimit(RLIMIT_STACK, &rl) != 0)
			_exit(2);
		rl.rlim_cur = soft;
		if (setrlimit(RLIMIT_STACK, &rl) != 0)
			_exit(3);
		mn_stack_init();
		size_t v = mn_default_stacksize;
		if (write(fds[1], &v, sizeof v) != sizeof v)
			_exit(4);
	});
	close(fds[1]);
	size_t v = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || read(fds[0], &v, sizeof v) != sizeof v)
		v = 0;
	close(fds[0]);
	return v;
}

class StackInit {
public:
	StackInit() { mn_stack_init(); }
};
const StackInit stack_init_once;

}  // namespace

TEST(Stack, DefaultSizeFromRlimit)
{
	mn_stack_init();
	ASSERT_EQ(mn_pagesize, size_t(sysconf(_SC_PAGESIZE)));
	size_t pg = mn_pagesize;

	// This process's own limit, by glibc's rule for a finite, sane limit.
	struct rlimit rl;
	ASSERT_EQ(getrlimit(RLIMIT_STACK, &rl), 0);
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= 16384) {
		EXPECT_EQ(mn_default_stacksize, (size_t(rl.rlim_cur) + pg - 1) & ~(pg - 1));
	}

	// The common case, set explicitly (lowering a soft limit is always allowed
	// up to the hard limit).
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= 8 * kMiB + 1) {
		EXPECT_EQ(default_size_with_rlimit(8 * kMiB), 8 * kMiB);
		EXPECT_EQ(default_size_with_rlimit(8 * kMiB + 1), 8 * kMiB + pg) << "rounded up to a page";
	}
	EXPECT_EQ(default_size_with_rlimit(256 * kKiB), 256 * kKiB);
}

TEST(Stack, DefaultSizeUnlimitedRlimit)
{
	struct rlimit rl;
	ASSERT_EQ(getrlimit(RLIMIT_STACK, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY)
		GTEST_SKIP() << "hard RLIMIT_STACK is finite: cannot raise the soft limit to unlimited";
	// glibc (__pthread_early_init): an unlimited RLIMIT_STACK gives
	// ARCH_STACK_DEFAULT_SIZE, 2 MiB on x86_64 (sysdeps/x86_64/nptl/
	// pthreaddef.h).  Measured on glibc 2.36: `ulimit -s unlimited` makes
	// pthread_getattr_default_np report 2097152.
	EXPECT_EQ(default_size_with_rlimit(RLIM_INFINITY), 2 * kMiB);
}

TEST(Stack, UsableRangeWritable)
{
	const size_t header = 3000;
	struct mn_stack_req req = {256 * kKiB, mn_pagesize, nullptr, 0};
	struct mn_stack st;
	memset(&st, 0, sizeof st);
	ASSERT_EQ(mn_stack_alloc(&st, &req, header), 0);
	EXPECT_FALSE(st.user);
	EXPECT_EQ(st.guardsize, mn_pagesize);
	EXPECT_EQ(st.reqsize, 256 * kKiB);
	EXPECT_EQ(st.lo, uintptr_t(st.map) + st.guardsize);
	EXPECT_EQ(st.hi - st.lo, 256 * kKiB);
	EXPECT_EQ(st.lo % mn_pagesize, 0u);
	EXPECT_GE(uintptr_t(st.map) + st.mapsize, st.hi + header) << "the header fits above hi";
	EXPECT_EQ(st.mapsize % mn_pagesize, 0u);
	// The whole stack and the header above it take writes and keep them.
	memset(reinterpret_cast<void *>(st.lo), 0xa5, st.hi - st.lo);
	memset(reinterpret_cast<void *>(st.hi), 0x5a, header);
	const unsigned char *s = reinterpret_cast<const unsigned char *>(st.lo);
	for (size_t i = 0; i < st.hi - st.lo; i += 509)
		ASSERT_EQ(s[i], 0xa5) << "offset " << i;
	EXPECT_EQ(s[st.hi - st.lo - 1], 0xa5);
	EXPECT_EQ(s[st.hi - st.lo], 0x5a);
	mn_stack_free(&st);
	EXPECT_EQ(st.map, nullptr);
}

TEST(Stack, SizesRoundUpToPages)
{
	struct mn_stack_req req = {100 * kKiB + 1, 1, nullptr, 0};
	struct mn_stack st;
	ASSERT_EQ(mn_stack_alloc(&st, &req, 1), 0);
	EXPECT_EQ(st.guardsize, mn_pagesize);
	EXPECT_EQ(st.hi - st.lo, ((100 * kKiB + 1) + mn_pagesize - 1) & ~(mn_pagesize - 1));
	EXPECT_EQ(st.reqsize, 100 * kKiB + 1) << "the free-list key is the size asked for";
	mn_stack_free(&st);
}

TEST(Stack, ZeroSizeMeansDefault)
{
	struct mn_stack_req req = {0, 0, nullptr, 0};
	struct mn_stack st;
	ASSERT_EQ(mn_stack_alloc(&st, &req, 64), 0);
	EXPECT_EQ(st.hi - st.lo, mn_default_stacksize);
	EXPECT_EQ(st.guardsize, 0u);
	EXPECT_EQ(st.lo, uintptr_t(st.map));
	mn_stack_free(&st);
}

TEST(Stack, GuardFaults)
{
	struct mn_stack_req req = {64 * kKiB, 2 * mn_pagesize, nullptr, 0};
	struct mn_stack st;
	ASSERT_EQ(mn_stack_alloc(&st, &req, 64), 0);
	ASSERT_EQ(st.guardsize, 2 * mn_pagesize);

	// One byte below lo: the top of the guard.
	int status = in_child([&] { *reinterpret_cast<volatile char *>(st.lo - 1) = 1; });
	ASSERT_NE(status, -1);
	EXPECT_TRUE(WIFSIGNALED(status)) << "child exited normally with status " << WEXITSTATUS(status);
	if (WIFSIGNALED(status)) {
		EXPECT_EQ(WTERMSIG(status), SIGSEGV);
	}

	// The bottom of the guard, and a read rather than a write.
	status = in_child([&] {
		volatile char c = *reinterpret_cast<volatile char *>(st.map);
		(void)c;
	});
	ASSERT_NE(status, -1);
	EXPECT_TRUE(WIFSIGNALED(status));
	if (WIFSIGNALED(status)) {
		EXPECT_EQ(WTERMSIG(status), SIGSEGV);
	}

	// lo itself is usable in the child as in the parent.
	status = in_child([&] { *reinterpret_cast<volatile char *>(st.lo) = 1; });
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	mn_stack_free(&st);
}

TEST(Stack, ManyStacksFewMappings)
{
	constexpr int kStacks = 20000;
	struct mn_stack_req req = {64 * kKiB, mn_pagesize, nullptr, 0};
	std::vector<struct mn_stack> st(kStacks);
	// The guard kind is only known once a guard has been installed.
	ASSERT_EQ(mn_stack_alloc(&st[0], &req, mn_pagesize), 0);
	if (std::string(mn_stack_guardkind()) == "mprotect") {
		mn_stack_free(&st[0]);
		GTEST_SKIP() << "kernel lacks MADV_GUARD_INSTALL: mprotect guards split every mapping";
	}
	ASSERT_STREQ(mn_stack_guardkind(), "madvise");
	size_t before = count_maps();
	for (int i = 1; i < kStacks; i++)
		ASSERT_EQ(mn_stack_alloc(&st[i], &req, mn_pagesize), 0) << "stack " << i;
	size_t during = count_maps();
	RecordProperty("maps_before", int(before));
	RecordProperty("maps_during", int(during));
	EXPECT_STREQ(mn_stack_guardkind(), "madvise") << "fell back to mprotect half way";
	EXPECT_LT(during, before + kStacks / 20)
		<< "maps grew from " << before << " to " << during << " for " << kStacks << " stacks";
	// Spot-check that guards are still in place after the kernel merged the mappings.
	int status = in_child([&] { *reinterpret_cast<volatile char *>(st[kStacks / 2].lo - 1) = 1; });
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	for (int i = 0; i < kStacks; i++)
		mn_stack_free(&st[i]);
	EXPECT_LE(count_maps(), before + 2);
}

TEST(Stack, UserStackKeepsBounds)
{
	const size_t usersize = 128 * kKiB;
	void *user = mmap(nullptr, usersize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(user, MAP_FAILED);
	const size_t header = 5000;
	struct mn_stack_req req = {0, mn_pagesize, user, usersize};
	struct mn_stack st;
	ASSERT_EQ(mn_stack_alloc(&st, &req, header), 0);
	EXPECT_TRUE(st.user);
	EXPECT_EQ(st.lo, uintptr_t(user));
	EXPECT_EQ(st.hi, uintptr_t(user) + usersize);
	EXPECT_EQ(st.guardsize, 0u);
	EXPECT_EQ(st.reqsize, 0u);
	// The mapping is just the header, apart from the user's memory.
	EXPECT_EQ(st.mapsize, (header + mn_pagesize - 1) & ~(mn_pagesize - 1));
	uintptr_t m = uintptr_t(st.map);
	EXPECT_TRUE(m + st.mapsize <= st.lo || m >= st.hi) << "header overlaps the user stack";
	memset(st.map, 0x11, header);
	mn_stack_free(&st);
	// Freeing leaves the user's memory mapped and intact.
	memset(user, 0x22, usersize);
	EXPECT_EQ(static_cast<unsigned char *>(user)[usersize - 1], 0x22);
	munmap(user, usersize);
}
