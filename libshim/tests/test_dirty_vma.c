/* test_dirty_vma.c -- pages made VMAs of their own (region/
 * shim_dirty_vma.c): an even page marked, an odd one through its
 * neighbours; their mprotects then split no VMA, an unmarked page's do;
 * a page is marked once; join makes the mapping one VMA again */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "real.h"
#include "shim_dirty.h"
#include "shim_dirty_impl.h"

shim_real_madvise_fn shim_real_madvise = madvise; /* no interposer here */

#define PAGES 8

static uint8_t page_vma[PAGES];
static struct shim_mapping map = { .len = PAGES * SHIM_PAGE_LEN,
	.page_vma = page_vma };

/* vmas -- the VMAs of /proc/self/maps that hold bytes of the mapping */
static int
vmas(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	unsigned long lo, hi;
	int n = 0;
	char line[512];
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 &&
				hi > map.base && lo < map.base + map.len)
			n++;
	fclose(f);
	return n;
}

/* cycle -- page pg writable, then read-only again, as a hot page that
 * cools down and faults again; the VMAs while it is writable */
static int
cycle(size_t pg)
{
	void *p = (void *)(map.base + pg * SHIM_PAGE_LEN);
	assert_int_equal(mprotect(p, SHIM_PAGE_LEN, PROT_READ | PROT_WRITE), 0);
	int n = vmas();
	assert_int_equal(mprotect(p, SHIM_PAGE_LEN, PROT_READ), 0);
	return n;
}

static int
setup(void **state)
{
	(void)state;
	/* shared, as a view: private anonymous neighbours could merge */
	void *p = mmap(NULL, map.len + 2 * SHIM_PAGE_LEN, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	map.base = (uintptr_t)p + SHIM_PAGE_LEN; /* guards either side */
	void *v = mmap((void *)map.base, map.len, PROT_READ,
			MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	assert_true(v == (void *)map.base);
	return 0;
}

static void
test_own_vma(void **state)
{
	(void)state;
	assert_int_equal(vmas(), 1);
	assert_int_equal(cycle(1), 3); /* unmarked: split in three */
	assert_int_equal(vmas(), 1);   /* and merged back */
	if (access("/sys/kernel/mm/transparent_hugepage", F_OK) != 0)
		skip(); /* a kernel without THP refuses the flag */
	shim_dirty_vma_own(&map, 2);   /* even: itself */
	shim_dirty_vma_own(&map, 5);   /* odd: 4 and 6 */
	assert_int_equal(shim_dirty_vma_marks(), 3);
	assert_int_equal(page_vma[2] + page_vma[4] + page_vma[6], 3);
	int split = vmas(); /* 0-1, 2, 3, 4, 5, 6, 7 */
	assert_int_equal(split, 7);
	assert_int_equal(cycle(2), split); /* no split, no merge */
	assert_int_equal(cycle(5), split);
	assert_int_equal(cycle(3), split); /* between two marked: too */
	assert_int_equal(cycle(0), split + 1); /* 0-1 is one VMA still */
	shim_dirty_vma_own(&map, 6);   /* marked once */
	shim_dirty_vma_own(&map, 7);   /* 8 is past the mapping */
	assert_int_equal(shim_dirty_vma_marks(), 3);
	shim_dirty_vma_join(&map);
	assert_int_equal(vmas(), 1);   /* one VMA, as mremap wants */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_own_vma, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
