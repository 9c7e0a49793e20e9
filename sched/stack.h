/* sched/stack.h: the memory of a G.
 *
 * One anonymous MAP_NORESERVE mapping per G holds, from low to high:
 *   [guard][stack ......................][struct g][static TLS][TCB]
 * as nptl does, so a G costs only the pages it touches: typically the page
 * with the TCB, the page with the TLS blocks, struct g and the top of the
 * stack.  A user-supplied stack (pthread_attr_setstack) gets a mapping of
 * just the header; the user's memory is the stack.  A mapping lives while
 * its G runs or waits in a cache for reuse; the scavenger (gfree.c) unmaps
 * those that waited too long, whole (mn_stack_free_many).
 */
#ifndef MN_STACK_H
#define MN_STACK_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct mn_stack_req {
	size_t stacksize;  /* usable bytes wanted (0: default) */
	size_t guardsize;  /* bytes of guard below the stack */
	void *userstack;   /* lowest address of a user stack, or NULL */
	size_t usersize;
};

struct mn_stack {
	void *map;         /* the mapping; immutable while live */
	size_t mapsize;
	uintptr_t lo, hi;  /* usable stack [lo, hi) */
	size_t guardsize;  /* guard at map (0 for user stacks) */
	size_t reqsize;    /* the stacksize asked for: the free-list key */
	bool user;         /* lo/hi belong to the application */
};

extern size_t mn_default_stacksize __attribute__((visibility("hidden")));
extern size_t mn_pagesize __attribute__((visibility("hidden")));

/* Map memory for a G: stack and header_bytes on top.  Returns 0 or -errno. */
int mn_stack_alloc(struct mn_stack *st, const struct mn_stack_req *req, size_t header_bytes)
	__attribute__((visibility("hidden")));
void mn_stack_free(struct mn_stack *st) __attribute__((visibility("hidden")));
/* Unmap n G mappings, sorting st by address and unmapping each run of
 * adjacent ones with one call: consecutive creates get consecutive
 * addresses (the kernel maps top-down), so a burst is one run. */
void mn_stack_free_many(struct mn_stack *st, int n) __attribute__((visibility("hidden")));
void mn_stack_init(void) __attribute__((visibility("hidden")));
/* Which guard mechanism stacks use: "madvise" or "mprotect". */
const char *mn_stack_guardkind(void) __attribute__((visibility("hidden")));
#endif
