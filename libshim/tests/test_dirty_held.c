/* test_dirty_held.c -- a whole page's flush while a persist's batch is
 * held (region/shim_dirty_held.c): the lines it finds changed, the twin
 * refreshed, the sites it gives the batch or, refused, each line's event
 * in address order; and which pages the fence's settle may take as
 * compared (a run of pages flushed in a row, until forgotten) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_dirty_impl.h"
#include "shim_emit.h"
#include "shim_view.h"

#define PAGES 4
#define SITE_PAGE 7
#define SITE_FLUSH 9

uint8_t *shim_dirty_twin_pool; /* no pool: twins in twin_area */
bool shim_batch_on;

static uint8_t view[PAGES * SHIM_PAGE_LEN] __attribute__((aligned(4096)));
static uint8_t twin[PAGES * SHIM_PAGE_LEN];
static struct shim_region region = { .line_len = 64 };
static uint8_t page_state[PAGES];
static uint32_t page_site[PAGES], line_site[PAGES * 64], page_twin[PAGES];
static uint64_t page_lines[PAGES];
static uint8_t page_heat[PAGES];
static struct shim_mapping map = { .len = sizeof(view), .region = &region,
	.tracked = true, .page_state = page_state, .page_site = page_site,
	.page_lines = page_lines, .line_site = line_site, .twin_area = twin,
	.page_heat = page_heat, .page_twin = page_twin };

/* what the stubs of the event door saw */
static bool batch_takes;
static uint32_t held_sites[64], held_k, line_sites[64], marks;
static uint64_t held_off, held_exact, changed_seen, same_seen;

/* line_in_order -- a's line in its page, after the last one seen */
static int last_seen;
static unsigned
line_in_order(const struct shim_mapping *m, uintptr_t a)
{
	int j = (int)((a - m->base) % SHIM_PAGE_LEN / 64);
	assert_true(j > last_seen);
	last_seen = j;
	return (unsigned)j;
}

bool
shim_emit_held_lines_now(uint32_t r, uint64_t off, uint32_t k,
		const uint32_t *sites, uint64_t exact)
{
	(void)r;
	if (!batch_takes)
		return false;
	held_off = off, held_k = k, held_exact = exact;
	memcpy(held_sites, sites, k * sizeof(*sites));
	return true;
}

/* a line refused by the batch at once is refused alone too: emitted */
bool
shim_emit_held_store_now(uint32_t r, uint64_t off, uint64_t len,
		uint32_t site, bool exact)
{
	(void)r, (void)off, (void)len, (void)site, (void)exact;
	return false;
}

void
shim_emit_store(struct shim_mapping *m, uintptr_t a, size_t len,
		bool traced, bool site_exact, uint32_t site)
{
	(void)len, (void)traced, (void)site_exact;
	unsigned j = line_in_order(m, a);
	changed_seen |= (uint64_t)1 << j;
	line_sites[j] = site;
}

void
shim_emit_snapshot(struct shim_mapping *m, uintptr_t a, size_t len,
		uint32_t site)
{
	(void)m, (void)a, (void)len, (void)site;
}

void
shim_emit_same_value(struct shim_mapping *m, uintptr_t a, size_t len,
		uint32_t site)
{
	(void)len;
	unsigned j = line_in_order(m, a);
	same_seen |= (uint64_t)1 << j;
	line_sites[j] = site;
}

void
shim_media_mark(struct shim_region *r, uint64_t off, uint64_t len)
{
	(void)r, (void)off, (void)len;
	marks++;
}

static void
setup_pages(unsigned seed)
{
	srand(seed);
	map.base = (uintptr_t)view;
	for (size_t i = 0; i < sizeof(view); i++)
		view[i] = twin[i] = (uint8_t)rand();
	memset(page_state, SHIM_PAGE_DIRTY, sizeof(page_state));
	memset(line_site, 0, sizeof(line_site));
	memset(page_lines, 0, sizeof(page_lines));
	for (unsigned pg = 0; pg < PAGES; pg++)
		page_site[pg] = SITE_PAGE;
	changed_seen = same_seen = 0;
	marks = 0;
	last_seen = -1;
	shim_batch_on = true;
	shim_dirty_held_forget();
}

