/* test_check_cmd.c -- the --check command line (explore/check_cmd.c):
 * which templates run without a shell, and how values are quoted */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../explore/check_cmd.c"

static void
assert_shell(const char *tmpl, const char *pmem, const char *want)
{
	char *got = xp_check_cmd_shell(tmpl, pmem, "/d ir");
	assert_string_equal(got, want);
	free(got);
}

static void
test_values_are_quoted_where_they_stand(void **state)
{
	(void)state;
	assert_shell("check {pmem} && ls {pmemdir}", "/a b;c",
			"check '/a b;c' && ls '/d ir'");
	assert_shell("check {pmem}", "it's", "check 'it'\\''s'");
	assert_shell("check '{pmem}'", "it's", "check 'it'\\''s'");
	assert_shell("check \"{pmem}\"", "$(x)`y`\"\\",
			"check \"\\$(x)\\`y\\`\\\"\\\\\"");
	assert_shell("echo \\' {pmem}", "x", "echo \\' 'x'");
	assert_shell("echo \"it's\" {pmem}", "x", "echo \"it's\" 'x'");
}

static void
test_plain_words_need_no_shell(void **state)
{
	(void)state;
	struct xp_check_cmd c;
	assert_int_equal(xp_check_cmd_parse("  ./check  -v\t{pmem} "
			"--dir={pmemdir} ", &c), 0);
	assert_true(c.simple);
	char **argv = xp_check_cmd_argv(&c, "/p q;$(x)", "/d");
	assert_string_equal(argv[0], "./check");
	assert_string_equal(argv[1], "-v");
	assert_string_equal(argv[2], "/p q;$(x)");
	assert_string_equal(argv[3], "--dir=/d");
	assert_null(argv[4]);
	xp_check_cmd_argv_free(argv);
	xp_check_cmd_free(&c);
}

static void
assert_needs_shell(const char *tmpl)
{
	struct xp_check_cmd c;
	assert_int_equal(xp_check_cmd_parse(tmpl, &c), 0);
	if (c.simple)
		fail_msg("'%s' taken as a plain command", tmpl);
	xp_check_cmd_free(&c);
}

static void
test_shell_syntax_needs_the_shell(void **state)
{
	(void)state;
	const char *const t[] = { "a {pmem} && b", "a {pmem}; b", "a | b",
		"a $X", "a `b`", "a 'q'", "a \"q\"", "a > f", "a\nb",
		"X=1 a {pmem}", "exit 3", "cd / {pmem}", "a ~/f", "a *",
		"a {x,y}", "a # c", "a \\n", "true {pmem}", "test -s {pmem}",
		NULL };
	for (size_t i = 0; t[i]; i++)
		assert_needs_shell(t[i]);
}

static void
test_an_empty_command_is_refused(void **state)
{
	(void)state;
	struct xp_check_cmd c;
	assert_int_equal(xp_check_cmd_parse(" \t ", &c), -1);
	xp_check_cmd_free(&c);
	assert_int_equal(xp_check_cmd_parse("", &c), -1);
	xp_check_cmd_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_are_quoted_where_they_stand),
		cmocka_unit_test(test_plain_words_need_no_shell),
		cmocka_unit_test(test_shell_syntax_needs_the_shell),
		cmocka_unit_test(test_an_empty_command_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
