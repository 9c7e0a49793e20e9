/* sig_legacy: the System V and BSD signal-mask calls act on the calling
 * thread's mask, as natively.  In a thread (not main):
 *  - sighold(SIGUSR1), then pthread_kill(self, SIGUSR1): the handler does
 *    not run, sigpending shows it; sigrelse(SIGUSR1): it runs, once, on
 *    this thread; main's mask never had SIGUSR1;
 *  - sigset(SIGUSR2, SIG_HOLD) answers SIG_DFL and blocks it; sigset(
 *    SIGUSR2, handler) answers SIG_HOLD and unblocks it; sigignore(SIGUSR2)
 *    leaves SIG_IGN;
 *  - sigblock/sigsetmask read and write the BSD int mask;
 *  - sigpause(SIGUSR1) (XSI: with SIGUSR1 out of the blocked mask) waits
 *    until another thread's pthread_kill runs the handler, then says -1
 *    EINTR.
 * Expects: the same stdout natively and under mnthread; exit 0.
 */
#include <signal.h>
#include <stdatomic.h>
#include "compat.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#define USR2_BIT (1 << (SIGUSR2 - 1))

static atomic_int runs;
static pthread_t where;
static atomic_int on_self;

static void on_usr(int sig)
{
	(void)sig;
	atomic_fetch_add(&runs, 1);
	if (pthread_equal(pthread_self(), where))
		atomic_fetch_add(&on_self, 1);
}

static atomic_int pausing;

static void *body(void *arg)
{
	(void)arg;
	where = pthread_self();
	printf("sighold: %d\n", sighold(SIGUSR1));
	pthread_kill(pthread_self(), SIGUSR1);
	sigset_t p;
	sigpending(&p);
	printf("held: handler runs %d, pending: %s\n", atomic_load(&runs), sigismember(&p, SIGUSR1) ? "yes" : "no");
	printf("sigrelse: %d\n", sigrelse(SIGUSR1));
	printf("released: handler runs %d, on this thread %d\n", atomic_load(&runs), atomic_load(&on_self));

	__sighandler_t h = sigset(SIGUSR2, SIG_HOLD);
	sigset_t m;
	pthread_sigmask(SIG_BLOCK, NULL, &m);
	printf("sigset(SIGUSR2, SIG_HOLD): %s, blocked: %s\n", h == SIG_DFL ? "SIG_DFL" : "other",
	       sigismember(&m, SIGUSR2) ? "yes" : "no");
	h = sigset(SIGUSR2, on_usr);
	pthread_sigmask(SIG_BLOCK, NULL, &m);
	printf("sigset(SIGUSR2, handler): %s, blocked: %s\n", h == SIG_HOLD ? "SIG_HOLD" : "other",
	       sigismember(&m, SIGUSR2) ? "yes" : "no");
	printf("sigignore: %d, ", sigignore(SIGUSR2));
	struct sigaction sa;
	sigaction(SIGUSR2, NULL, &sa);
	printf("disposition now SIG_IGN: %s\n", sa.sa_handler == SIG_IGN ? "yes" : "no");

	int before = sigblock(USR2_BIT);
	int now = sigblock(0);
	int back = sigsetmask(before);
	printf("sigblock: USR2 before %s, after %s; sigsetmask gave back %s; now %s\n",
	       before & USR2_BIT ? "yes" : "no", now & USR2_BIT ? "yes" : "no",
	       back == now ? "the same" : "another", sigblock(0) == before ? "as before" : "changed");

	sighold(SIGUSR1);
	atomic_store(&runs, 0);
	atomic_store(&pausing, 1);
	errno = 0;
	int r = sigpause(SIGUSR1);
	int e = errno;
	printf("sigpause: %d %s, handler runs %d\n", r, e == EINTR ? "EINTR" : strerror(e), atomic_load(&runs));
	sigrelse(SIGUSR1);
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr;
	sigaction(SIGUSR1, &sa, NULL);
	pthread_t t;
	must(pthread_create(&t, NULL, body, NULL), "create");
	while (!atomic_load(&pausing))
		sleep_ms(1);
	sleep_ms(50);
	pthread_kill(t, SIGUSR1);
	must(pthread_join(t, NULL), "join");
	sigset_t m;
	pthread_sigmask(SIG_BLOCK, NULL, &m);
	printf("main's mask has SIGUSR1: %s\n", sigismember(&m, SIGUSR1) ? "yes" : "no");
	return 0;
}
