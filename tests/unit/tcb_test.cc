// tests/unit/tcb_test.cc: glibc thread control blocks for Gs (sched/tcb.c).
// A TCB here is created at the top of an mmap'd region, as gfree.c does at
// the top of a G's mapping; the test never switches fs onto it, it only
// reads and writes the new TCB's copies of TLS variables through offsets
// measured on the running thread.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <malloc.h>
#include <sys/mman.h>

extern "C" {
#include "sched/tcb.h"
}

// Lives in the executable's static TLS block; its initial image is 1234.
static __thread int tls_probe = 1234;
// Zero-initialised (.tbss): must come out zeroed in a new TCB.
static __thread long tls_zero_probe;

namespace {

constexpr size_t kKiB = 1024;

uintptr_t thread_pointer()
{
	uintptr_t tp;
	__asm__ volatile("movq %%fs:0, %0" : "=r"(tp));  // tcbhead_t.tcb: the TCB's own address
	return tp;
}

// Offset of a TLS variable of the running thread from its thread pointer;
// the same offset locates that variable's copy in any other TCB.
template <typename T> intptr_t tls_offset(T *var)
{
	return intptr_t(reinterpret_cast<uintptr_t>(var) - thread_pointer());
}

template <typename T> T *tls_in(uintptr_t tcb, T *var)
{
	return reinterpret_cast<T *>(tcb + tls_offset(var));
}

// An mmap'd region of header bytes + 64 KiB with a TCB at its top.
class Region {
public:
	Region()
	{
		size_ = mn_tcb_header_bytes() + 64 * kKiB;
		void *m = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		map_ = m == MAP_FAILED ? nullptr : m;
	}
	~Region()
	{
		if (tcb_)
			mn_tcb_destroy(tcb_);
		if (map_)
			munmap(map_, size_);
	}
	Region(const Region &) = delete;
	Region &operator=(const Region &) = delete;

	uintptr_t base() const { return uintptr_t(map_); }
	uintptr_t top() const { return uintptr_t(map_) + size_; }
	uintptr_t create()
	{
		tcb_ = map_ ? mn_tcb_create(top()) : 0;
		return tcb_;
	}

private:
	void *map_ = nullptr;
	size_t size_ = 0;
	uintptr_t tcb_ = 0;
};

void init_tcb()
{
	static const char *why = mn_tcb_init();
	ASSERT_EQ(why, nullptr) << why;
}

}  // namespace

TEST(Tcb, InitAcceptsThisGlibc)
{
	const char *why = mn_tcb_init();
	EXPECT_EQ(why, nullptr) << why;
	EXPECT_EQ(mn_tcbinfo.tcb_size, 2368u) << "sizeof(struct pthread), glibc 2.34-2.36 x86_64";
	EXPECT_GT(mn_tcbinfo.static_size, mn_tcbinfo.tcb_size);
	EXPECT_GE(mn_tcbinfo.static_align, 64u);
	EXPECT_EQ(mn_tcbinfo.static_align & (mn_tcbinfo.static_align - 1), 0u);
	EXPECT_GE(mn_tcb_header_bytes(), mn_tcbinfo.static_size);
}

TEST(Tcb, CreateInitialisesTls)
{
	ASSERT_NO_FATAL_FAILURE(init_tcb());
	tls_probe = 4321;  // this thread's copy only
	tls_zero_probe = 77;
	Region r;
	uintptr_t tcb = r.create();
	ASSERT_NE(tcb, 0u);
	// The TCB is at the top, aligned, and the static TLS below it fits.
	EXPECT_LE(tcb + mn_tcbinfo.tcb_size, r.top());
	EXPECT_EQ(tcb % mn_tcbinfo.static_align, 0u);
	EXPECT_GE(tcb - (mn_tcbinfo.static_size - mn_tcbinfo.tcb_size), r.base());
	// The probes' copies live inside the region, below the TCB.
	uintptr_t probe = reinterpret_cast<uintptr_t>(tls_in(tcb, &tls_probe));
	EXPECT_GE(probe, r.base());
	EXPECT_LT(probe, tcb);
	EXPECT_EQ(*tls_in(tcb, &tls_probe), 1234) << "initial image, not the creating thread's value";
	EXPECT_EQ(*tls_in(tcb, &tls_zero_probe), 0);
	EXPECT_NE(*reinterpret_cast<uintptr_t *>(tcb + 8), 0u) << "no DTV installed";
	EXPECT_EQ(tls_probe, 4321) << "creating a TCB touched the caller's TLS";
	EXPECT_EQ(tls_zero_probe, 77);
	tls_probe = 1234;
	tls_zero_probe = 0;
}

