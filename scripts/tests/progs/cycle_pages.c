/* cycle_pages.c -- pages 4 and 7 of a 64 KiB pool written and persisted
 * every GAP fences, the pool idle after; then how many VMAs of
 * /proc/self/maps hold the pool's bytes ("vmas N"): under pmemu, a page
 * that cools down and faults again becomes a VMA of its own (docs/
 * shim.md, "Hot pages"), so the pool, read-only again, stays split
 *   cycle_pages POOL */
#include <libpmem.h>
#include <stdio.h>

#include "pool_map.h"

#define LEN (64 << 10)
#define GAP 16    /* hot wait at level 0 (6) < GAP < its window (6 + 12) */
#define CYCLES 12

/* vmas -- the VMAs that hold bytes of [lo, lo + len) */
static int
vmas(uintptr_t lo, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long a, b;
	char line[512];
	int n = 0;
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%lx-%lx", &a, &b) == 2 && b > lo &&
				a < lo + len)
			n++;
	if (f != NULL)
		fclose(f);
	return n;
}

int
main(int argc, char **argv)
{
	int fd;
	if (argc < 2)
		return 2;
	volatile uint64_t *p = pool_map(argv[1], LEN, &fd);
	for (int c = 0; c < CYCLES; c++) {
		for (int pg = 4; pg <= 7; pg += 3) {
			volatile uint64_t *w = p + pg * 512 + c * 8;
			*w = (uint64_t)c + 1;
			pmem_persist((void *)w, 8);
		}
		for (int f = 0; f < GAP; f++)
			pmem_drain();
	}
	for (int f = 0; f < 256; f++) /* every page cools down */
		pmem_drain();
	printf("vmas %d\n", vmas((uintptr_t)p, LEN));
	return 0;
}
