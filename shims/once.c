/* shims/once.c: pthread_once that parks waiting Gs.
 * The word keeps glibc's encoding for the states we use: 0 not run (the
 * static initialiser), 1 running, 2 done.  An init routine left by an
 * unwind (its thread cancelled in it, or a C++ exception) leaves the word
 * at 0 again and wakes the waiters, one of which runs it then, as in glibc
 * (the library is built with -fexceptions, so the cleanup runs for both). */
#include <limits.h>
#include "shims/thread.h"
#include "sched/sema.h"
#include "shims/poison.h" /* last */

enum { ONCE_INIT = 0, ONCE_RUNNING = 1, ONCE_DONE = 2 };

static bool still_running(const void *addr, void *arg)
{
	return atomic_load_explicit((_Atomic int *)addr, memory_order_acquire) == ONCE_RUNNING;
}

/* The cleanup of the running init's frame: *wp is NULL once it returned. */
static void abandoned(_Atomic int **wp)
{
	if (*wp) {
		atomic_store_explicit(*wp, ONCE_INIT, memory_order_release);
		mn_sema_wake(*wp, INT_MAX);
	}
}

int mn_once(pthread_once_t *once, void (*init)(void))
{
	_Atomic int *w = (_Atomic int *)(void *)once;
	for (;;) {
		/* acquire: pairs with the release store of ONCE_DONE */
		int v = atomic_load_explicit(w, memory_order_acquire);
		if (v == ONCE_DONE)
			return 0;
		if (v == ONCE_INIT) {
			if (!atomic_compare_exchange_strong_explicit(w, &v, ONCE_RUNNING, memory_order_acquire,
								     memory_order_acquire))
				continue;
			{
				_Atomic int *running __attribute__((cleanup(abandoned))) = w;
				init();
				running = NULL;
			}
			atomic_store_explicit(w, ONCE_DONE, memory_order_release);
			mn_sema_wake(w, INT_MAX);
			return 0;
		}
		mn_sema_park(w, still_running, NULL, 0, MN_SEMA_WHY(MN_WHY_ONCE));
	}
}
