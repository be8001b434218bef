/* ct.c -- the crash-test programs' shared command line and helpers */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ct.h"

static const char *planted;
static const char *prog_name = "crash-test";

bool
ct_bug(const char *bug)
{
	return planted != NULL && strcmp(planted, bug) == 0;
}

void
ct_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

int
ct_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("inconsistent: ");
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
	return 1;
}

int
ct_pmempool_check(const char *pool)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		ct_die("fork: %m");
	if (pid == 0) {
		execlp("pmempool", "pmempool", "check", pool, (char *)NULL);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		ct_die("waitpid: %m");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return ct_fail("pmempool check %s: status %d", pool, st);
	return 0;
}

uint64_t
ct_sum(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static int
usage(const struct ct_program *p)
{
	fprintf(stderr, "usage: %s run POOL [BUG] | check POOL\nbugs:",
			p->name);
	for (const char *const *b = p->bugs; *b; b++)
		fprintf(stderr, " %s", *b);
	fputc('\n', stderr);
	return 2;
}

int
ct_main(const struct ct_program *p, int argc, char **argv)
{
	prog_name = p->name;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return p->check(argv[2]);
	if (argc < 3 || argc > 4 || strcmp(argv[1], "run") != 0)
		return usage(p);
	if (argc == 4) {
		const char *const *b = p->bugs;
		while (*b && strcmp(*b, argv[3]) != 0)
			b++;
		if (*b == NULL)
			return usage(p);
		planted = *b;
	}
	return p->run(argv[2]);
}
