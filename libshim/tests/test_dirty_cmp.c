/* test_dirty_cmp.c -- the changed chunks of a page (region/shim_dirty_cmp.c):
 * both methods agree with a byte compare on random pages, whichever
 * chunk, byte and bit changes; a page equal to its twin has none; a
 * refresh gives the same chunks and leaves the twin equal to the view */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shim_dirty_cmp.h"

static uint8_t view[SHIM_CMP_PAGE] __attribute__((aligned(4096)));
static uint8_t twin[SHIM_CMP_PAGE] __attribute__((aligned(4096)));

/* reference -- the changed chunks, a byte at a time */
static uint64_t
reference(void)
{
	uint64_t changed = 0;
	for (unsigned i = 0; i < SHIM_CMP_PAGE; i++)
		if (view[i] != twin[i])
			changed |= (uint64_t)1 << (i / SHIM_CMP_CHUNK);
	return changed;
}

/* check -- every method this CPU has finds what the reference finds */
static void
check(void)
{
	uint64_t want = reference();
	assert_int_equal(shim_page_changed_by(view, twin, false), want);
	if (shim_page_cmp_wide())
		assert_int_equal(shim_page_changed_by(view, twin, true), want);
	assert_int_equal(shim_page_changed(view, twin), want);
}

static void
fill(unsigned seed)
{
	srand(seed);
	for (unsigned i = 0; i < SHIM_CMP_PAGE; i++)
		view[i] = twin[i] = (uint8_t)rand();
}

static void
test_an_equal_page_has_no_change(void **state)
{
	(void)state;
	fill(1);
	check();
	assert_int_equal(shim_page_changed(view, twin), 0);
}

/* each byte of the page, one bit flipped: exactly its chunk */
static void
test_each_byte_is_seen_in_its_chunk(void **state)
{
	(void)state;
	fill(2);
	for (unsigned i = 0; i < SHIM_CMP_PAGE; i++) {
		view[i] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(shim_page_changed(view, twin),
			(uint64_t)1 << (i / SHIM_CMP_CHUNK));
		check();
		view[i] = twin[i];
	}
}

/* random sets of changed bytes, from one to many chunks */
static void
test_random_changes_agree(void **state)
{
	(void)state;
	for (unsigned round = 0; round < 2000; round++) {
		fill(round + 3);
		unsigned n = 1 + (unsigned)rand() % (1 + round % 70);
		for (unsigned j = 0; j < n; j++)
			view[(unsigned)rand() % SHIM_CMP_PAGE] ^=
				(uint8_t)(1 + rand() % 255);
		check();
	}
}

/* the unaligned pages the compare may be given (a view at any address) */
static void
test_unaligned_pages_agree(void **state)
{
	(void)state;
	static uint8_t a[SHIM_CMP_PAGE + 64], b[SHIM_CMP_PAGE + 64];
	for (unsigned off = 1; off < 64; off += 7) {
		srand(off);
		for (unsigned i = 0; i < sizeof(a); i++)
			a[i] = b[i] = (uint8_t)rand();
		a[off + 4095] ^= 1;
		a[off + 64 * 9 + 3] ^= 0x80;
		uint64_t want = ((uint64_t)1 << 63) | ((uint64_t)1 << 9);
		assert_int_equal(shim_page_changed_by(a + off, b + off, false),
			want);
		if (shim_page_cmp_wide())
			assert_int_equal(shim_page_changed_by(a + off,
				b + off, true), want);
	}
}

/* refreshed -- shim_page_refresh_by on a copy of the twin: the chunks
 * the reference finds, and the copy equals the view after */
static void
refreshed(bool wide)
{
	static uint8_t copy[SHIM_CMP_PAGE], ahead[SHIM_CMP_PAGE];
	memcpy(copy, twin, sizeof(copy));
	assert_int_equal(shim_page_refresh_by(view, copy, ahead, wide),
		reference());
	assert_memory_equal(copy, view, SHIM_CMP_PAGE);
	assert_int_equal(shim_page_refresh_by(view, copy, NULL, wide), 0);
}

static void
test_refresh_copies_the_changed_chunks(void **state)
{
	(void)state;
	for (unsigned round = 0; round < 500; round++) {
		fill(round + 7);
		unsigned n = round % 80;
		for (unsigned j = 0; j < n; j++)
			view[(unsigned)rand() % SHIM_CMP_PAGE] ^=
				(uint8_t)(1 + rand() % 255);
		refreshed(false);
		if (shim_page_cmp_wide())
			refreshed(true);
		uint8_t copy[SHIM_CMP_PAGE];
		memcpy(copy, twin, sizeof(copy));
		assert_int_equal(shim_page_refresh(view, copy, NULL),
			reference());
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_an_equal_page_has_no_change),
		cmocka_unit_test(test_each_byte_is_seen_in_its_chunk),
		cmocka_unit_test(test_random_changes_agree),
		cmocka_unit_test(test_unaligned_pages_agree),
		cmocka_unit_test(test_refresh_copies_the_changed_chunks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
