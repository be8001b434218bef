/* test_lazy_branch.c -- which contents of a line a read branches on
 * (libshim/lazy/lazy_branch.h), for lines of up to 64 bytes (byte masks)
 * and longer ones (a file API page of 4096 bytes: whole) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lazy_branch.h"

#define PAGE 4096

static uint8_t contents[3][PAGE];

static const uint8_t *
content(const void *ctx, size_t k)
{
	(void)ctx;
	return contents[k];
}

/* three contents: 0 the durable one, 1 and 2 new in the first sector,
 * 2 also past it (a torn write-back and the whole one) */
static void
fill(uint32_t len)
{
	memset(contents, 0, sizeof(contents));
	contents[1][0] = contents[2][0] = 1;
	contents[2][len - 1] = 2;
}

static void
test_a_long_line_read_first_branches_on_every_other_content(void **state)
{
	(void)state;
	fill(PAGE);
	/* the run holds content 0 and has read none of the line before:
	 * every other distinct content is a run of its own */
	for (size_t k = 1; k < 3; k++)
		assert_true(lw_is_branch(content, NULL, k, contents[0], 0,
				~0ull, PAGE));
	assert_false(lw_is_branch(content, NULL, 0, contents[0], 0, ~0ull,
			PAGE));
	assert_true(lw_same_bytes(contents[1], contents[2], 0, PAGE));
	assert_false(lw_same_bytes(contents[1], contents[2], ~0ull, PAGE));
}

static void
test_a_short_line_branches_on_the_bytes_read(void **state)
{
	(void)state;
	fill(64);
	/* byte 0 read: 1 differs there; 2 has the same byte 0 as 1 */
	assert_true(lw_is_branch(content, NULL, 1, contents[0], 0, 1, 64));
	assert_false(lw_is_branch(content, NULL, 2, contents[0], 0, 1, 64));
	/* byte 63 read after byte 0 (known): only contents agreeing on byte
	 * 0 with the run (content 1's run) and differing at 63 */
	assert_true(lw_is_branch(content, NULL, 2, contents[1], 1,
			1ull << 63, 64));
	assert_false(lw_is_branch(content, NULL, 0, contents[1], 1,
			1ull << 63, 64));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_a_long_line_read_first_branches_on_every_other_content),
		cmocka_unit_test(test_a_short_line_branches_on_the_bytes_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
