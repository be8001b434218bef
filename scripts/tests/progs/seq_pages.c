/*
 * seq_pages.c -- a sequential writer: every line of PAGES pages stored
 * and made durable in turn (a store, a clwb and an sfence per line, as
 * pmem_persist does), so that the pages after the first few are opened
 * at the flush of the last line of the page below, without a fault
 * (docs/shim.md, "Sequential writers"). One line may be left unflushed:
 * the one finding, "unpersisted stores" at the loop's store.
 * Built with -mclwb, with and without the plugin.
 *   seq_pages POOL none|first|middle|last
 * none:   every line durable (no finding)
 * first:  the first line of page 9 (opened at a flush) never flushed
 * middle: line 17 of page 9 never flushed
 * last:   the last line of page 9 never flushed (page 10 is then opened
 *         by its fault)
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pool_map.h"

#define PAGES 16
#define LINES (PAGES * 4096 / 64)
#define MISSED_PAGE 9

/* the line of MISSED_PAGE the mode leaves unflushed, or -1 */
static long
missed_line(const char *mode)
{
	long first = MISSED_PAGE * 64;
	if (!strcmp(mode, "first"))
		return first;
	if (!strcmp(mode, "middle"))
		return first + 17;
	if (!strcmp(mode, "last"))
		return first + 63;
	return -1;
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: seq_pages POOL MODE\n");
		return 2;
	}
	long missed = missed_line(argv[2]);
	int fd;
	volatile uint64_t *p = pool_map(argv[1], PAGES * 4096, &fd);
	for (long line = 0; line < LINES; line++) {
		volatile uint64_t *w = p + line * 8;
		for (int i = 0; i < 8; i++)
			w[i] = (uint64_t)(line * 8 + i) | 1; /* STORE */
		if (line != missed)
			_mm_clwb((void *)w);
		_mm_sfence();
	}
	munmap((void *)p, PAGES * 4096);
	close(fd);
	return 0;
}
