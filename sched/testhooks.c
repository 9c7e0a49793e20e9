/* sched/testhooks.c: hooks for the gtest unit tests (tests/unit/), built
 * only into libmnsched_test.la (MN_TEST).  C++ cannot include runtime.h
 * (C11 atomics), so the tests see structs through these. */
#include "runtime.h"
#include <string.h>

#if defined(MN_TEST) && MN_TEST
size_t mn_test_sizeof_p(void) { return sizeof(struct p); }
size_t mn_test_sizeof_g(void) { return sizeof(struct g); }

void mn_test_sched_reset(int nprocs)
{
	memset(&mn_sched, 0, sizeof mn_sched);
	mn_sched.nprocs = nprocs;
}

int mn_test_globrunq_size(void)
{
	return atomic_load(&mn_sched.runqsize);
}

struct g *mn_test_globrunq_pop(void)
{
	mn_lock(&mn_sched.lock);
	struct g *gp = mn_sched.runqhead;
	if (gp) {
		mn_sched.runqhead = gp->schedlink;
		if (!mn_sched.runqhead)
			mn_sched.runqtail = NULL;
		atomic_fetch_sub(&mn_sched.runqsize, 1);
	}
	mn_unlock(&mn_sched.lock);
	return gp;
}
#endif
