/* shims/sem.h: process-private semaphores that park the G (shims/sem.c). */
#ifndef MN_SHIMS_SEM_H
#define MN_SHIMS_SEM_H
#include <semaphore.h>
#include <stdbool.h>
#include <time.h>
#include "shims/shim.h"

/* Process-private and unnamed: ours (else glibc's). */
MN_SHIM bool mn_sem_is_ours(sem_t *s);
/* try: sem_trywait; abstime NULL: wait forever.  0 or -errno (sem_post:
 * -EOVERFLOW). */
MN_SHIM int mn_sem_wait(sem_t *s, bool try, clockid_t clock, const struct timespec *abstime);
MN_SHIM int mn_sem_post(sem_t *s);
#endif
