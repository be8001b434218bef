/* cli_launch.c -- options of run/record and the launch of the program */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cli_launch.h"

static void
launch_usage(bool record)
{
	printf("usage: pmemu %s %s[OPTIONS] [--] PROGRAM [ARGS]\n"
		"\n"
		"  --pmem-dir DIR        files under DIR are emulated pmem "
		"(PMEMU_PMEM_DIR)\n"
		"  --domain D            adr (default), eadr, pagecache or cxl\n"
		"  --line N              cache line in bytes (64)\n"
		"  --clflush strong|weak clflush orders with later stores, or "
		"not\n"
		"  --sector 512|4096     atomic sector of a page write-back\n"
		"  --latency L           busy-wait at flushes and fences: optane,\n"
		"                        or flush=NS,fence=NS (docs/shim.md)\n"
		"  --devdax NAME:SIZE    DIR/NAME (dax0.0) is a device DAX of SIZE\n"
		"                        bytes (K, M, G; a multiple of 2M)\n"
		"  --badblock FILE:OFFSET:LEN  poison LEN bytes of DIR/FILE: a load\n"
		"                        raises SIGBUS (repeatable; docs/shim.md)\n"
		"  --ndctl on|off        libndctl sees the namespace: PMDK's\n"
		"                        unsafe shutdown count and bad-block\n"
		"                        checks (off; on with --badblock)\n"
		"  --error-exitcode N    exit N when there are findings\n"
		"  --log-file FILE       the report goes to FILE, not stderr\n"
		"  --quiet               print findings only\n",
		record ? "record" : "run", record ? "-o TRACE " : "");
}

const struct launch_platform_opt launch_platform_opts[] = {
	{ "--domain", "PMEMU_DOMAIN" },
	{ "--line", "PMEMU_LINE" },
	{ "--clflush", "PMEMU_CLFLUSH" },
	{ "--sector", "PMEMU_SECTOR" },
	{ "--latency", "PMEMU_LATENCY" },
	{ "--devdax", NULL },
	{ "--badblock", "PMEMU_BADBLOCK" },
	{ "--ndctl", "PMEMU_NDCTL" },
};
const size_t launch_nplatform = sizeof(launch_platform_opts) /
	sizeof(launch_platform_opts[0]);
_Static_assert(sizeof(launch_platform_opts) / sizeof(launch_platform_opts[0])
		<= LAUNCH_PLATFORM_MAX, "launch_opts.platform is too short");

/* repeatable -- --badblock given again adds to the list (a comma
 * between, as PMEMU_BADBLOCK takes it); the others keep the last */
static const char *
repeatable(size_t k, const char *old, const char *v)
{
	static char joined[8192];
	if (old == NULL || strcmp(launch_platform_opts[k].option,
			"--badblock") != 0)
		return v;
	if (old != joined)
		snprintf(joined, sizeof(joined), "%s", old);
	size_t n = strlen(joined);
	snprintf(joined + n, sizeof(joined) - n, ",%s", v);
	return joined;
}

void
launch_platform_set(const char **slots, size_t k, const char *v)
{
	slots[k] = repeatable(k, slots[k], v);
}

int
launch_platform_opt(int argc, char **argv, int *i, const char **value)
{
	for (size_t k = 0; k < launch_nplatform; k++) {
		*value = cli_opt_value(argc, argv, i,
				launch_platform_opts[k].option);
		if (*value != NULL)
			return (int)k;
	}
	return -1;
}

/* value_opt -- one of the valued options; 1 taken, 0 not this, -1 bad */
static int
value_opt(int argc, char **argv, int *i, struct launch_opts *o, bool record)
{
	static const struct { const char *name; size_t field; } names[] = {
		{ "--pmem-dir", offsetof(struct launch_opts, pmem_dir) },
		{ "--log-file", offsetof(struct launch_opts, log_file) },
		{ "--output", offsetof(struct launch_opts, output) },
		{ "-o", offsetof(struct launch_opts, output) },
	};
	const char *v;
	int p = launch_platform_opt(argc, argv, i, &v);
	if (p >= 0) {
		launch_platform_set(o->platform, (size_t)p, v);
		return 1;
	}
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if (!record && names[k].field ==
				offsetof(struct launch_opts, output))
			continue;
		v = cli_opt_value(argc, argv, i, names[k].name);
		if (v != NULL) {
			*(const char **)((char *)o + names[k].field) = v;
			return 1;
		}
	}
	v = cli_opt_value(argc, argv, i, "--error-exitcode");
	if (v == NULL)
		return 0;
	unsigned long n;
	if (cli_parse_uint(v, 0, 255, &n) != 0) {
		cli_error("--error-exitcode=%s: expected 0 to 255", v);
		return -1;
	}
	o->error_exitcode = (int)n;
	return 1;
}

