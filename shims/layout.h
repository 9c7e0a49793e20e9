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
#include <semaphore.h>

/* pthread_mutex_t: glibc's struct __pthread_mutex_s, same meanings. */
struct mn_mutex {
	_Atomic int lock;      /* 0 free, 1 locked, 2 locked and maybe waiters */
	unsigned int count;    /* recursion depth (recursive kind); owner only */
	int owner;             /* tid of the owner (the TCB's tid); owner only */
	unsigned int nusers;   /* lockers inside; EBUSY on destroy if nonzero */
	_Atomic int kind;      /* PTHREAD_MUTEX_* | flags, written by init */
	_Atomic short starving;  /* __spins: a waiter waited > 1 ms: unlock hands off */
	short elision;
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
/* Kinds glibc keeps: any with a bit of MUTEX_GLIBC_KINDS or
 * MUTEX_PRIO_BITS (classify() in shims/mutex.c).  glibc's trylock and
 * unlock keep their state: the owner's tid in the lock word (known to the
 * kernel at process death and to our G exit, which walks the robust list
 * as the kernel does), EOWNERDEAD, the priority ceiling.  A
 * process-private one waits by parking the G on the lock word, a
 * process-shared one in glibc's lock, as a blocking call.  A private
 * priority-inherit mutex so never reaches the kernel's PI futex: among Gs
 * there are no priorities to act on, and nobody is boosted. */
#define MUTEX_GLIBC_KINDS   (MUTEX_ROBUST | MUTEX_PSHARED)
#define MUTEX_PRIO_BITS     (MUTEX_PRIO_INHERIT | MUTEX_PRIO_PROTECT | 0xfff80000)

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
/* pthread_rwlock_t: glibc's init writes __shared (28) and __flags (48);
 * the rest is ours. */
struct mn_rwlock {
	_Atomic uint32_t state;    /* RW_WRITER | active readers */
	_Atomic uint32_t nwwait;   /* writers waiting (parked on &nwwait) */
	_Atomic uint32_t nrwait;   /* readers waiting (parked on &state) */
	uint32_t unused[3];
	int cur_writer;            /* offset 24: tid of the writer; the writer only */
	int shared;                /* offset 28: process-shared: glibc's */
	uint32_t unused2[4];
	unsigned int flags;        /* offset 48: PTHREAD_RWLOCK_PREFER_* */
	uint32_t unused3;
};
_Static_assert(sizeof(struct mn_rwlock) == sizeof(pthread_rwlock_t), "rwlock size");
_Static_assert(offsetof(struct mn_rwlock, cur_writer) == offsetof(pthread_rwlock_t, __data.__cur_writer), "cur_writer");
_Static_assert(offsetof(struct mn_rwlock, shared) == offsetof(pthread_rwlock_t, __data.__shared), "shared");
_Static_assert(offsetof(struct mn_rwlock, flags) == offsetof(pthread_rwlock_t, __data.__flags), "flags");
#define RW_WRITER  0x80000000u
#define RW_READERS 0x7fffffffu

/* pthread_barrier_t (32 bytes): ours entirely (we interpose init). */
struct mn_barrier {
	_Atomic uint32_t arrived;  /* threads in the current round; under lock */
	_Atomic uint32_t round;    /* bumped when a round completes; waiters park on it */
	uint32_t count;            /* immutable after init */
	int shared;                /* process-shared: glibc's implementation */
	_Atomic uint32_t lock;     /* spin lock over arrived/round (a few instructions) */
	uint32_t unused[3];
};
_Static_assert(sizeof(struct mn_barrier) == sizeof(pthread_barrier_t), "barrier size");

/* sem_t (32 bytes): glibc's struct new_sem on x86_64: value in the low
 * 32 bits of data, waiters in the high 32; private is 0 (LLL_PRIVATE) for
 * a process-private semaphore, 128 (LLL_SHARED) for a shared or named one. */
struct mn_sem {
	_Atomic uint32_t value;
	_Atomic uint32_t nwaiters;
	int private;
	int pad;
	char unused[16];
};
_Static_assert(sizeof(struct mn_sem) == sizeof(sem_t), "sem size");
#endif
