/*
 * hot_stray.c -- a raw store-clwb-sfence loop (bench_store.c's raw
 * program, small) that makes its pages hot (writable across fences,
 * docs/shim.md), and one stray store that is never flushed: the one
 * finding, "unpersisted stores" at the stray store's line, whatever page
 * state the store meets. Built with -mclwb, with and without the plugin.
 *   hot_stray POOL none|behind|end|again|cooled|quiet|twice
 * none:   the loop only (no finding)
 * behind: after the loop, a store to the page written last (hot, still
 *         writable), then two fences
 * end:    the same, to the page's last line (the last chunk its compare
 *         tests: shim_dirty_cmp.c)
 * again:  in the last pass, a line stored, clwb'd and stored again before
 *         its sfence (the second store is never flushed)
 * cooled: after the loop and 64 more fences, a store to page 0 (cooled
 *         down and protected since: it faults again)
 * quiet:  as behind, then 64 fences (the page cools down and is
 *         protected again: the store must be seen by that settle)
 * twice:  after the loop, a store to the page written last, a fence,
 *         another store to the same line, two fences: two stores, each
 *         seen by the fence after it (a compare deferred past the first
 *         fence would see one)
 */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pool_map.h"

#define PAGES 32
#define PASSES 4
#define WORDS (PAGES * 4096 / 8)

static void
fences(int n)
{
	for (int i = 0; i < n; i++)
		_mm_sfence();
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: hot_stray POOL MODE\n");
		return 2;
	}
	const char *mode = argv[2];
	int fd;
	volatile uint64_t *p = pool_map(argv[1], PAGES * 4096, &fd);
	for (uint64_t pass = 0; pass < PASSES; pass++) {
		for (size_t w = 0; w < WORDS; w++) {
			p[w] = pass + w;
			if (w % 8 != 7)
				continue;
			bool again = pass + 1 == PASSES && w == 8 * 100 + 7 &&
				!strcmp(mode, "again");
			if (again) {
				_mm_clwb((void *)&p[w - 7]);
				p[w - 7] = 12345; /* AGAIN */
			} else {
				_mm_clwb((void *)&p[w - 7]);
			}
			if (w % 64 == 63)
				_mm_sfence();
		}
	}
	_mm_sfence();
	if (!strcmp(mode, "behind") || !strcmp(mode, "quiet")) {
		p[WORDS - 512] = 777; /* BEHIND: page 31, line 0 */
		fences(!strcmp(mode, "quiet") ? 64 : 2);
	} else if (!strcmp(mode, "end")) {
		p[WORDS - 8] = 999; /* END: page 31, line 63 */
		fences(2);
	} else if (!strcmp(mode, "twice")) {
		p[WORDS - 504] = 555; /* TWICE: page 31, line 1 */
		_mm_sfence();
		p[WORDS - 504] = 556;
		fences(2);
	} else if (!strcmp(mode, "cooled")) {
		fences(64);
		p[16] = 888; /* COOLED: page 0, line 2 */
		fences(2);
	}
	munmap((void *)p, PAGES * 4096);
	close(fd);
	return 0;
}