TEST(Tcb, TwoTcbsAreIndependent)
{
	ASSERT_NO_FATAL_FAILURE(init_tcb());
	Region a, b;
	uintptr_t ta = a.create(), tb = b.create();
	ASSERT_NE(ta, 0u);
	ASSERT_NE(tb, 0u);
	*tls_in(ta, &tls_probe) = 1;
	*tls_in(tb, &tls_probe) = 2;
	EXPECT_EQ(*tls_in(ta, &tls_probe), 1);
	EXPECT_EQ(*tls_in(tb, &tls_probe), 2);
	EXPECT_EQ(tls_probe, 1234);
	EXPECT_NE(*reinterpret_cast<uintptr_t *>(ta + 8), *reinterpret_cast<uintptr_t *>(tb + 8))
		<< "two TCBs share a DTV";
}

TEST(Tcb, RecycleReinitialisesTls)
{
	ASSERT_NO_FATAL_FAILURE(init_tcb());
	Region r;
	uintptr_t tcb = r.create();
	ASSERT_NE(tcb, 0u);
	*tls_in(tcb, &tls_probe) = 99;
	*tls_in(tcb, &tls_zero_probe) = 5;
	mn_tcb_recycle(tcb);
	EXPECT_EQ(*tls_in(tcb, &tls_probe), 1234);
	EXPECT_EQ(*tls_in(tcb, &tls_zero_probe), 0);
	EXPECT_NE(*reinterpret_cast<uintptr_t *>(tcb + 8), 0u);
	EXPECT_EQ(tls_probe, 1234) << "recycling touched the caller's TLS";
}

TEST(Tcb, RecycleKeepsLibcBlock)
{
	// errno is an initial-exec TLS variable of libc.so, so it lies in libc's
	// static TLS block, which recycling must carry over (malloc's tcache
	// pointer and arena live there too) while everything else is reset.
	ASSERT_NO_FATAL_FAILURE(init_tcb());
	Region r;
	uintptr_t tcb = r.create();
	ASSERT_NE(tcb, 0u);
	int *err = tls_in(tcb, __errno_location());
	EXPECT_GE(reinterpret_cast<uintptr_t>(err), r.base());
	EXPECT_LT(reinterpret_cast<uintptr_t>(err), tcb);
	EXPECT_EQ(*err, 0) << "a new TCB's errno";
	*err = 77;
	*tls_in(tcb, &tls_probe) = 99;
	mn_tcb_recycle(tcb);
	EXPECT_EQ(*err, 77) << "libc's block was re-initialised";
	EXPECT_EQ(*tls_in(tcb, &tls_probe), 1234);
}

TEST(Tcb, RecycleIsLeakFree)
{
	ASSERT_NO_FATAL_FAILURE(init_tcb());
	Region r;
	uintptr_t tcb = r.create();
	ASSERT_NE(tcb, 0u);
	mn_tcb_recycle(tcb);  // let any one-time allocation happen first
	size_t before = mallinfo2().uordblks;
	for (int i = 0; i < 200000; i++) {
		*tls_in(tcb, &tls_probe) = i;
		mn_tcb_recycle(tcb);
	}
	size_t after = mallinfo2().uordblks;
	EXPECT_LE(after, before + 64 * kKiB) << "malloc'd bytes grew from " << before << " to " << after;
	EXPECT_EQ(*tls_in(tcb, &tls_probe), 1234);
}

TEST(Tcb, CreateDestroyIsLeakFree)
{
	ASSERT_NO_FATAL_FAILURE(init_tcb());
	size_t size = mn_tcb_header_bytes() + 64 * kKiB;
	void *m = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(m, MAP_FAILED);
	uintptr_t top = uintptr_t(m) + size;
	mn_tcb_destroy(mn_tcb_create(top));
	size_t before = mallinfo2().uordblks;
	for (int i = 0; i < 20000; i++) {
		uintptr_t tcb = mn_tcb_create(top);
		ASSERT_NE(tcb, 0u);
		mn_tcb_destroy(tcb);
	}
	size_t after = mallinfo2().uordblks;
	EXPECT_LE(after, before + 64 * kKiB) << "malloc'd bytes grew from " << before << " to " << after;
	munmap(m, size);
}
