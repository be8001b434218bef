/* palloc.c -- a pool allocator declared __attribute__((malloc)), as
 * PMDK-style and arena allocators often are: points-to gives its result a
 * heap object of its own, yet the memory is pmem. A record is built in
 * place and only its checksum is published, so the record's pointer never
 * escapes main: its store must still be instrumented. The loop first
 * makes the page hot (written across many fences: docs/shim.md, "Hot
 * pages"), so that page protection alone would only guess the record
 * store's line. The buggy twin never persists the record. */
#include "e2e.h"

struct rec {
	long a;
	long b;
};

static char *arena;
static size_t arena_used;

/* pm_alloc -- N bytes of the pool, never reused */
__attribute__((malloc, noinline, noclone)) static void *
pm_alloc(size_t n)
{
	void *p = arena + arena_used;
	arena_used += (n + E2E_LINE - 1) & ~(size_t)(E2E_LINE - 1);
	return p;
}

/* checksum -- pure: reading the record does not let its pointer escape */
__attribute__((pure, noinline, noclone)) static long
checksum(const struct rec *r)
{
	return r->a * 31 + r->b;
}

int
main(int argc, char **argv)
{
	char *pool = e2e_pool(argc, argv);
	long *hdr = (long *)pool;
	arena = pool + E2E_LINE; /* the header's page */
	for (long i = 16; i < 4096 / 8; i += 8) { /* lines 2..63 */
		hdr[i] = i;
		e2e_persist(&hdr[i], sizeof(hdr[i]));
	}
	struct rec *r = (struct rec *)pm_alloc(sizeof(*r));
	r->a = argc; /* PLANTED */
	r->b = 7;
#ifndef BUGGY
	e2e_persist(r, sizeof(*r));
#endif
	hdr[0] = checksum(r);
	e2e_persist(&hdr[0], sizeof(hdr[0]));
	return 0;
}
