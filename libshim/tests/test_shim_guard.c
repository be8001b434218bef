/* test_shim_guard.c -- the one guard of every entry point
 * (shim_intercept.h) and the real functions behind the interposers
 * (core/real.c) */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "real.h"
#include "shim_intercept.h"

__thread int shim_depth __attribute__((tls_model("initial-exec")));
volatile bool shim_active;

static int inner_errno; /* what the entry point's work leaves in errno */
static int entered;     /* how many times the work ran */

/* an entry point with no REAL, as a plugin hook or the pmemu_* API */
static int
entry_point(bool fails)
{
	SHIM_ENTER_OR_RETURN(-1);
	entered++;
	errno = inner_errno;
	int ret = fails ? -1 : 0;
	if (ret != 0)
		SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return ret;
}

static int
setup(void **state)
{
	(void)state;
	shim_depth = 0;
	shim_active = true;
	entered = 0;
	inner_errno = ENOENT;
	return 0;
}

static void
test_success_keeps_the_programs_errno(void **state)
{
	(void)state;
	errno = EAGAIN;
	assert_int_equal(entry_point(false), 0);
	assert_int_equal(entered, 1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(shim_depth, 0);
}

static void
test_failure_returns_its_errno(void **state)
{
	(void)state;
	errno = EAGAIN;
	inner_errno = EEXIST;
	assert_int_equal(entry_point(true), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(shim_depth, 0);
}

static void
test_nested_call_does_nothing(void **state)
{
	(void)state;
	shim_depth = 1;
	errno = EAGAIN;
	assert_int_equal(entry_point(false), -1);
	assert_int_equal(entered, 0);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(shim_depth, 1);
}

static void
test_inactive_shim_does_nothing(void **state)
{
	(void)state;
	shim_active = false;
	assert_int_equal(entry_point(false), -1);
	assert_int_equal(entered, 0);
	assert_int_equal(shim_depth, 0);
}

/* the test defines close, as libpmemu does: REAL(close) is libc's */
int
close(int fd)
{
	(void)fd;
	return 12345;
}

static void
test_real_skips_our_own_definition(void **state)
{
	(void)state;
	shim_real_init();
	assert_true(shim_real_ready);
	assert_non_null(REAL(close));
	assert_ptr_not_equal((void *)REAL(close), (void *)close);
	assert_ptr_equal((void *)REAL(close), dlsym(RTLD_NEXT, "close"));
	assert_int_equal(REAL(close)(-1), -1);
	assert_int_equal(errno, EBADF);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_success_keeps_the_programs_errno,
				setup),
		cmocka_unit_test_setup(test_failure_returns_its_errno, setup),
		cmocka_unit_test_setup(test_nested_call_does_nothing, setup),
		cmocka_unit_test_setup(test_inactive_shim_does_nothing, setup),
		cmocka_unit_test(test_real_skips_our_own_definition),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
