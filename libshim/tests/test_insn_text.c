/*
 * test_insn_text.c -- the writable window over code (insn_text.c): the
 * sites of a run of adjacent pages share one window, every byte lands,
 * pages keep executing while open, and every page gets its protection
 * back when the window closes
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "insn_text.h"

#define PAGE 4096u
#define PAGES 5

/* perms -- the "rwxp" field of /proc/self/maps for the page at a */
static void
perms(uintptr_t a, char out[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	unsigned long lo, hi;
	char p[5];
	strcpy(out, "????");
	while (fscanf(f, "%lx-%lx %4s%*[^\n]", &lo, &hi, p) == 3)
		if (a >= lo && a < hi) {
			strcpy(out, p);
			break;
		}
	fclose(f);
}

static void
assert_perms(uint8_t *base, const char *want)
{
	char p[5];
	for (unsigned i = 0; i < PAGES; i++) {
		perms((uintptr_t)base + i * PAGE, p);
		assert_int_equal(p[0], 'r');
		assert_int_equal(p[1], want[i]);
		assert_int_equal(p[2], 'x');
	}
}

/* write -- what insn_patch.c's text_write does */
static void
write(struct text_window *w, uint8_t *at, const uint8_t *b, size_t n)
{
	assert_int_equal(text_window_cover(w, (uintptr_t)at, n,
			PROT_READ | PROT_EXEC), 0);
	memcpy(at, b, n);
	if (!w->exec)
		text_window_close(w);
}

/* code_pages -- PAGES pages of nops, read and executable */
static uint8_t *
code_pages(void)
{
	uint8_t *base = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(base != MAP_FAILED);
	memset(base, 0x90, PAGES * PAGE);
	assert_int_equal(mprotect(base, PAGES * PAGE, PROT_READ | PROT_EXEC),
			0);
	return base;
}

/* run of pages 0-1, a site across their boundary, page 3 after a gap:
 * two windows, five mprotects (two per write was ten) */
static void
adjacent_pages_share_a_window(void **state)
{
	(void)state;
	uint8_t *base = code_pages();
	uint8_t want[PAGES * PAGE];
	memcpy(want, base, sizeof(want));
	static const uint8_t int3 = 0xcc;
	static const uint8_t jmp[5] = { 0xe9, 1, 2, 3, 4 };
	const size_t at[] = { 10, PAGE - 2, 100, 3 * PAGE + 7, 3 * PAGE + 90 };
	struct text_window w = { 0 };
	for (size_t i = 0; i < sizeof(at) / sizeof(*at); i++) {
		const uint8_t *b = i % 2 ? jmp : &int3;
		size_t n = i % 2 ? sizeof(jmp) : 1;
		write(&w, base + at[i], b, n);
		memcpy(want + at[i], b, n);
		if (i == 2) /* pages 0 and 1 open, executable, the rest not */
			assert_perms(base, "ww--" "-");
	}
	assert_true(w.exec);
	text_window_close(&w);
	assert_memory_equal(base, want, sizeof(want));
	assert_perms(base, "-----");
	assert_int_equal(w.calls, 5);
	munmap(base, PAGES * PAGE);
}

/* a site below the window grows it down; a different protection (another
 * segment) closes it first */
static void
window_grows_down_and_closes_on_other_prot(void **state)
{
	(void)state;
	uint8_t *base = code_pages();
	struct text_window w = { 0 };
	static const uint8_t b = 0xcc;
	write(&w, base + 2 * PAGE + 5, &b, 1);
	write(&w, base + PAGE + 5, &b, 1);
	assert_int_equal(w.calls, 2);
	assert_true(w.lo == (uintptr_t)base + PAGE &&
			w.hi == (uintptr_t)base + 3 * PAGE);
	assert_int_equal(text_window_cover(&w, (uintptr_t)base + 3 * PAGE, 1,
			PROT_READ | PROT_WRITE | PROT_EXEC), 0);
	assert_int_equal(w.calls, 4); /* closed, then opened */
	assert_perms(base, "---w-");
	text_window_close(&w);
	assert_int_equal(base[PAGE + 5], 0xcc);
	assert_int_equal(base[2 * PAGE + 5], 0xcc);
	munmap(base, PAGES * PAGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(adjacent_pages_share_a_window),
		cmocka_unit_test(window_grows_down_and_closes_on_other_prot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
