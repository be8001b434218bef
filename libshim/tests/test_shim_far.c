/* test_shim_far.c -- the views' area and the far area (core/shim_far.c):
 * never over another mapping, away from where the kernel places them */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "real.h"
#include "shim_far.h"

#define PAGE 4096u
#define TIB ((uintptr_t)1 << 40)

static uintptr_t
distance(uintptr_t a, uintptr_t b)
{
	return a > b ? a - b : b - a;
}

static void *
anon(void *at, int flags)
{
	return mmap(at, PAGE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
}

static void
test_mmap_at_never_over_another(void **state)
{
	(void)state;
	char *mine = anon(NULL, 0);
	assert_ptr_not_equal(mine, MAP_FAILED);
	mine[0] = 'x';
	assert_ptr_equal(shim_mmap_at((uintptr_t)mine, PAGE,
		PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		MAP_FAILED);
	assert_int_equal(mine[0], 'x');
	assert_int_equal(munmap(mine, PAGE), 0);
	void *p = shim_mmap_at((uintptr_t)mine, PAGE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_ptr_equal(p, mine);
	munmap(p, PAGE);
}

static void
test_far_from_the_kernels_choice(void **state)
{
	(void)state;
	char *near = anon(NULL, 0);
	char *a = shim_far_mmap(PAGE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *b = shim_far_mmap(PAGE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_ptr_not_equal(a, MAP_FAILED);
	assert_true(distance((uintptr_t)a, (uintptr_t)near) > 2 * TIB);
	assert_ptr_equal(b, a - PAGE); /* the area grows down */
	uintptr_t views = shim_far_views_end();
	assert_true(views > (uintptr_t)a + TIB); /* the aliases between */
	assert_true(distance(views, (uintptr_t)near) > TIB);
	munmap(near, PAGE);
	munmap(a, PAGE);
	munmap(b, PAGE);
}

static void
test_far_taken_goes_where_the_kernel_chooses(void **state)
{
	(void)state;
	char *a = shim_far_mmap(PAGE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *mine = anon(a - PAGE, MAP_FIXED_NOREPLACE); /* the next one */
	assert_ptr_equal(mine, a - PAGE);
	mine[0] = 'x';
	char *b = shim_far_mmap(PAGE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_ptr_not_equal(b, MAP_FAILED);
	assert_ptr_not_equal(b, mine);
	assert_int_equal(mine[0], 'x');
	munmap(a, PAGE);
	munmap(b, PAGE);
	munmap(mine, PAGE);
}

int
main(void)
{
	shim_real_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmap_at_never_over_another),
		cmocka_unit_test(test_far_from_the_kernels_choice),
		cmocka_unit_test(test_far_taken_goes_where_the_kernel_chooses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
