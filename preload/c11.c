/* preload/c11.c: the C11 <threads.h> thread family.  glibc implements it
 * with internal calls that no interposer sees, so each is interposed here
 * and mapped onto the pthread shims; results use glibc's error map. */
#include <threads.h>
#include <stdint.h>
#include "preload/preload.h"


MN_EXPORT int thrd_create(thrd_t *thr, thrd_start_t func, void *arg)
{
	if (!mn_preload_start())
		return REAL(thrd_create)(thr, func, arg);
	pthread_t t;
	int e = mn_thread_create_int(&t, func, arg);
	if (e == 0)
		*thr = (thrd_t)t;
	return mn_c11_err(-e);
}

MN_EXPORT int thrd_join(thrd_t thr, int *res)
{
	if (!mn_shim_active() || !mn_thread_is_g((pthread_t)thr))
		return REAL(thrd_join)(thr, res);
	void *r;
	int e = mn_thread_join((pthread_t)thr, &r);
	if (e == 0 && res)
		*res = (int)(intptr_t)r;
	return mn_c11_err(-e);
}

MN_EXPORT int thrd_detach(thrd_t thr)
{
	if (!mn_shim_active() || !mn_thread_is_g((pthread_t)thr))
		return REAL(thrd_detach)(thr);
	return mn_c11_err(-mn_thread_detach((pthread_t)thr));
}

MN_EXPORT _Noreturn void thrd_exit(int res)
{
	pthread_exit((void *)(intptr_t)res);
}

MN_EXPORT void thrd_yield(void)
{
	sched_yield();
}

MN_EXPORT int thrd_sleep(const struct timespec *req, struct timespec *rem)
{
	if (!mn_sleep_is_g())
		return REAL(thrd_sleep)(req, rem);
	int r = mn_sleep_rel(CLOCK_REALTIME, req, rem);
	return r == 0 ? 0 : r == -EINTR ? -1 : -2;
}

MN_EXPORT void call_once(once_flag *flag, void (*func)(void))
{
	_Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag");
	pthread_once((pthread_once_t *)(void *)flag, func);
}
