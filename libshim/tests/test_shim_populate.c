/* test_shim_populate.c -- a sequential pass's first touches populated in
 * batches, nothing for pages written here and there, a read-only mapping
 * populated for reading (core/shim_populate.c) */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "real.h"
#include "shim_populate.h"

#define PAGE 4096u
#define PAGES 1024u

static uint8_t *map;
static struct shim_populate ahead;

/* a fresh shared file mapping of PAGES pages, none in memory */
static int
setup(void **state)
{
	(void)state;
	int fd = memfd_create("test-populate", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)PAGES * PAGE) != 0)
		return -1;
	map = mmap(NULL, (size_t)PAGES * PAGE, PROT_READ | PROT_WRITE,
		MAP_SHARED, fd, 0);
	close(fd);
	ahead = (struct shim_populate){ 0 };
	return map == MAP_FAILED ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return munmap(map, (size_t)PAGES * PAGE);
}

/* the pages of [from, to) in memory */
static unsigned
resident(unsigned from, unsigned to)
{
	unsigned char vec[PAGES];
	assert_int_equal(mincore(map, (size_t)PAGES * PAGE, vec), 0);
	unsigned n = 0;
	for (unsigned p = from; p < to; p++)
		n += vec[p] & 1;
	return n;
}

/* each line of page pg written, as the media's write-back does */
static void
write_page(unsigned pg, uintptr_t hi)
{
	for (unsigned off = 0; off < PAGE; off += 64) {
		uint8_t *at = map + (size_t)pg * PAGE + off;
		shim_populate_touch(&ahead, (uintptr_t)at, (uintptr_t)map, hi);
		*at = 1;
	}
}

static void
test_a_sequential_pass_is_populated_in_batches(void **state)
{
	(void)state;
	uintptr_t hi = (uintptr_t)map + (size_t)PAGES * PAGE;
	uint64_t calls = shim_populate_calls();
	for (unsigned pg = 0; pg < 300; pg++)
		write_page(pg, hi);
	uint64_t made = shim_populate_calls() - calls;
	/* 4, 8, 16, 16, ...: a call per batch, not per page */
	assert_true(made >= 300 / SHIM_POPULATE_BATCH_MAX);
	assert_true(made <= 300 / SHIM_POPULATE_BATCH_MAX + 4);
	/* ahead of the last page written: at most the last batch */
	unsigned past = resident(300, PAGES);
	assert_true(past <= SHIM_POPULATE_BATCH_MAX);
	/* a second pass makes no call */
	calls = shim_populate_calls();
	for (unsigned pg = 0; pg < 300; pg++)
		write_page(pg, hi);
	assert_int_equal(shim_populate_calls(), calls);
}

static void
test_pages_here_and_there_are_not_populated(void **state)
{
	(void)state;
	uintptr_t hi = (uintptr_t)map + (size_t)PAGES * PAGE;
	uint64_t calls = shim_populate_calls();
	for (unsigned pg = 0; pg < PAGES; pg += 2) /* never two in a row */
		write_page(pg, hi);
	for (unsigned pg = 501; pg > 1; pg -= 4) /* downwards */
		write_page(pg, hi);
	assert_int_equal(shim_populate_calls(), calls);
	assert_int_equal(resident(0, PAGES), PAGES / 2 + 125);
}

/* runs shorter than SHIM_POPULATE_RUN: nothing; a longer one: no more
 * pages past its end than it wrote */
static void
test_no_more_ahead_than_the_run_wrote(void **state)
{
	(void)state;
	uintptr_t hi = (uintptr_t)map + (size_t)PAGES * PAGE;
	uint64_t calls = shim_populate_calls();
	for (unsigned at = 0; at < 200; at += 10) /* runs of 3 pages */
		for (unsigned pg = at; pg < at + SHIM_POPULATE_RUN - 1; pg++)
			write_page(pg, hi);
	assert_int_equal(shim_populate_calls(), calls);
	assert_int_equal(resident(0, PAGES), 20 * (SHIM_POPULATE_RUN - 1));
	for (unsigned pg = 300; pg < 306; pg++) /* a run of 6 */
		write_page(pg, hi);
	assert_true(shim_populate_calls() > calls);
	assert_true(resident(306, PAGES) <= 6);
}

static void
test_never_past_the_mapping(void **state)
{
	(void)state;
	uintptr_t hi = (uintptr_t)map + 40u * PAGE; /* the mapping's end */
	for (unsigned pg = 0; pg < 36; pg++)
		write_page(pg, hi);
	assert_int_equal(resident(0, 40), 40);
	assert_int_equal(resident(40, PAGES), 0);
}

static void
test_errno_is_the_programs(void **state)
{
	(void)state;
	uintptr_t hi = (uintptr_t)map + (size_t)PAGES * PAGE;
	errno = 1234;
	for (unsigned pg = 0; pg < 20; pg++)
		write_page(pg, hi);
	assert_int_equal(errno, 1234);
}

/* a protected view: its pages mapped to be read, never written */
static void
test_a_read_only_mapping_is_populated_for_reading(void **state)
{
	(void)state;
	uintptr_t hi = (uintptr_t)map + (size_t)PAGES * PAGE;
	assert_int_equal(mprotect(map, (size_t)PAGES * PAGE, PROT_READ), 0);
	ahead.read = true;
	uint64_t calls = shim_populate_calls();
	for (unsigned pg = 0; pg < 100; pg++)
		shim_populate_touch(&ahead, (uintptr_t)map + pg * PAGE,
			(uintptr_t)map, hi);
	assert_true(shim_populate_calls() - calls >= 3);
	assert_int_equal(resident(SHIM_POPULATE_RUN - 1, 100),
		100 - (SHIM_POPULATE_RUN - 1));
}

int
main(void)
{
	shim_real_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_a_sequential_pass_is_populated_in_batches,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_pages_here_and_there_are_not_populated,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_no_more_ahead_than_the_run_wrote, setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_past_the_mapping,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_errno_is_the_programs,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_read_only_mapping_is_populated_for_reading,
			setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
