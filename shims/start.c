/* shims/start.c: start-up of the runtime under the interposers, and
 * whether they use it (mn_shim_active); our main wrapper.
 *
 * Start-up and re-entry.  Initialising the runtime calls malloc (through
 * calloc, dlopen and ld.so's TLS allocation), and an allocator preloaded or
 * linked beside us (jemalloc, tcmalloc, mimalloc) calls pthread_mutex_lock,
 * pthread_once or nanosleep from inside malloc, maybe holding a lock of its
 * own.  So:
 *  - only our constructor, the thread-creating interposers and our main
 *    wrapper start the runtime (mn_shim_start); every other interposer
 *    called before that runs glibc's function (there are no Gs yet);
 *  - a call nested inside the initialisation, on the initialising thread,
 *    runs glibc's function: the runtime is half made, and waiting for it
 *    would wait for ourselves;
 *  - another thread waits until the runtime is whole.
 * Objects a nested call touches stay valid for us afterwards: a mutex's
 * lock word and owner are glibc's (shims/layout.h), and a once word keeps
 * glibc's encoding (shims/once.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include "shims/start.h"
#include "shims/thread.h"
#include "shims/sigmask.h"
#include "sched/runtime.h"
#include "sched/proc.h"
#include "sched/gsig.h"
#include "sched/fork.h"
#include "sched/tcb.h"
#include "sched/sys.h"
#include "shims/poison.h" /* last */

_Atomic int mn_init_state; /* 0 none, 1 running, 2 active, 3 refused (1:1) */
#define init_state mn_init_state
/* The kernel tid of the thread running mn_shim_init while init_state is 1
 * (written before the state leaves 0, read only by that thread's nested
 * calls and by waiters that compare it with their own tid). */
static _Atomic long init_tid;

/* A forked child has only the forking thread: the runtime forgets the
 * parent's other Ms and threads (sched/fork.c) and goes on around it. */
static void fork_child(void)
{
	if (atomic_load_explicit(&init_state, memory_order_acquire) == 2)
		mn_fork_child();
}

/* Idempotent; any thread (see the top of this file). */
void mn_shim_init(void)
{
	int z = 0;
	if (atomic_load_explicit(&init_state, memory_order_acquire) >= 2)
		return;
	long self = mn_sys3(SYS_gettid, 0, 0, 0);
	if (atomic_load_explicit(&init_tid, memory_order_relaxed) == self)
		return; /* nested inside our own initialisation */
	if (!atomic_compare_exchange_strong(&init_state, &z, 1)) {
		while (atomic_load_explicit(&init_state, memory_order_acquire) < 2)
			mn_sys3(SYS_sched_yield, 0, 0, 0);
		return;
	}
	atomic_store_explicit(&init_tid, self, memory_order_relaxed);
	if (mn_schedinit() != 0) {
		atomic_store_explicit(&init_tid, 0, memory_order_relaxed);
		atomic_store_explicit(&init_state, 3, memory_order_release);
		return;
	}
	mn_thread_main_name_init();
	int init_pid = (int)mn_sys3(SYS_getpid, 0, 0, 0);
	/* The main thread becomes the main G, on M0.  Initialised from
	 * another thread (a library's helper thread), main stays foreign. */
	if (self == init_pid) {
		struct g *gp = mn_main_attach();
		mn_sig_main_init(gp);
	}
	pthread_atfork(NULL, NULL, fork_child);
	atomic_store_explicit(&init_tid, 0, memory_order_relaxed);
	atomic_store_explicit(&init_state, 2, memory_order_release);
}

/* Not yet active: before start-up has begun, or nested inside it on the
 * initialising thread, glibc's function runs; another thread waits for
 * the runtime to be whole. */
bool mn_shim_active_slow(void)
{
	int s = atomic_load_explicit(&init_state, memory_order_acquire);
	if (s == 1) {
		if (atomic_load_explicit(&init_tid, memory_order_relaxed) == mn_sys3(SYS_gettid, 0, 0, 0))
			return false;
		while ((s = atomic_load_explicit(&init_state, memory_order_acquire)) == 1)
			mn_sys3(SYS_sched_yield, 0, 0, 0);
	}
	if (s != 2)
		return false;
	return !mn_tls_vfork_child;
}

bool mn_shim_start(void)
{
	if (atomic_load_explicit(&init_state, memory_order_acquire) == 0)
		mn_shim_init();
	return mn_shim_active();
}

static int (*user_main)(int, char **, char **);

int mn_thread_main(int (*main)(int, char **, char **), int argc, char **argv, char **envp)
{
	mn_shim_init();
	struct g *gp = mn_getg();
	if (atomic_load(&init_state) != 2 || gp == NULL || !(gp->flags & G_MAIN))
		return main(argc, argv, envp);
	user_main = main;
	__pthread_unwind_buf_t ub;
	memset(&ub, 0, sizeof ub);
	void **jb = mn_tcb_field(gp->tcb, TCBF_CLEANUP_JMP_BUF);
	void *prev = *jb;
	/* The unwind buffer holds only the jmp_buf prefix _setjmp uses (it
	 * never saves the signal mask), exactly as glibc's start_thread. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
	int first = _setjmp((struct __jmp_buf_tag *)(void *)ub.__cancel_jmp_buf) == 0;
#pragma GCC diagnostic pop
	if (first) {
		*jb = &ub;
		int r = user_main(argc, argv, envp);
		*jb = prev;
		exit(r);
	}
	/* main called pthread_exit: glibc unwound it to here.  Run the main
	 * thread's key destructors, as glibc does, and let the process live
	 * on until the last thread exits. */
	*jb = prev;
	mn_tcb_run_key_destructors(gp->tcb);
	mn_main_exited();
}

