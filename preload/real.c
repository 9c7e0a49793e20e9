/* preload/real.c: resolution of the next definitions (preload/real.h)
 * and the hooks handed down to sched/ and shims/. */
#include <dlfcn.h>
#include <stdbool.h>
#include "preload/real.h"
#include "sched/hooks.h"
#include "shims/hooks.h"

/* Bootstrap values: glibc's exported aliases of the functions an
 * allocator may call from inside malloc, bound by the dynamic linker at
 * load time, so no dlsym is needed to reach them.  The pthread ones are
 * compatibility symbols (GLIBC_2.2.5), kept by glibc for old binaries. */
#define BOOT_COMPAT(name, alias)                                              \
	extern __typeof__(name) boot_##name;                                   \
	__asm__(".symver boot_" #name ", " #alias "@GLIBC_2.2.5")
#define BOOT_ALIAS(name, alias) extern __typeof__(name) boot_##name __asm__(#alias)
BOOT_COMPAT(pthread_mutex_init, __pthread_mutex_init);
BOOT_COMPAT(pthread_mutex_lock, __pthread_mutex_lock);
BOOT_COMPAT(pthread_mutex_trylock, __pthread_mutex_trylock);
BOOT_COMPAT(pthread_mutex_unlock, __pthread_mutex_unlock);
BOOT_COMPAT(pthread_once, __pthread_once);
BOOT_COMPAT(pthread_rwlock_rdlock, __pthread_rwlock_rdlock);
BOOT_COMPAT(pthread_rwlock_tryrdlock, __pthread_rwlock_tryrdlock);
BOOT_COMPAT(pthread_rwlock_wrlock, __pthread_rwlock_wrlock);
BOOT_COMPAT(pthread_rwlock_trywrlock, __pthread_rwlock_trywrlock);
BOOT_COMPAT(pthread_rwlock_unlock, __pthread_rwlock_unlock);
BOOT_ALIAS(sched_yield, __sched_yield);
BOOT_ALIAS(nanosleep, __nanosleep);
BOOT_ALIAS(sigaction, __sigaction);
BOOT_ALIAS(read, __read);
BOOT_ALIAS(write, __write);
BOOT_ALIAS(open, __open);
BOOT_ALIAS(close, __close);

#define INIT_0(name) 0
#define INIT_BOOT(name) &boot_##name
#define INIT_SYS(name) &mn_sys_##name
#define DEFINE(name, version, boot) __typeof__(&name) real_##name = INIT_##boot(name);
MN_REAL_NAMES(DEFINE)

static const struct entry {
	void **slot;
	const char *name;
	const char *version; /* NULL: the default version */
} table[] = {
#define ENTRY(name, version, boot) { (void **)&real_##name, #name, version },
	MN_REAL_NAMES(ENTRY)
};

static void *lookup(const struct entry *e)
{
	return e->version ? dlvsym(RTLD_NEXT, e->name, e->version) : dlsym(RTLD_NEXT, e->name);
}

/* glibc's functions for shims/ (shims/hooks.h).  The mutex ones start as
 * the bootstrap values, so that they are never NULL: a pthread_mutex_init
 * or a robust mutex's lock that an allocator makes from inside malloc,
 * nested in a dlsym below, goes to them before anything is resolved. */
struct mn_glibc_hooks mn_glibc = {
	.mutex_init = &boot_pthread_mutex_init,
	.mutex_lock = &boot_pthread_mutex_lock,
	.mutex_trylock = &boot_pthread_mutex_trylock,
	.mutex_unlock = &boot_pthread_mutex_unlock,
};

/* Threads resolving at once store the same values: relaxed atomic
 * stores, so that the concurrent writes are no data race; the release
 * store of `resolved` publishes them. */
#define HOOK(field, value) __atomic_store_n(&(field), (value), __ATOMIC_RELAXED)
static void fill_hooks(void)
{
	HOOK(mn_os.thread_create, real_pthread_create);
	HOOK(mn_os.sigaction, real_sigaction);
	HOOK(mn_os.clock_gettime, real_clock_gettime);
	HOOK(mn_glibc.mutex_init, real_pthread_mutex_init);
	HOOK(mn_glibc.mutex_lock, real_pthread_mutex_lock);
	HOOK(mn_glibc.mutex_trylock, real_pthread_mutex_trylock);
	HOOK(mn_glibc.mutex_unlock, real_pthread_mutex_unlock);
	HOOK(mn_glibc.mutex_clocklock, real_pthread_mutex_clocklock);
	HOOK(mn_glibc.cond_wait, real_pthread_cond_wait);
	HOOK(mn_glibc.cond_clockwait, real_pthread_cond_clockwait);
	HOOK(mn_glibc.cond_signal, real_pthread_cond_signal);
	HOOK(mn_glibc.cond_broadcast, real_pthread_cond_broadcast);
	HOOK(mn_glibc.cond_destroy, real_pthread_cond_destroy);
	HOOK(mn_glibc.getattr_np, real_pthread_getattr_np);
	HOOK(mn_glibc.getschedparam, real_pthread_getschedparam);
	HOOK(mn_glibc.cancel, real_pthread_cancel);
}

/* Set once every entry was looked up (release: pairs with the acquire
 * load that skips the work). */
static bool resolved;
/* This thread is inside mn_real_resolve: a nested call comes from dlsym
 * (through an allocator) and must not start over. */
static __thread bool resolving;

bool mn_real_resolve(void)
{
	if (__atomic_load_n(&resolved, __ATOMIC_ACQUIRE))
		return true;
	if (resolving)
		return false; /* nested in our own dlsym: not yet */
	resolving = true;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		void *p = lookup(&table[i]);
		if (p)
			__atomic_store_n(table[i].slot, p, __ATOMIC_RELAXED);
	}
	fill_hooks();
	__atomic_store_n(&resolved, true, __ATOMIC_RELEASE);
	resolving = false;
	return true;
}

void *mn_real_slow(void **slot)
{
	mn_real_resolve();
	void *p = __atomic_load_n(slot, __ATOMIC_RELAXED);
	if (p)
		return p;
	/* Nested inside the resolution on this thread: this name alone. */
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (table[i].slot == slot) {
			p = lookup(&table[i]);
			if (p)
				__atomic_store_n(slot, p, __ATOMIC_RELAXED);
			break;
		}
	}
	return p;
}
