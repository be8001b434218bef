/* test_xalloc.c -- an allocation the emulator cannot go on without says
 * what failed (size, what for) on stderr, then aborts (xalloc.h) */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../explore/xalloc.h"

#define TOO_BIG ((size_t)1 << 62) /* more than any address space */

/* runs fn in a child; its stderr into err, its wait status returned */
static int
in_child(void (*fn)(void), char *err, size_t cap)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		fn();
		_exit(0);
	}
	close(fds[1]);
	size_t n = 0;
	ssize_t r;
	while (n < cap - 1 && (r = read(fds[0], err + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	err[n] = '\0';
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void
too_big_malloc(void)
{
	(void)xmalloc(TOO_BIG, "a test table");
}

static void
too_big_realloc(void)
{
	(void)xrealloc(NULL, TOO_BIG, "grow: lines");
}

static void
test_failure_says_what_and_aborts(void **state)
{
	(void)state;
	char err[256];
	int status = in_child(too_big_malloc, err, sizeof(err));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_string_equal(err, "pmemu: error: out of memory (4611686018427387904"
		" bytes for a test table)\n");
	status = in_child(too_big_realloc, err, sizeof(err));
	assert_true(WIFSIGNALED(status));
	assert_string_equal(err, "pmemu: error: out of memory (4611686018427387904"
		" bytes for grow: lines)\n");
}

static void
test_success_is_the_allocation(void **state)
{
	(void)state;
	char *p = xmalloc(16, "x");
	memset(p, 1, 16);
	int *z = xcalloc(4, sizeof(*z), "z");
	for (int i = 0; i < 4; i++)
		assert_int_equal(z[i], 0);
	p = xrealloc(p, 32, "x");
	assert_int_equal(p[15], 1);
	char *d = xstrdup("abc", "d");
	assert_string_equal(d, "abc");
	free(p);
	free(z);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failure_says_what_and_aborts),
		cmocka_unit_test(test_success_is_the_allocation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
