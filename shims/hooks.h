/* shims/hooks.h: glibc's own functions, for the objects and threads that
 * stay glibc's (process-shared and robust mutexes, shared condvars, the
 * main thread's stack, threads that are not Gs).  Shims must not call
 * these names directly: they are our interposers.  preload/ fills the
 * struct with the next definitions at start-up (preload/real.c), before
 * the runtime is active.  Immutable after that.  Each returns glibc's
 * answer, 0 or a positive error number: a shim negates it where it takes
 * it (our own functions return 0 or -errno). */
#ifndef MN_SHIMS_HOOKS_H
#define MN_SHIMS_HOOKS_H
#include <pthread.h>
#include <time.h>

struct mn_glibc_hooks {
	int (*mutex_init)(pthread_mutex_t *, const pthread_mutexattr_t *);
	int (*mutex_lock)(pthread_mutex_t *);
	int (*mutex_trylock)(pthread_mutex_t *);
	int (*mutex_unlock)(pthread_mutex_t *);
	int (*mutex_clocklock)(pthread_mutex_t *, clockid_t, const struct timespec *);
	int (*cond_wait)(pthread_cond_t *, pthread_mutex_t *);
	int (*cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *);
	int (*cond_signal)(pthread_cond_t *);
	int (*cond_broadcast)(pthread_cond_t *);
	int (*cond_destroy)(pthread_cond_t *);
	int (*getattr_np)(pthread_t, pthread_attr_t *);
	int (*getschedparam)(pthread_t, int *, struct sched_param *);
	int (*cancel)(pthread_t);
};
extern struct mn_glibc_hooks mn_glibc __attribute__((visibility("hidden")));
#endif
