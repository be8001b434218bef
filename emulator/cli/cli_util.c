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
#include "common.h"

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
	return parse_decimal(s, lo, hi, out); /* the shim's PMEMU_* too */
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

/* mount_of -- the mount point holding path: the last directory up from
 * it on the same device */
static void
mount_of(const char *path, char *mnt, size_t len)
{
	char dir[PATH_MAX];
	struct stat st, up;
	if (realpath(path, dir) == NULL || stat(dir, &st) != 0) {
		snprintf(mnt, len, "%s", path);
		return;
	}
	for (;;) {
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", dir);
		char *slash = strrchr(parent, '/');
		if (slash == NULL || strcmp(dir, "/") == 0)
			break;
		if (slash == parent)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(parent, &up) != 0 || up.st_dev != st.st_dev)
			break;
		snprintf(dir, sizeof(dir), "%s", parent);
	}
	snprintf(mnt, len, "%s", dir);
}

int
cli_space_error(const char *what, const char *path)
{
	char dir[PATH_MAX], mnt[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	mount_of(dirname(dir), mnt, sizeof(mnt));
	return cli_error("%s incomplete: no space left on %s", what, mnt);
}
