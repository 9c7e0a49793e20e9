/* shims/layout.h: our state inside the application's synchronisation
 * objects.  Sizes and the fields glibc's initialisers write are glibc's, so
 * static initialisers and glibc's own init/destroy functions keep working;
 * the all-zero object is the unlocked/empty one. */
#ifndef MN_SHIMS_LAYOUT_H
#define MN_SHIMS_LAYOUT_H
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* pthread_mutex_t: glibc's struct __pthread_mutex_s, same meanings. */
struct mn_mutex {
	_Atomic int lock;      /* 0 free, 1 locked, 2 locked and maybe waiters */
	unsigned int count;    /* recursion depth (recursive kind); owner only */
	int owner;             /* tid of the owner (the TCB's tid); owner only */
	unsigned int nusers;   /* lockers inside; EBUSY on destroy if nonzero */
	_Atomic int kind;      /* PTHREAD_MUTEX_* | flags, written by init */
	short spins, elision;
	void *list_prev, *list_next; /* robust list: glibc's business */
};
_Static_assert(sizeof(struct mn_mutex) == sizeof(pthread_mutex_t), "mutex size");
_Static_assert(offsetof(struct mn_mutex, kind) == offsetof(pthread_mutex_t, __data.__kind), "kind");
_Static_assert(offsetof(struct mn_mutex, owner) == offsetof(pthread_mutex_t, __data.__owner), "owner");
_Static_assert(offsetof(struct mn_mutex, nusers) == offsetof(pthread_mutex_t, __data.__nusers), "nusers");

#define MUTEX_KIND_MASK     3
#define MUTEX_ROBUST        16
#define MUTEX_PRIO_INHERIT  32
#define MUTEX_PRIO_PROTECT  64
#define MUTEX_PSHARED       128
#define MUTEX_ELISION_FLAGS (256 | 512)
/* Kinds glibc keeps: robust, PI, PP, process-shared. */
#define MUTEX_GLIBC_KINDS   (MUTEX_ROBUST | MUTEX_PRIO_INHERIT | MUTEX_PRIO_PROTECT | MUTEX_PSHARED)

/* pthread_cond_t: glibc's init zeroes it and records the clock and the
 * process-shared flag in __wrefs; we keep those two bits there. */
struct mn_cond {
	_Atomic uint32_t seq;      /* bumped by signal/broadcast; waiters park on it */
	_Atomic uint32_t nwaiters; /* waiters between unlock and wake-up */
	uint32_t unused[7];
	uint32_t wrefs;            /* offset 36: bit 0 pshared, bit 1 CLOCK_MONOTONIC */
	uint32_t unused2[2];
};
_Static_assert(sizeof(struct mn_cond) == sizeof(pthread_cond_t), "cond size");
_Static_assert(offsetof(struct mn_cond, wrefs) == offsetof(pthread_cond_t, __data.__wrefs), "wrefs");
#define COND_SHARED    1u
#define COND_MONOTONIC 2u
#endif