/* resolve_pmem_dir -- the option, else PMEMU_PMEM_DIR; must be a dir */
static int
resolve_pmem_dir(struct launch_opts *o)
{
	static char dir[PATH_MAX];
	const char *d = o->pmem_dir ? o->pmem_dir : getenv("PMEMU_PMEM_DIR");
	if (d == NULL || *d == '\0')
		return cli_error("--pmem-dir DIR is required (or PMEMU_PMEM_DIR)");
	struct stat st;
	if (realpath(d, dir) == NULL || stat(dir, &st) != 0)
		return cli_error("--pmem-dir %s: %s", d, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cli_error("--pmem-dir %s: not a directory", d);
	o->pmem_dir = dir;
	return 0;
}

int
launch_parse(int argc, char **argv, bool record, struct launch_opts *o,
		int *exit_code)
{
	memset(o, 0, sizeof(*o));
	o->error_exitcode = -1;
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			launch_usage(record);
			*exit_code = CLI_EXIT_OK;
			return -1;
		}
		if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			o->quiet = true;
			continue;
		}
		int r = value_opt(argc, argv, &i, o, record);
		if (r < 0)
			goto usage;
		if (r > 0)
			continue;
		if (a[0] == '-') {
			cli_error("unknown option '%s'; see 'pmemu %s --help'", a,
				record ? "record" : "run");
			goto usage;
		}
		break;
	}
	if (i >= argc) {
		cli_error("no program to run; see 'pmemu %s --help'",
			record ? "record" : "run");
		goto usage;
	}
	if (record && o->output == NULL) {
		cli_error("-o TRACE is required");
		goto usage;
	}
	if (resolve_pmem_dir(o) != 0 || cli_dimm_check(o->pmem_dir) != 0)
		goto usage;
	for (size_t k = 0; k < launch_nplatform; k++)
		if (o->platform[k] && strcmp(launch_platform_opts[k].option,
				"--devdax") == 0 &&
				launch_devdax(o->pmem_dir, o->platform[k]) != 0)
			goto usage;
	o->argv = argv + i;
	return 0;
usage:
	*exit_code = CLI_EXIT_USAGE;
	return -1;
}

/* preload -- LD_PRELOAD with libpmemu.so first */
static void
child_env(const struct launch_opts *o, const char *env_name,
		const char *env_path)
{
	static char preload[PATH_MAX * 2];
	const char *old = getenv("LD_PRELOAD");
	snprintf(preload, sizeof(preload), "%s/libpmemu.so%s%s", cli_libdir(),
		old && *old ? ":" : "", old ? old : "");
	setenv("LD_PRELOAD", preload, 1);
	setenv("PMEMU_PMEM_DIR", o->pmem_dir, 1);
	for (size_t k = 0; k < launch_nplatform; k++)
		if (o->platform[k] != NULL && launch_platform_opts[k].env)
			setenv(launch_platform_opts[k].env, o->platform[k], 1);
	/* options of the CLI itself: the program need not see them */
	unsetenv("PMEMU_ERROR_EXITCODE");
	unsetenv("PMEMU_LOG_FILE");
	unsetenv("PMEMU_QUIET");
	unsetenv("PMEMU_ROOT_PID");
	unsetenv("PMEMU_REPORT");
	unsetenv("PMEMU_TRACE");
	setenv(env_name, env_path, 1);
}

long launch_pid;

/* pass_on -- a signal for pmemu, sent to the program it runs */
static void
pass_on(int sig)
{
	if (launch_pid > 0)
		kill((pid_t)launch_pid, sig);
}

int
launch_run(const struct launch_opts *o, const char *env_name,
		const char *env_path)
{
	char lib[PATH_MAX + 16];
	snprintf(lib, sizeof(lib), "%s/libpmemu.so", cli_libdir());
	if (access(lib, R_OK) != 0) {
		cli_error("%s: %s", lib, strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		cli_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		child_env(o, env_name, env_path);
		execvp(o->argv[0], o->argv);
		fprintf(stderr, "pmemu: error: cannot run %s: %s\n", o->argv[0],
			strerror(errno));
		_exit(CLI_EXIT_USAGE);
	}
	launch_pid = pid;
	/* as system(): the terminal's ^C is for the program; a SIGTERM for
	 * us is passed on, so the program ends and its trace is trimmed */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	struct sigaction term = { .sa_handler = pass_on }, old_term;
	sigemptyset(&term.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	sigaction(SIGTERM, &term, &old_term);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
