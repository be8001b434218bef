/*
 * many_hot.c -- more hot pages at once than a settle keeps on its list
 * of hot pages (4,096: shim_dirty.c, hot_pages): the rest go back on the
 * ring, and a stray store to either kind must be seen by the fence after
 * it. Built with -mclwb.
 *   many_hot POOL none|listed|ringed
 * Two passes store and clwb line 0 of each of 4,400 pages, one sfence
 * after each pass: the second opening makes every page hot at once.
 * listed: then a store to page 10 (kept on the list), never flushed,
 *         then two fences
 * ringed: the same to the last page (past the list: on the ring)
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pool_map.h"

#define PAGES 4400
#define WORDS_PER_PAGE (4096 / 8)

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: many_hot POOL MODE\n");
		return 2;
	}
	const char *mode = argv[2];
	int fd;
	volatile uint64_t *p = pool_map(argv[1], PAGES * 4096ul, &fd);
	for (uint64_t pass = 0; pass < 2; pass++) {
		for (size_t pg = 0; pg < PAGES; pg++) {
			p[pg * WORDS_PER_PAGE] = pass + pg + 1;
			_mm_clwb((void *)&p[pg * WORDS_PER_PAGE]);
		}
		_mm_sfence();
	}
	if (!strcmp(mode, "listed"))
		p[10 * WORDS_PER_PAGE + 8] = 777; /* LISTED: page 10, line 1 */
	else if (!strcmp(mode, "ringed"))
		p[(PAGES - 1) * WORDS_PER_PAGE + 8] = 888; /* RINGED */
	_mm_sfence();
	_mm_sfence();
	munmap((void *)p, PAGES * 4096ul);
	close(fd);
	return 0;
}
