/* preload/init.c: start-up.  The constructor resolves the next
 * definitions and initialises the runtime on the main thread; our
 * __libc_start_main wraps main so that pthread_exit from main unwinds to
 * us (shims/start.c: mn_thread_main). */
#include "preload/preload.h"

__attribute__((constructor(101))) static void mn_preload_init(void)
{
	mn_real_resolve();
	mn_shim_init();
}

typedef int (*main_fn)(int, char **, char **);
static main_fn app_main;

static int main_wrapper(int argc, char **argv, char **envp)
{
	return mn_thread_main(app_main, argc, argv, envp);
}

MN_EXPORT int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
				void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
	app_main = main;
	return REAL(__libc_start_main)(main_wrapper, argc, argv, init, fini, rtld_fini, stack_end);
}