/* changed_by_hand -- the lines of page pg whose bytes differ */
static uint64_t
changed_by_hand(size_t pg)
{
	uint64_t c = 0;
	for (unsigned j = 0; j < 64; j++)
		if (memcmp(view + pg * SHIM_PAGE_LEN + j * 64,
				twin + pg * SHIM_PAGE_LEN + j * 64, 64) != 0)
			c |= (uint64_t)1 << j;
	return c;
}

static void
scribble(size_t pg)
{
	for (unsigned n = 1 + (unsigned)rand() % 40; n > 0; n--)
		view[pg * SHIM_PAGE_LEN + (unsigned)rand() % SHIM_PAGE_LEN] ^=
			(uint8_t)(1 + rand() % 255);
}

static void
test_taken_lines_and_refreshed_twin(void **state)
{
	(void)state;
	for (unsigned round = 0; round < 200; round++) {
		setup_pages(round);
		size_t pg = round % PAGES;
		scribble(pg);
		page_lines[pg] = (uint64_t)1 << (round % 64); /* one exact */
		line_site[pg * 64 + round % 64] = 3;
		uint64_t want = changed_by_hand(pg);
		batch_takes = true;
		uint64_t got = shim_dirty_flush_held(&map, pg,
			map.base + pg * SHIM_PAGE_LEN, SITE_FLUSH);
		assert_int_equal(got, want);
		assert_memory_equal(twin + pg * SHIM_PAGE_LEN,
			view + pg * SHIM_PAGE_LEN, SHIM_PAGE_LEN);
		assert_int_equal(held_off, pg * SHIM_PAGE_LEN);
		assert_int_equal(held_k, 64);
		for (unsigned j = 0; j < 64; j++) {
			bool ex = (want >> j) & 1 && j == round % 64;
			uint32_t site = !((want >> j) & 1) ? SITE_PAGE :
				ex ? 3 : SITE_FLUSH;
			assert_int_equal(held_sites[j], site);
			assert_int_equal((held_exact >> j) & 1, ex);
		}
		assert_int_equal(marks, want != 0);
		assert_int_equal(changed_seen | same_seen, 0);
	}
}

/* refused: each line one by one, a changed one's event or a same
 * value's, with the sites the batch would have had */
static void
test_refused_lines_one_by_one(void **state)
{
	(void)state;
	for (unsigned round = 0; round < 100; round++) {
		setup_pages(round + 1000);
		scribble(1);
		uint64_t want = changed_by_hand(1);
		batch_takes = false;
		assert_int_equal(shim_dirty_flush_held(&map, 1,
			map.base + SHIM_PAGE_LEN, SITE_FLUSH), want);
		assert_int_equal(changed_seen, want);
		assert_int_equal(same_seen, ~want);
		for (unsigned j = 0; j < 64; j++)
			assert_int_equal(line_sites[j], (want >> j) & 1 ?
				SITE_FLUSH : SITE_PAGE);
	}
}

/* the pages flushed in a row are fresh until forgotten; another run,
 * or a page before the run, is not noted (compared again) */
static void
test_fresh_pages_are_the_run_flushed(void **state)
{
	(void)state;
	setup_pages(1);
	batch_takes = true;
	for (size_t pg = 1; pg < 3; pg++)
		(void)shim_dirty_flush_held(&map, pg,
			map.base + pg * SHIM_PAGE_LEN, SITE_FLUSH);
	(void)shim_dirty_flush_held(&map, 0, map.base, SITE_FLUSH);
	assert_false(shim_dirty_held_fresh(&map, 0));
	assert_true(shim_dirty_held_fresh(&map, 1));
	assert_true(shim_dirty_held_fresh(&map, 2));
	assert_false(shim_dirty_held_fresh(&map, 3));
	struct shim_mapping other = map;
	assert_false(shim_dirty_held_fresh(&other, 1));
	shim_dirty_held_forget();
	for (size_t pg = 0; pg < PAGES; pg++)
		assert_false(shim_dirty_held_fresh(&map, pg));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_taken_lines_and_refreshed_twin),
		cmocka_unit_test(test_refused_lines_one_by_one),
		cmocka_unit_test(test_fresh_pages_are_the_run_flushed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
