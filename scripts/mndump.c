/* mndump: ask a process running under mnthread for a thread dump and copy
 * it to stdout (run by mnrun --dump; installed in pkglibexecdir).
 *
 *   mndump PID [--json]
 *
 * The protocol (sched/dump.c): make the FIFO $TMPDIR/mnthread-dump.PID.SELF
 * ($TMPDIR as the target process has it, else /tmp), then sigqueue the
 * target's preemption signal (SIGURG, or MN_DEBUG=preemptsig as the
 * target has it) with the value "mnDR" << 32 | json.  The runtime's
 * handler takes that value from a process of the same user only, and
 * its monitor thread writes the dump into the FIFO.  The program's own
 * handler of the signal never sees these.
 * Exit: 0 dumped, 1 no answer or not an mnthread process, 2 usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REQ_COOKIE 0x6d6e4452ULL /* "mnDR": sched/dump.h DUMP_REQ_COOKIE */
/* How long the dump may take to begin and to come (a dump of many
 * running threads waits up to 200 ms for each one's backtrace). */
#define START_MS 5000
#define IDLE_MS 10000

static char environ_buf[1 << 20];

/* The value of name in the target's environment, or NULL. */
static const char *target_env(const char *name, size_t len)
{
	for (size_t i = 0; i < len;) {
		const char *e = environ_buf + i;
		size_t el = strnlen(e, len - i);
		size_t nl = strlen(name);
		if (el > nl && strncmp(e, name, nl) == 0 && e[nl] == '=')
			return e + nl + 1;
		i += el + 1;
	}
	return NULL;
}

/* The runtime's own parsing (sched/env.c parse_signal), for its input. */
static int parse_signal(const char *s)
{
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	char *end;
	long v = strtol(s, &end, 10);
	if (*s && *end == '\0')
		return v >= 1 && v <= 64 ? (int)v : 0;
	if (strncmp(s, "RTMIN+", 6) == 0)
		return SIGRTMIN + atoi(s + 6);
	if (strcmp(s, "RTMIN") == 0)
		return SIGRTMIN;
	for (int i = 1; i < 32; i++) {
		const char *n = sigabbrev_np(i);
		if (n && strcmp(n, s) == 0)
			return i;
	}
	return 0;
}

/* The preemption signal MN_DEBUG names (the last preemptsig=), else URG. */
static int preempt_signal(const char *debug)
{
	int sig = SIGURG;
	while (debug && *debug) {
		const char *end = strchr(debug, ',');
		size_t l = end ? (size_t)(end - debug) : strlen(debug);
		if (l > 11 && strncmp(debug, "preemptsig=", 11) == 0 && l - 11 < 32) {
			char v[32];
			memcpy(v, debug + 11, l - 11);
			v[l - 11] = 0;
			int s = parse_signal(v);
			if (s)
				sig = s;
		}
		debug = end ? end + 1 : NULL;
	}
	return sig;
}

/* Does pid catch sig (SigCgt in its status)? */
static int catches(long pid, int sig)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	unsigned long long cgt = 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "SigCgt: %llx", &cgt) == 1)
			break;
	fclose(f);
	return (cgt >> (sig - 1)) & 1;
}

static int mapped_lib(long pid)
{
	char path[64], line[4096];
	snprintf(path, sizeof path, "/proc/%ld/maps", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	int found = 0;
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, "libmnthread") != NULL;
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	int json = 0;
	long pid = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (!pid && argv[i][0] >= '1' && argv[i][0] <= '9' && strspn(argv[i], "0123456789") == strlen(argv[i]))
			pid = atol(argv[i]);
		else {
			fprintf(stderr, "usage: mndump PID [--json]\n");
			return 2;
		}
	}
	if (!pid) {
		fprintf(stderr, "usage: mndump PID [--json]\n");
		return 2;
	}
	char path[4200];
	snprintf(path, sizeof path, "/proc/%ld/environ", pid);
	int efd = open(path, O_RDONLY | O_CLOEXEC);
	if (efd < 0) {
		fprintf(stderr, "mnrun: --dump %ld: %s\n", pid, strerror(errno));
		return 1;
	}
	ssize_t elen = read(efd, environ_buf, sizeof environ_buf - 1);
	close(efd);
	if (elen < 0)
		elen = 0;
	if (!mapped_lib(pid)) {
		fprintf(stderr, "mnrun: --dump %ld: the process does not run under mnthread\n", pid);
		return 1;
	}
	int sig = preempt_signal(target_env("MN_DEBUG", (size_t)elen));
	if (!catches(pid, sig)) {
		/* The handler comes with the first thread (or MN_DEBUG=schedtrace,
		 * dumpsig): until then the signal would do its default action. */
		fprintf(stderr,
			"mnrun: --dump %ld: the process has not started mnthread's monitor yet (it does with its "
			"first thread)\n", pid);
		return 1;
	}
	const char *dir = target_env("TMPDIR", (size_t)elen);
	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, sizeof path, "%s/mnthread-dump.%ld.%ld", dir, pid, (long)getpid());
	unlink(path);
	if (mkfifo(path, 0600) != 0) {
		fprintf(stderr, "mnrun: --dump: cannot make %s: %s\n", path, strerror(errno));
		return 1;
	}
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "mnrun: --dump: cannot open %s: %s\n", path, strerror(errno));
		unlink(path);
		return 1;
	}
	union sigval v;
	v.sival_ptr = (void *)(uintptr_t)(REQ_COOKIE << 32 | (unsigned)json);
	if (sigqueue((pid_t)pid, sig, v) != 0) {
		fprintf(stderr, "mnrun: --dump %ld: %s\n", pid, strerror(errno));
		close(fd);
		unlink(path);
		return 1;
	}
	/* Until the writer has come and gone: poll says POLLHUP only once a
	 * writer has opened the FIFO and closed it. */
	int got = 0, rc = 0;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, got ? IDLE_MS : START_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "mnrun: --dump %ld: %s\n", pid,
				got ? "the dump stopped coming" : "no answer from the process");
			rc = 1;
			break;
		}
		char buf[65536];
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0) {
			got = 1;
			if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
				rc = 1;
				break;
			}
			continue;
		}
		if (n == 0 && got)
			break; /* the writer closed */
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			rc = 1;
			break;
		}
		if (n == 0) {
			/* POLLHUP before any data: the writer came and went empty. */
			struct timespec ts = { 0, 10000000 };
			nanosleep(&ts, NULL);
			if (p.revents & POLLHUP) {
				rc = 1;
				fprintf(stderr, "mnrun: --dump %ld: empty dump\n", pid);
				break;
			}
		}
	}
	close(fd);
	unlink(path);
	fflush(stdout);
	return rc;
}
