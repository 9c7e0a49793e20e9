/* thread_names: pthread_setname_np and pthread_getname_np.
 *
 * Proves: a thread can name itself and read the name back; the main thread
 * can name another (running) thread, read that name back, and the named
 * thread sees it too; a thread's name is its own (naming one thread does
 * not rename another); a name of 15 characters is accepted and one of 16
 * or more is ERANGE and leaves the old name; getname with a buffer shorter
 * than 16 bytes is ERANGE, even for a short name; a new thread starts with
 * the name its creator had when creating it (Linux copies the creating
 * task's name).
 *
 * Expects: exit 0 and the fixed lines below; a broken claim prints
 * "FAIL: ..." and exits 1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compat.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stage;               /* guarded by mu */
static char child_saw_first[16], child_saw[16];

static void set_stage(int s)
{
	pthread_mutex_lock(&mu);
	stage = s;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void wait_stage(int s)
{
	pthread_mutex_lock(&mu);
	while (stage < s)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

static void getname(pthread_t t, char *buf, const char *what)
{
	int rc = pthread_getname_np(t, buf, 16);
	if (rc != 0)
		FAIL("%s: pthread_getname_np: %s", what, errname(rc));
}

static void *child(void *arg)
{
	getname(pthread_self(), child_saw_first, "child, first");
	set_stage(1);
	wait_stage(2);   /* main names us now */
	getname(pthread_self(), child_saw, "child");
	if (pthread_setname_np(pthread_self(), "child-self") != 0)
		FAIL("child: setname self");
	set_stage(3);
	wait_stage(4);
	return NULL;
}

int main(void)
{
	char buf[64], main_name[16];
	pthread_t t;
	int rc;

	rc = pthread_setname_np(pthread_self(), "main-thread");
	printf("main setname \"main-thread\": %s\n", errname(rc));
	getname(pthread_self(), buf, "main");
	printf("main getname: \"%s\"\n", buf);
	if (rc != 0 || strcmp(buf, "main-thread") != 0)
		FAIL("main's own name");
	strcpy(main_name, buf);

	rc = pthread_setname_np(pthread_self(), "fifteen-chars-x");
	printf("setname 15 characters: %s\n", errname(rc));
	getname(pthread_self(), buf, "main");
	if (rc != 0 || strcmp(buf, "fifteen-chars-x") != 0)
		FAIL("15-character name");
	rc = pthread_setname_np(pthread_self(), "sixteen-chars-xy");
	printf("setname 16 characters: %s\n", errname(rc));
	if (rc != ERANGE)
		FAIL("16-character name should be ERANGE");
	rc = pthread_setname_np(pthread_self(),
				"a-name-that-is-much-too-long-for-linux");
	printf("setname 38 characters: %s\n", errname(rc));
	if (rc != ERANGE)
		FAIL("long name should be ERANGE");
	getname(pthread_self(), buf, "main");
	printf("name after failed setname: \"%s\"\n", buf);
	if (strcmp(buf, "fifteen-chars-x") != 0)
		FAIL("failed setname changed the name");
	pthread_setname_np(pthread_self(), main_name);

	rc = pthread_getname_np(pthread_self(), buf, 15);
	printf("getname buffer 15 bytes: %s\n", errname(rc));
	if (rc != ERANGE)
		FAIL("getname with a 15-byte buffer should be ERANGE");
	rc = pthread_getname_np(pthread_self(), buf, 4);
	printf("getname buffer 4 bytes: %s\n", errname(rc));
	if (rc != ERANGE)
		FAIL("getname with a 4-byte buffer should be ERANGE");
	rc = pthread_getname_np(pthread_self(), buf, sizeof buf);
	printf("getname buffer 64 bytes: %s\n", errname(rc));
	if (rc != 0)
		FAIL("getname with a 64-byte buffer");

	/* Another thread. */
	if (pthread_create(&t, NULL, child, NULL) != 0)
		FAIL("pthread_create");
	wait_stage(1);
	printf("new thread's first name is its creator's: %s\n",
	       strcmp(child_saw_first, main_name) == 0 ? "yes" : "no");
	getname(t, buf, "main about child");
	printf("main reads the child's name before naming it: \"%s\"\n", buf);
	rc = pthread_setname_np(t, "worker-1");
	printf("main names the child \"worker-1\": %s\n", errname(rc));
	getname(t, buf, "main about child");
	printf("main reads the child's name: \"%s\"\n", buf);
	if (rc != 0 || strcmp(buf, "worker-1") != 0)
		FAIL("naming another thread");
	rc = pthread_setname_np(t, "sixteen-chars-xy");
	printf("main names the child with 16 characters: %s\n", errname(rc));
	if (rc != ERANGE)
		FAIL("16-character name for another thread");
	rc = pthread_getname_np(t, buf, 8);
	printf("main getname of the child, 8-byte buffer: %s\n", errname(rc));
	if (rc != ERANGE)
		FAIL("getname of another thread, small buffer");
	set_stage(2);
	wait_stage(3);
	printf("the child sees its name: \"%s\"\n", child_saw);
	if (strcmp(child_saw, "worker-1") != 0)
		FAIL("child's view of its name");
	getname(t, buf, "main about child");
	printf("the child renamed itself: \"%s\"\n", buf);
	if (strcmp(buf, "child-self") != 0)
		FAIL("child's own rename not seen by main");
	getname(pthread_self(), buf, "main");
	printf("main's name unchanged: \"%s\"\n", buf);
	if (strcmp(buf, main_name) != 0)
		FAIL("naming the child renamed main");
	set_stage(4);
	pthread_join(t, NULL);
	printf("ok\n");
	return 0;
}
