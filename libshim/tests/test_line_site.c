/* test_line_site.c -- the sites of a flushed page's changed lines in one
 * call (region/shim_line_site.c, shim_line_sites_of) are those a call of
 * shim_line_site_of per line gives, and leave the mapping's line sites
 * and exact bits as those calls do: random pages, changed lines, exact
 * bits, known sites and flush sites (none too), for lines of 64, 128
 * and 4096 bytes */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shim_dirty.h"
#include "shim_line_site.h"

uint8_t *shim_dirty_twin_pool; /* shim_dirty.h's, never read here */

#define PAGES 4

struct fake {
	struct shim_region r;
	struct shim_mapping m;
	uint32_t page_site[PAGES], line_site[PAGES * 64];
	uint64_t page_lines[PAGES];
};

static void
fake_init(struct fake *f, uint32_t line)
{
	memset(f, 0, sizeof(*f));
	f->r.line_len = line;
	f->m.base = 0x40000000;
	f->m.len = PAGES * SHIM_PAGE_LEN;
	f->m.region = &f->r;
	f->m.page_site = f->page_site;
	f->m.line_site = f->line_site;
	f->m.page_lines = f->page_lines;
}

/* random -- what faults and flushes before left known */
static void
randomize(struct fake *f, uint32_t k)
{
	uint64_t all = k == 64 ? ~(uint64_t)0 : ((uint64_t)1 << k) - 1;
	for (unsigned pg = 0; pg < PAGES; pg++) {
		f->page_site[pg] = 1 + (uint32_t)rand() % 9;
		f->page_lines[pg] = rand() % 2 ? 0 :
			(((uint64_t)rand() << 32) ^ (uint64_t)rand()) & all;
	}
	for (unsigned i = 0; i < PAGES * k; i++)
		f->line_site[i] = rand() % 3 ? 0 : 10 + (uint32_t)rand() % 9;
}

static void
one_round(uint32_t line)
{
	static struct fake a, b;
	uint32_t k = SHIM_PAGE_LEN / line;
	uint64_t all = k == 64 ? ~(uint64_t)0 : ((uint64_t)1 << k) - 1;
	fake_init(&a, line);
	randomize(&a, k);
	b = a;
	b.m.region = &b.r;
	b.m.page_site = b.page_site;
	b.m.line_site = b.line_site;
	b.m.page_lines = b.page_lines;
	size_t pg = (size_t)rand() % PAGES;
	uint64_t lines = rand() % 3 == 0 ? all :
		(((uint64_t)rand() << 32) ^ (uint64_t)rand()) & all;
	uint32_t evidence = rand() % 4 ? 20 + (uint32_t)rand() % 9 : 0;
	uint32_t want[64] = { 0 }, got[64] = { 0 };
	uint64_t want_exact = 0;
	for (uint32_t j = 0; j < k; j++) {
		if (!((lines >> j) & 1))
			continue;
		bool ex;
		want[j] = shim_line_site_of(&a.m, a.m.base +
			pg * SHIM_PAGE_LEN + j * line, evidence, &ex);
		want_exact |= (uint64_t)ex << j;
	}
	uint64_t got_exact = shim_line_sites_of(&b.m, pg, lines, evidence,
			got);
	assert_int_equal(got_exact, want_exact);
	assert_memory_equal(got, want, sizeof(want));
	assert_memory_equal(b.line_site, a.line_site, sizeof(a.line_site));
	assert_memory_equal(b.page_lines, a.page_lines, sizeof(a.page_lines));
}

static void
test_sites_at_once_as_one_by_one(void **state)
{
	(void)state;
	srand(5);
	for (unsigned round = 0; round < 3000; round++) {
		one_round(64);
		one_round(128);
		one_round(4096);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sites_at_once_as_one_by_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
