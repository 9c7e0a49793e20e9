/* thread_kstate: kernel state a thread cannot give back stays its own.
 *
 * One thread at a time changes something of its own OS thread that
 * cannot be undone, while WATCHERS other threads run beside it, yielding;
 * every thread reads its own value of it again and again:
 *  - prctl(PR_SET_NO_NEW_PRIVS, 1): the setter reads 1, everyone else 0;
 *  - unshare(CLONE_FS), then chdir("/"): the setter's getcwd is "/",
 *    everyone else's the directory the program started in;
 *  - prctl(PR_SET_KEEPCAPS, 1): the setter 1, others 0;
 *  - syscall(SYS_prctl, PR_SET_TIMERSLACK, 123456): the setter reads
 *    123456 back, others the slack they started with.
 * After the setter has ended, LATER fresh threads each read the untouched
 * value (an OS thread reused with the setter's state would show it), and
 * so does main.  capget with the caller's own gettid() works.  Under
 * mnthread (MN_COMPAT_UNDER set), ten more threads that each unshare
 * CLONE_FS and end must not leave their OS threads behind: the count of
 * /proc/self/task grows by at most 3 (stderr has the numbers).
 *
 * Expects: the same stdout natively and under mnthread; exit 0.
 */
#include <dirent.h>
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include "compat.h"

#define WATCHERS 3
#define ROUNDS 2000
#define LATER 20

enum what { NNP, CWD, KEEPCAPS, SLACK, NWHAT };
static const char *const names[NWHAT] = { "no_new_privs", "unshare(CLONE_FS)+chdir", "keepcaps", "timerslack" };

static char start_dir[PATH_MAX];
static long start_slack;
static atomic_int setter_done;

/* 1 when this thread sees the changed value, 0 when the original, -1
 * for anything else. */
static int seen(enum what w)
{
	switch (w) {
	case NNP: {
		int v = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
		return v == 1 ? 1 : v == 0 ? 0 : -1;
	}
	case CWD: {
		char b[PATH_MAX];
		if (!getcwd(b, sizeof b))
			return -1;
		return strcmp(b, "/") == 0 ? 1 : strcmp(b, start_dir) == 0 ? 0 : -1;
	}
	case KEEPCAPS: {
		int v = prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0);
		return v == 1 ? 1 : v == 0 ? 0 : -1;
	}
	case SLACK: {
		long v = syscall(SYS_prctl, PR_GET_TIMERSLACK, 0, 0, 0, 0);
		return v == 123456 ? 1 : v == start_slack ? 0 : -1;
	}
	default:
		return -1;
	}
}

static int change(enum what w)
{
	switch (w) {
	case NNP: return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	case CWD: return unshare(CLONE_FS) == 0 ? chdir("/") : -1;
	case KEEPCAPS: return prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	case SLACK: return (int)syscall(SYS_prctl, PR_SET_TIMERSLACK, 123456, 0, 0, 0);
	default: return -1;
	}
}

struct job {
	enum what w;
	long own_bad;    /* the setter: reads that were not 1 */
	long other_bad;  /* watchers: reads that were not 0 */
	int rc;
};

static void *setter(void *arg)
{
	struct job *j = arg;
	j->rc = change(j->w);
	for (int i = 0; i < ROUNDS; i++) {
		if (seen(j->w) != 1)
			j->own_bad++;
		sched_yield();
	}
	atomic_store(&setter_done, 1);
	return NULL;
}

static void *watcher(void *arg)
{
	struct job *j = arg;
	long bad = 0;
	while (!atomic_load(&setter_done)) {
		if (seen(j->w) != 0)
			bad++;
		sched_yield();
	}
	__atomic_fetch_add(&j->other_bad, bad, __ATOMIC_RELAXED);
	return NULL;
}

static void *later(void *arg)
{
	struct job *j = arg;
	if (seen(j->w) != 0)
		__atomic_fetch_add(&j->other_bad, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void *unshares(void *arg)
{
	(void)arg;
	if (unshare(CLONE_FS) != 0)
		perror("unshare");
	return NULL;
}

static int count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	must(getcwd(start_dir, sizeof start_dir) ? 0 : -1, "getcwd");
	if (strcmp(start_dir, "/") == 0) {
		printf("skipped: run from a directory other than /\n");
		return 77;
	}
	start_slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	for (int w = 0; w < NWHAT; w++) {
		struct job j = { .w = (enum what)w };
		atomic_store(&setter_done, 0);
		pthread_t s, ws[WATCHERS];
		for (int i = 0; i < WATCHERS; i++)
			must(pthread_create(&ws[i], NULL, watcher, &j), "create");
		must(pthread_create(&s, NULL, setter, &j), "create");
		must(pthread_join(s, NULL), "join");
		for (int i = 0; i < WATCHERS; i++)
			must(pthread_join(ws[i], NULL), "join");
		printf("%s: the call %s; the setter saw its own value throughout: %s; the others never saw it: %s\n",
		       names[w], j.rc == 0 ? "succeeded" : "failed", j.own_bad == 0 ? "yes" : "no",
		       j.other_bad == 0 ? "yes" : "no");
		if (j.own_bad || j.other_bad)
			fprintf(stderr, "thread_kstate: %s: setter bad %ld, others bad %ld\n", names[w], j.own_bad,
				j.other_bad);
		j.other_bad = 0;
		pthread_t l[LATER];
		for (int i = 0; i < LATER; i++)
			must(pthread_create(&l[i], NULL, later, &j), "create");
		for (int i = 0; i < LATER; i++)
			must(pthread_join(l[i], NULL), "join");
		printf("%s: %d threads made afterwards and main see the original: %s\n", names[w], LATER,
		       j.other_bad == 0 && seen(j.w) == 0 ? "yes" : "no");
	}

	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, (int)gettid() };
	struct __user_cap_data_struct d[2];
	int me = (int)gettid();
	printf("capget(own gettid): %s, header's pid kept: %s\n", syscall(SYS_capget, &h, d) == 0 ? "ok" : strerror(errno),
	       h.pid == me ? "yes" : "no");

	int before = count_tasks();
	for (int i = 0; i < 10; i++) {
		pthread_t t;
		must(pthread_create(&t, NULL, unshares, NULL), "create");
		must(pthread_join(t, NULL), "join");
	}
	sleep_ms(100); /* exiting OS threads leave /proc a moment later */
	int after = count_tasks();
	fprintf(stderr, "thread_kstate: OS threads before %d, after ten threads that unshared: %d\n", before, after);
	int under = getenv("MN_COMPAT_UNDER") != NULL;
	printf("OS threads left behind by threads that unshared: %s\n",
	       !under || (after >= 0 && after <= before + 3) ? "none" : "some");
	return 0;
}
