/*
 * page_groups.c -- a fast sequential writer (every line stored and
 * clwb'd, an sfence per 8 lines: the raw benchmark's loop) over PAGES
 * pages, PASSES times: its pages are opened and protected again two at
 * a time (docs/shim.md, "Sequential writers"), and one stray store,
 * never flushed, lands on a page its group holds open: the one finding,
 * "unpersisted stores" at the stray store's line. Built with -mclwb,
 * with and without the plugin.
 *   page_groups POOL none|ahead|behind
 * none:   the loop only (no finding)
 * ahead:  in the last pass, with the writer at line 20 of page 40 (its
 *         group, pages 40 and 41, opened together), a store to page 41,
 *         not written yet; the writer stops there, then 1 + 64 fences
 * behind: in the last pass, with the writer at line 20 of page 42, a
 *         store to page 40 (written, cooled down, open until page 41
 *         cools); the writer goes on, then 1 + 64 fences
 */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pool_map.h"

#define PAGES 64
#define PASSES 3
#define LINES (PAGES * 4096 / 64)
#define WRITER_AHEAD (40 * 64 + 20)  /* the line the stray store meets */
#define WRITER_BEHIND (42 * 64 + 20)

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: page_groups POOL MODE\n");
		return 2;
	}
	const char *mode = argv[2];
	int fd;
	volatile uint64_t *p = pool_map(argv[1], PAGES * 4096, &fd);
	for (uint64_t pass = 0; pass < PASSES; pass++) {
		bool last = pass + 1 == PASSES;
		for (long line = 0; line < LINES; line++) {
			if (last && line == WRITER_AHEAD &&
					!strcmp(mode, "ahead")) {
				p[(41 * 4096 + 5 * 64) / 8] = 777; /* AHEAD */
				break;
			}
			if (last && line == WRITER_BEHIND &&
					!strcmp(mode, "behind"))
				p[(40 * 4096 + 7 * 64) / 8] = 888; /* BEHIND */
			volatile uint64_t *w = p + line * 8;
			for (int i = 0; i < 8; i++)
				w[i] = pass + (uint64_t)line * 8 + i;
			_mm_clwb((void *)w);
			if (line % 8 == 7)
				_mm_sfence();
		}
		_mm_sfence();
	}
	for (int i = 0; i < 64; i++)
		_mm_sfence();
	munmap((void *)p, PAGES * 4096);
	close(fd);
	return 0;
}
