/* sigpipe_thread: SIGPIPE reaches the thread whose write found no reader,
 * as natively.  The kernel sends it to the OS thread that wrote; under
 * mnthread that is the M running the thread, which must let it through
 * exactly when the thread does (sched/runtime.h: mn_sigpipe_sync).
 *
 * A thread (not main) writes to a pipe, and to a socket, whose other end
 * is closed:
 *  - with the default disposition, in a child: the child is killed by
 *    SIGPIPE, whether the write is write(2) or stdio (fputs + fflush,
 *    whose write glibc makes inside, where no interposer sees it);
 *  - with a handler: it runs on the writing thread, the write says EPIPE;
 *  - with SIGPIPE blocked in the writing thread: no handler, EPIPE, and
 *    sigpending in that thread shows SIGPIPE.
 * Expects: the same lines natively and under mnthread, exit 0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "compat.h"

static int fds[2];
static pthread_t writer;
static volatile int ran_on_writer, ran;
static int how; /* 0 write(2) on a pipe, 1 send on a socket, 2 stdio */
static int block_it;

static void on_pipe(int sig)
{
	(void)sig;
	ran = 1;
	ran_on_writer = pthread_equal(pthread_self(), writer);
}

static void make_pair(void)
{
	if (how == 1)
		socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
	else if (pipe(fds) != 0)
		exit(2);
	close(fds[0]);
}

static void *write_thread(void *arg)
{
	int *res = arg;
	if (block_it) {
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &s, NULL);
	}
	errno = 0;
	if (how == 2) {
		FILE *f = fdopen(fds[1], "w");
		fputs("x", f);
		res[0] = fflush(f);
	} else {
		res[0] = (int)write(fds[1], "x", 1);
	}
	res[1] = errno;
	sigset_t p;
	sigpending(&p);
	res[2] = sigismember(&p, SIGPIPE);
	return NULL;
}

static void run_writer(int *res)
{
	pthread_create(&writer, NULL, write_thread, res);
	pthread_join(writer, NULL);
}

static const char *how_name(void) { return how == 0 ? "write to a pipe" : how == 1 ? "write to a socket" : "stdio to a pipe"; }

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(30);
	for (how = 0; how < 3; how++) {
		phase = "default";
		fflush(stdout);
		pid_t c = fork();
		if (c == 0) {
			signal(SIGPIPE, SIG_DFL);
			make_pair();
			int res[3];
			run_writer(res);
			_exit(0); /* natively never reached */
		}
		int st = 0;
		waitpid(c, &st, 0);
		printf("%s, default disposition: %s\n", how_name(),
		       WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE ? "killed by SIGPIPE"
		       : WIFEXITED(st)			     ? "the child went on"
								     : "killed by another signal");
		if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE))
			failures++;
	}
	for (how = 0; how < 2; how++) {
		for (block_it = 0; block_it < 2; block_it++) {
			phase = block_it ? "blocked" : "handler";
			signal(SIGPIPE, on_pipe);
			ran = ran_on_writer = 0;
			make_pair();
			int res[3];
			run_writer(res);
			close(fds[1]);
			printf("%s, %s: write=%d %s, handler ran: %s%s, pending in the writer: %s\n", how_name(),
			       block_it ? "SIGPIPE blocked in the writer" : "a handler", res[0], errname(res[1]),
			       ran ? "yes" : "no", ran ? (ran_on_writer ? " (on the writer)" : " (on another thread)") : "",
			       res[2] ? "yes" : "no");
			if (block_it ? (ran || !res[2]) : (!ran || !ran_on_writer || res[2]))
				failures++;
		}
	}
	printf("%s\n", failures ? "some results differ from glibc's" : "all done");
	return failures ? 1 : 0;
}
