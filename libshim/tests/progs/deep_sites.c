/*
 * deep_sites.c -- a line stored and flushed from each of 100 stack depths
 * in turn, ROUNDS times (argv[1], 1 by default): 100 keys (one pc, 100
 * stack pointers) for the site capture cache (libshim/site/site.c), more
 * than the 64 entries it had, so each round unwound most of them again
 * (test_shim_run.py counts the unwinds). Everything is persisted: no
 * finding.
 */
#include <stdlib.h>

#include "pmemu.h"

#define DEPTHS 100
#define LEN 8192 /* whole pages: DEPTHS lines */

static char *pm;

/* store_at -- line `line` stored and flushed `depth` calls deeper */
static void
store_at(int depth, int line, char v)
{
	if (depth > 0) {
		store_at(depth - 1, line, v);
		return;
	}
	pm[line * 64] = v;
	pmemu_flush(pm + line * 64, 1);
}

int
main(int argc, char *argv[])
{
	int rounds = argc > 1 ? atoi(argv[1]) : 1;
	if (posix_memalign((void **)&pm, 4096, LEN) != 0 ||
			pmemu_register_pmem(pm, LEN, "deep") != 0)
		return 2;
	for (int r = 0; r < rounds; r++) {
		for (int d = 0; d < DEPTHS; d++)
			store_at(d, d, (char)(r + 1));
		pmemu_fence();
	}
	return 0;
}
