/* preload/init.c: start-up.  The constructor resolves the next
 * definitions and initialises the runtime on the main thread; our
 * __libc_start_main wraps main so that pthread_exit from main unwinds to
 * us (shims/thread.c: mn_thread_main). */
#include "preload/preload.h"

void mn_preload_resolve(void)
{
	if (mn_libc.pthread_create)
		return;
	mn_libc.pthread_join = dlsym(RTLD_NEXT, "pthread_join");
	mn_libc.pthread_detach = dlsym(RTLD_NEXT, "pthread_detach");
	mn_libc.pthread_exit = dlsym(RTLD_NEXT, "pthread_exit");
	mn_libc.sched_yield = dlsym(RTLD_NEXT, "sched_yield");
	mn_libc.pthread_getattr_np = dlsym(RTLD_NEXT, "pthread_getattr_np");
	mn_libc.sigaction = dlsym(RTLD_NEXT, "sigaction");
	mn_libc.pthread_create = dlsym(RTLD_NEXT, "pthread_create");
}

__attribute__((constructor(101))) static void mn_preload_init(void)
{
	mn_preload_resolve();
	mn_shim_init();
}

typedef int (*main_fn)(int, char **, char **);
typedef int (*start_main_fn)(main_fn, int, char **, void (*)(void), void (*)(void),
			     void (*)(void), void *);
static main_fn app_main;

static int main_wrapper(int argc, char **argv, char **envp)
{
	return mn_thread_main(app_main, argc, argv, envp);
}

MN_EXPORT int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
				void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
	start_main_fn real = (start_main_fn)dlsym(RTLD_NEXT, "__libc_start_main");
	app_main = main;
	return real(main_wrapper, argc, argv, init, fini, rtld_fini, stack_end);
}
