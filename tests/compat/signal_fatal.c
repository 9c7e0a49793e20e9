/* signal_fatal: SIGSEGV and SIGBUS keep the program's dispositions.
 *
 * The runtime keeps a handler of its own for SIGSEGV and SIGBUS (the
 * stack-overflow report); the program must not notice it:
 *  - a signal the program sends itself (raise, kill, pthread_kill, tgkill)
 *    with the default disposition kills it with that signal, from main and
 *    from a thread;
 *  - a real fault (a null write) kills it the same way;
 *  - sigaction(sig, NULL, &old) reports what the program installed (the
 *    default at first, then its handler, its flags and its mask);
 *  - the program's handler runs with the mask it asked for (sa_mask, plus
 *    the signal unless SA_NODEFER), SA_RESETHAND resets it to the
 *    default, SA_SIGINFO gets si_signo and si_code, signal() returns the
 *    previous handler;
 *  - SIG_IGN ignores a sent signal, but a fault still kills;
 *  - a handler that siglongjmps out of a real fault recovers, in a thread.
 * Each case runs in a child with core dumps off; the parent prints how the
 * child ended ("killed by SIGSEGV", "exit 0").
 */
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "compat.h"

static volatile int *volatile nullp;
static volatile sig_atomic_t hits;
static sigjmp_buf recover;

typedef void (*how_fn)(int sig);

static void by_raise(int sig) { raise(sig); }
static void by_kill(int sig) { kill(getpid(), sig); }
static void by_pthread_kill(int sig) { pthread_kill(pthread_self(), sig); }
static void by_tgkill(int sig) { syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig); }
static void by_fault(int sig) { (void)sig; *nullp = 1; }

struct job {
	how_fn how;
	int sig;
};

static void *thread_job(void *arg)
{
	struct job *j = arg;
	j->how(j->sig);
	return NULL;
}

/* Run how(sig) in a child (from main, or from a thread when in_thread),
 * after setup(); print how the child ended. */
static void child_case(const char *what, void (*setup)(void), how_fn how, int sig, bool in_thread)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit nocore = {0, 0};
		setrlimit(RLIMIT_CORE, &nocore);
		if (setup)
			setup();
		if (in_thread) {
			struct job j = {how, sig};
			pthread_t t = spawn(thread_job, &j);
			pthread_join(t, NULL);
		} else {
			how(sig);
		}
		printf("  %s: child went on after the signal\n", what);
		fflush(stdout);
		_exit(0);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(st))
		printf("%s: killed by %s\n", what, strsignal(WTERMSIG(st)));
	else
		printf("%s: exit %d\n", what, WEXITSTATUS(st));
}

static void ignore_segv(void) { signal(SIGSEGV, SIG_IGN); }

static void on_sig(int sig)
{
	(void)sig;
	hits++;
}

static int seen_signo, seen_code;
static bool seen_self_blocked, seen_usr1_blocked;
static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	sigset_t cur;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	seen_signo = si->si_signo;
	seen_code = si->si_code;
	seen_self_blocked = sigismember(&cur, sig);
	seen_usr1_blocked = sigismember(&cur, SIGUSR1);
	hits++;
}

static void on_fault_jump(int sig)
{
	(void)sig;
	hits++;
	siglongjmp(recover, 1);
}

static void show_disposition(const char *what, int sig)
{
	struct sigaction old;
	memset(&old, 0, sizeof old);
	must(sigaction(sig, NULL, &old), "sigaction query");
	const char *h = old.sa_handler == SIG_DFL ? "SIG_DFL" : old.sa_handler == SIG_IGN ? "SIG_IGN"
		: (void *)old.sa_sigaction == (void *)on_info ? "on_info"
		: old.sa_handler == on_sig ? "on_sig" : "other";
	printf("%s: %s siginfo=%d resethand=%d nodefer=%d usr1-in-mask=%d\n", what, h,
	       !!(old.sa_flags & SA_SIGINFO), !!(old.sa_flags & SA_RESETHAND), !!(old.sa_flags & SA_NODEFER),
	       sigismember(&old.sa_mask, SIGUSR1));
}

