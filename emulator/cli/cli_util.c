/* cli_util.c -- messages, option parsing and paths shared by sub-commands */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libgen.h>
#include <sys/stat.h>

#include "cli.h"

int
cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("pmemu: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return CLI_EXIT_USAGE;
}

void
cli_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fflush(stdout); /* after what stdout holds, never inside it */
	fputs("pmemu: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

const char *
cli_opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *a = argv[*i];
	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		cli_error("%s needs a value", name);
		exit(CLI_EXIT_USAGE);
	}
	return argv[++*i];
}

int
cli_parse_uint(const char *s, unsigned long lo, unsigned long hi,
		unsigned long *out)
{
	char *end;
	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* cli_libdir -- build/bin/pmemu finds build/lib; an installed one its libdir */
const char *
cli_libdir(void)
{
	static char dir[PATH_MAX];
	if (dir[0])
		return dir;
	const char *env = getenv("PMEMU_LIBDIR");
	if (env && *env) {
		snprintf(dir, sizeof(dir), "%s", env);
		return dir;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char cand[PATH_MAX + 32];
		char *bindir = dirname(exe);
		snprintf(cand, sizeof(cand), "%s/../lib/libpmemu.so", bindir);
		struct stat st;
		if (stat(cand, &st) == 0) {
			snprintf(dir, sizeof(dir), "%s/../lib", bindir);
			return dir;
		}
	}
	snprintf(dir, sizeof(dir), "%s", PMEMU_INSTALL_LIBDIR);
	return dir;
}
