/* shims/sleep.c: nanosleep and friends park the G on a timer instead of
 * blocking the M.  Clocks other than CLOCK_REALTIME/MONOTONIC/BOOTTIME
 * (CPU-time clocks) keep glibc's blocking call.
 * TODO(signals capability): EINTR when a signal handler runs on the G.
 * TODO: an absolute CLOCK_REALTIME sleep does not follow clock jumps made
 * during the sleep (the deadline is converted once). */
#include <errno.h>
#include "shims/sleep.h"
#include "sched/gsig.h"
#include "shims/start.h"
#include "sched/runtime.h"
#include "sched/cancel.h"
#include "sched/park.h"
#include "sched/proc.h"
#include "sched/sys.h"
#include "sched/tcb.h"
#include "shims/poison.h" /* last */

bool mn_sleep_is_g(void)
{
	return mn_shim_active() && mn_is_g();
}

static bool clock_ok(clockid_t c)
{
	return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC || c == CLOCK_BOOTTIME;
}

/* The sleeps are cancellation points: a request pending or made during
 * the sleep is acted on (with cancellation disabled, the sleep goes on). */
static int park_until(int64_t deadline, struct timespec *rem)
{
	bool cancellable = mn_cancel_point();
	while (mn_nanotime() < deadline) {
		if (!cancellable) {
			mn_gopark_until(NULL, NULL, deadline, NULL, "sleep");
		} else if (!mn_gopark_cancel(NULL, NULL, deadline, NULL, "sleep")) {
			if (mn_tcb_self_cancel_pending()) {
				mn_cancel_act();
				cancellable = false;
			} else if (mn_gsig_deliver()) {
				/* A handler ran: the sleep ends with EINTR and the
				 * time left, whatever SA_RESTART says. */
				if (rem) {
					int64_t left = deadline - mn_nanotime();
					if (left < 0)
						left = 0;
					rem->tv_sec = left / 1000000000;
					rem->tv_nsec = left % 1000000000;
				}
				return -EINTR;
			}
		}
	}
	return 0;
}

int mn_sleep_rel(clockid_t clock, const struct timespec *req, struct timespec *rem)
{
	if (req->tv_nsec < 0 || req->tv_nsec >= 1000000000 || req->tv_sec < 0)
		return -EINVAL;
	if (!clock_ok(clock))
		return -EOPNOTSUPP;
	int64_t max = INT64_MAX / 4;
	int64_t ns = req->tv_sec > max / 1000000000 ? max : req->tv_sec * 1000000000 + req->tv_nsec;
	if (ns == 0) {
		mn_cancel_point();
		mn_gosched();
		return 0;
	}
	return park_until(mn_nanotime() + ns, rem);
}

int mn_sleep_abs(clockid_t clock, const struct timespec *abs)
{
	if (abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000)
		return -EINVAL;
	if (!clock_ok(clock))
		return -EOPNOTSUPP;
	struct timespec now;
	mn_clock_gettime(clock, &now);
	int64_t rel = (int64_t)(abs->tv_sec - now.tv_sec) * 1000000000 + (abs->tv_nsec - now.tv_nsec);
	if (rel <= 0) {
		mn_cancel_point();
		return 0;
	}
	return park_until(mn_nanotime() + rel, NULL);
}

int mn_abs_to_deadline(clockid_t clock, const struct timespec *abs, int64_t *out)
{
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
		return -EINVAL;
	if (abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000)
		return -EINVAL;
	if (abs->tv_sec < 0) {
		*out = 1;
		return 0;
	}
	struct timespec now;
	mn_clock_gettime(clock, &now);
	int64_t dsec = (int64_t)abs->tv_sec - now.tv_sec;
	const int64_t cap = 100LL * 365 * 86400; /* a century: "forever" without overflow */
	if (dsec > cap)
		dsec = cap;
	int64_t rel = dsec * 1000000000 + (abs->tv_nsec - now.tv_nsec);
	*out = rel <= 0 ? 1 : mn_nanotime() + rel;
	return 0;
}