/* In a thread: handlers, masks, SIG_IGN, and recovery from a fault. */
static void *handlers(void *arg)
{
	(void)arg;
	show_disposition("initial SIGSEGV", SIGSEGV);
	show_disposition("initial SIGBUS", SIGBUS);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR1);
	struct sigaction prev;
	must(sigaction(SIGSEGV, &sa, &prev), "sigaction SIGSEGV");
	printf("previous was default: %d\n", prev.sa_handler == SIG_DFL);
	show_disposition("installed", SIGSEGV);
	hits = 0;
	raise(SIGSEGV);
	printf("resethand handler: hits %d signo %s code %s self-blocked %d usr1-blocked %d\n", (int)hits,
	       seen_signo == SIGSEGV ? "SIGSEGV" : "other", seen_code == SI_TKILL ? "SI_TKILL" : "other",
	       seen_self_blocked, seen_usr1_blocked);
	show_disposition("after SA_RESETHAND", SIGSEGV);
	sigset_t cur;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	printf("mask after the handler: usr1 %d segv %d\n", sigismember(&cur, SIGUSR1), sigismember(&cur, SIGSEGV));

	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	must(sigaction(SIGBUS, &sa, NULL), "sigaction SIGBUS");
	hits = 0;
	pthread_kill(pthread_self(), SIGBUS);
	printf("nodefer handler: hits %d signo %s self-blocked %d\n", (int)hits,
	       seen_signo == SIGBUS ? "SIGBUS" : "other", seen_self_blocked);
	hits = 0;
	raise(SIGBUS);
	printf("handler stays: hits %d\n", (int)hits);

	void (*old)(int) = signal(SIGBUS, on_sig);
	printf("signal() returned the previous handler: %d\n", (void *)old == (void *)on_info);
	show_disposition("after signal()", SIGBUS);
	old = signal(SIGBUS, SIG_DFL);
	printf("signal() returned on_sig: %d\n", old == on_sig);
	errno = 0;
	bool refused = signal(SIGKILL, on_sig) == SIG_ERR;
	int e = errno;
	printf("signal(SIGKILL): %s %s\n", refused ? "SIG_ERR" : "ok", errname(e));
	errno = 0;
	refused = signal(0, on_sig) == SIG_ERR;
	e = errno;
	printf("signal(0): %s %s\n", refused ? "SIG_ERR" : "ok", errname(e));

	signal(SIGSEGV, SIG_IGN);
	raise(SIGSEGV);
	kill(getpid(), SIGSEGV);
	printf("ignored SIGSEGV: still here\n");
	show_disposition("ignored", SIGSEGV);

	signal(SIGSEGV, on_fault_jump);
	hits = 0;
	if (sigsetjmp(recover, 1) == 0)
		by_fault(SIGSEGV);
	printf("recovered from a fault: hits %d\n", (int)hits);
	signal(SIGSEGV, SIG_DFL);
	show_disposition("back to default", SIGSEGV);
	return NULL;
}

int main(void)
{
	signal(SIGALRM, on_alarm);
	alarm(60);
	static const struct {
		const char *name;
		how_fn how;
	} hows[] = {
		{"raise", by_raise}, {"kill", by_kill}, {"pthread_kill", by_pthread_kill},
		{"tgkill", by_tgkill}, {"fault", by_fault},
	};
	char what[96];
	for (int t = 0; t < 2; t++) {
		for (size_t i = 0; i < sizeof hows / sizeof hows[0]; i++) {
			int sigs[2] = {SIGSEGV, SIGBUS};
			for (int s = 0; s < 2; s++) {
				if (hows[i].how == by_fault && sigs[s] == SIGBUS)
					continue;
				snprintf(what, sizeof what, "%s %s %s", t ? "thread" : "main", hows[i].name,
					 strsignal(sigs[s]));
				phase = what;
				child_case(what, NULL, hows[i].how, sigs[s], t == 1);
			}
		}
		snprintf(what, sizeof what, "%s fault with SIGSEGV ignored", t ? "thread" : "main");
		child_case(what, ignore_segv, by_fault, SIGSEGV, t == 1);
		snprintf(what, sizeof what, "%s raise with SIGSEGV ignored", t ? "thread" : "main");
		child_case(what, ignore_segv, by_raise, SIGSEGV, t == 1);
	}
	phase = "handlers";
	pthread_t th = spawn(handlers, NULL);
	pthread_join(th, NULL);
	printf("failures: %d\n", failures);
	return failures != 0;
}
