/*
 * test_dimm.c -- the text of DIR/.pmemu-dimm (emulator/trace/dimm.c)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dimm.h"

static int
parse(const char *text, struct trace_dimm *d, char *err)
{
	return trace_dimm_parse(text, strlen(text), d, err, 200);
}

static void
test_format_parses_back(void **state)
{
	(void)state;
	struct trace_dimm d = { .shutdown_count = 41 }, back;
	strcpy(d.unique_id, "8089-a2-1837-00000a31");
	char buf[TRACE_DIMM_TEXT_MAX], err[200];
	size_t n = trace_dimm_format(&d, buf, sizeof(buf));
	assert_int_equal(trace_dimm_parse(buf, n, &back, err, sizeof(err)),
			0);
	assert_int_equal(back.shutdown_count, 41);
	assert_string_equal(back.unique_id, "8089-a2-1837-00000a31");
}

static void
test_missing_keys_keep_defaults(void **state)
{
	(void)state;
	struct trace_dimm d;
	char err[200];
	assert_int_equal(parse("# nothing\n\nshutdown_count 7", &d, err), 0);
	assert_int_equal(d.shutdown_count, 7);
	assert_string_equal(d.unique_id, TRACE_DIMM_DEFAULT_ID);
	assert_int_equal(parse("", &d, err), 0);
	assert_int_equal(d.shutdown_count, 0);
}

static void
test_bad_count_names_the_line(void **state)
{
	(void)state;
	struct trace_dimm d;
	char err[200];
	assert_int_equal(parse("unique_id a\nshutdown_count x1\n", &d, err),
			-1);
	assert_string_equal(err, "line 2: shutdown_count 'x1': expected a "
			"number from 0 to 18446744073709551614");
	/* the count of a crash image is one higher: UINT64_MAX is refused */
	assert_int_equal(parse("shutdown_count 18446744073709551615", &d,
			err), -1);
	assert_int_equal(parse("shutdown_count 18446744073709551614", &d,
			err), 0);
	assert_true(d.shutdown_count == UINT64_MAX - 1);
	assert_int_equal(parse("shutdown_count -1", &d, err), -1);
	assert_int_equal(parse("shutdown_count ", &d, err), -1);
}

static void
test_bad_id_and_key(void **state)
{
	(void)state;
	struct trace_dimm d;
	char err[200];
	assert_int_equal(parse("unique_id a b\n", &d, err), -1);
	assert_string_equal(err, "line 1: unique_id 'a b': expected 1 to 40 "
			"letters, digits, '-' or '_'");
	assert_int_equal(parse("health ok\n", &d, err), -1);
	assert_string_equal(err, "line 1: unknown key 'health'; expected "
			"shutdown_count or unique_id");
	assert_int_equal(trace_dimm_parse("shutdown_count 1\0", 17, &d, err,
			200), -1);
}

static void
test_is_file(void **state)
{
	(void)state;
	assert_true(trace_dimm_is_file(".pmemu-dimm"));
	assert_false(trace_dimm_is_file("pool.obj"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_parses_back),
		cmocka_unit_test(test_missing_keys_keep_defaults),
		cmocka_unit_test(test_bad_count_names_the_line),
		cmocka_unit_test(test_bad_id_and_key),
		cmocka_unit_test(test_is_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
