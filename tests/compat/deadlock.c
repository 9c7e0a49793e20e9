/* deadlock: programs that deadlock, and programs that only look idle
 * (run by tests/compat/deadlock.sh, which says what it expects).
 *
 *   deadlock abba      two threads lock two mutexes in opposite orders;
 *                      main joins them
 *   deadlock condjoin  main joins a thread waiting on a condvar nobody
 *                      signals
 *   deadlock selflock  main alone locks a normal mutex it holds
 *   deadlock sleep     a thread sleeps 2 s; main joins it
 *   deadlock sigwait   a thread waits in sigwait for the SIGUSR1 a child
 *                      process sends 1.5 s later; main joins it
 *   deadlock waitpid   a thread waits for a child that exits after 1.5 s
 *   deadlock pipe      a thread reads a pipe a child writes after 1.5 s
 *   deadlock handler   a thread waits on a semaphore that a SIGUSR1
 *                      handler posts; a child sends SIGUSR1 after 1.5 s
 *
 * The last five print what they got and exit 0; the first three never
 * end by themselves.
 */
#include <semaphore.h>
#include <signal.h>
#include <sys/wait.h>
#include "compat.h"

static pthread_mutex_t m1 = PTHREAD_MUTEX_INITIALIZER, m2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static sem_t posted;
static int fds[2];

static void *ab(void *arg)
{
	int first = arg != NULL;
	pthread_mutex_lock(first ? &m1 : &m2);
	pthread_barrier_wait(&both);
	pthread_mutex_lock(first ? &m2 : &m1);
	return NULL;
}

static void *waits_cond(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m1);
	for (;;)
		pthread_cond_wait(&never, &m1);
	return NULL;
}

static void *sleeps(void *arg)
{
	(void)arg;
	sleep_ms(2000);
	printf("slept\n");
	return NULL;
}

static void *sigwaits(void *arg)
{
	sigset_t *set = arg;
	int sig = 0;
	int r = sigwait(set, &sig);
	printf("sigwait: %d, %s\n", r, sig == SIGUSR1 ? "SIGUSR1" : "another");
	return NULL;
}

static void *waits_child(void *arg)
{
	pid_t pid = (pid_t)(intptr_t)arg;
	int st = -1;
	pid_t r = waitpid(pid, &st, 0);
	printf("waitpid: %s, status %d\n", r == pid ? "the child" : "error", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return NULL;
}

static void *reads_pipe(void *arg)
{
	(void)arg;
	char buf[16] = { 0 };
	ssize_t n = read(fds[0], buf, sizeof buf - 1);
	printf("read: %zd \"%s\"\n", n, n > 0 ? buf : "");
	return NULL;
}

static void *waits_sem(void *arg)
{
	(void)arg;
	while (sem_wait(&posted) != 0 && errno == EINTR)
		;
	printf("sem_wait: posted by the handler\n");
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
	sem_post(&posted);
}

/* A child process that waits 1.5 s, then does what: 's' sends SIGUSR1 to
 * its parent, 'w' writes to the pipe, 'x' exits 7. */
static pid_t child(char what)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	must(pid < 0 ? -1 : 0, "fork");
	if (pid == 0) {
		struct timespec ts = { 1, 500000000 };
		nanosleep(&ts, NULL);
		if (what == 's')
			kill(parent, SIGUSR1);
		else if (what == 'w')
			(void)!write(fds[1], "hello", 5);
		_exit(what == 'x' ? 7 : 0);
	}
	return pid;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *mode = argc > 1 ? argv[1] : "";
	pthread_t t[2];
	if (strcmp(mode, "abba") == 0) {
		pthread_barrier_init(&both, NULL, 2);
		must(pthread_create(&t[0], NULL, ab, (void *)1), "create");
		must(pthread_create(&t[1], NULL, ab, NULL), "create");
		pthread_join(t[0], NULL);
		pthread_join(t[1], NULL);
	} else if (strcmp(mode, "condjoin") == 0) {
		must(pthread_create(&t[0], NULL, waits_cond, NULL), "create");
		pthread_join(t[0], NULL);
	} else if (strcmp(mode, "selflock") == 0) {
		pthread_mutex_lock(&m1);
		pthread_mutex_lock(&m1);
	} else if (strcmp(mode, "sleep") == 0) {
		must(pthread_create(&t[0], NULL, sleeps, NULL), "create");
		pthread_join(t[0], NULL);
	} else if (strcmp(mode, "sigwait") == 0) {
		static sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		child('s');
		must(pthread_create(&t[0], NULL, sigwaits, &set), "create");
		pthread_join(t[0], NULL);
	} else if (strcmp(mode, "waitpid") == 0) {
		pid_t pid = child('x');
		must(pthread_create(&t[0], NULL, waits_child, (void *)(intptr_t)pid), "create");
		pthread_join(t[0], NULL);
	} else if (strcmp(mode, "pipe") == 0) {
		must(pipe(fds), "pipe");
		child('w');
		must(pthread_create(&t[0], NULL, reads_pipe, NULL), "create");
		pthread_join(t[0], NULL);
	} else if (strcmp(mode, "handler") == 0) {
		sem_init(&posted, 0, 0);
		signal(SIGUSR1, on_usr1);
		child('s');
		must(pthread_create(&t[0], NULL, waits_sem, NULL), "create");
		pthread_join(t[0], NULL);
	} else {
		fprintf(stderr, "usage: deadlock abba|condjoin|selflock|sleep|sigwait|waitpid|pipe|handler\n");
		return 2;
	}
	while (wait(NULL) > 0)
		;
	printf("%s: done\n", mode);
	return 0;
}
