/* explore_args.c -- the command line of `pmemu explore`: its defaults,
 * its options and their errors (docs/options.md); cmd_explore.c runs it */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "explore_args.h"
#include "points.h"

static const char usage_text[] =
"usage: pmemu explore [OPTIONS] (--check 'CMD' | --check-so LIB:FUNC)\n"
"                     (--trace TRACE | -- PROGRAM [ARGS])\n"
"\n"
"  --trace TRACE        explore this trace (else record PROGRAM first)\n"
"  --check 'CMD'        run CMD per image (by /bin/sh -c when it has shell\n"
"                       syntax); {pmem} is the image file (the directory\n"
"                       with several regions), {pmemdir} the directory,\n"
"                       both quoted. Exit 0 = consistent.\n"
"                       Without them CMD runs under libpmemu.so and the\n"
"                       program's own paths name the image\n"
"  --check-so LIB:FUNC  call int FUNC(const char *image) in a forked child\n"
"  --in-process         ... without forking (no timeout, no crash safety)\n"
"  --fork-server on|off --check: fork the check per state at its first\n"
"                       access to the image, when safe (on)\n"
"  --strategy S         pessimistic (default), inflight, eviction, torn,\n"
"                       poison, all (not poison), or a comma list\n"
"  --crash-at S         fence (default), flush, store, marker, all, or a list\n"
"  --crash-points M     all or unique-stack (default: unique-stack above\n"
"                       --max-points=10000 points)\n"
"  --explore MODE       auto (default: lazy where crash points have many\n"
"                       states), eager (every state) or lazy (the states\n"
"                       of the lines the check reads; docs/explore.md)\n"
"  --lazy-fork on|off   lazy: the check forks at its first read of a line\n"
"                       per other outcome instead of running again (off)\n"
"  --budget N           lazy: at most N runs of the check per crash point\n"
"                       (10000)\n"
"  --error-on-unpersisted-read  lazy: a read by the check of data that was\n"
"                       not durable at the crash fails the run (else a\n"
"                       warning)\n"
"  --max-lines N        every combination up to N undecided lines (8)\n"
"  --max-states N       ... and N combinations; at most N states a crash\n"
"                       point (4096)\n"
"  --samples N          random combinations beyond those bounds (0)\n"
"  --seed N             seed of those samples (0)\n"
"  --from NAME, --to NAME  crash points between these markers only\n"
"  --timeout SECONDS    a check running longer fails (10)\n"
"  --jobs N             checks in parallel (number of CPUs; at most 256)\n"
"  --shard K/N          check the K-th of N parts of the images\n"
"  --json FILE          the report as JSON (docs/report-json.md); - stdout\n"
"  --pmem-dir DIR       read the media files from DIR (a moved trace)\n"
"  --no-explain         skip the minimal explanation\n"
"  --verbose            list every failing crash point (else the first 10,\n"
"                       then counts per call stack)\n"
"  --no-progress        no progress line (shown on a tty by default)\n"
"  --domain D, --line N, --clflush M, --sector N, --latency L,\n"
"  --devdax NAME:SIZE, --badblock FILE:OFFSET:LEN, --ndctl on|off\n"
"                       as `pmemu record`, for PROGRAM;\n"
"                       --domain adr,eadr explores each domain\n"
"  --time-limit SECONDS stop after SECONDS of exploring: report what was\n"
"                       explored, exit 3\n"
"  --allow-program-failure  explore the trace of a program that failed\n"
"exit status: 0 every state passed, 1 a state failed, 2 usage or input,\n"
"3 --time-limit reached, 130/143 interrupted by SIGINT/SIGTERM\n";

#define JOBS_MAX 256  /* checks in parallel (docs/options.md) */


/* absolute_pmem_dir -- --pmem-dir (else PMEMU_PMEM_DIR) as an absolute
 * path: the recording and a check under the shim run elsewhere, and the
 * shim takes only absolute directories */
static int
absolute_pmem_dir(struct explore_args *a)
{
	const char *d = a->o.pmem_dir ? a->o.pmem_dir : getenv("PMEMU_PMEM_DIR");
	struct stat st;
	if (d == NULL || *d == '\0')
		return 0;
	if (realpath(d, a->pmem_dir) == NULL || stat(a->pmem_dir, &st) != 0)
		return cli_error("--pmem-dir %s: %s", d, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cli_error("--pmem-dir %s: not a directory", d);
	a->o.pmem_dir = a->pmem_dir;
	return 0;
}

static int
parse_shard(const char *v, unsigned long *k, unsigned long *n)
{
	char *end;
	if (v[0] < '0' || v[0] > '9')
		return cli_error("--shard %s: expected K/N, e.g. 1/4", v);
	*k = strtoul(v, &end, 10);
	if (*end != '/' || end[1] < '0' || end[1] > '9')
		return cli_error("--shard %s: expected K/N, e.g. 1/4", v);
	*n = strtoul(end + 1, &end, 10);
	if (*end != '\0')
		return cli_error("--shard %s: expected K/N, e.g. 1/4", v);
	if (*n == 0 || *n > 1000000)
		return cli_error("--shard %s: N must be between 1 and 1000000", v);
	if (*k == 0 || *k > *n)
		return cli_error("--shard %s: K must be between 1 and N", v);
	return 0;
}

static int
parse_count(const char *opt, const char *v, unsigned long lo,
		unsigned long *out)
{
	if (cli_parse_uint(v, lo, ULONG_MAX / 2, out) != 0)
		return cli_error("%s %s: expected a number of at least %lu",
				opt, v, lo);
	return 0;
}

/* parse_jobs -- --jobs N, at most JOBS_MAX */
static int
parse_jobs(struct xp_opts *o, const char *v)
{
	if (parse_count("--jobs", v, 1, &o->jobs) != 0)
		return CLI_EXIT_USAGE;
	o->jobs_set = true;
	if (o->jobs > JOBS_MAX) {
		cli_note("--jobs %lu: at most %d checks run in parallel", o->jobs,
				JOBS_MAX);
		o->jobs = JOBS_MAX;
	}
	return 0;
}

/* set_check -- --check CMD or --check-so LIB:FUNC (the last of a kind),
 * not both */
static int
set_check(struct xp_opts *o, const char *opt, const char *v)
{
	enum xp_check_kind kind = strcmp(opt, "--check") == 0 ?
		XP_CHECK_EXEC : XP_CHECK_SO_FORK;
	if (o->check.cmd != NULL && o->check.kind != kind)
		return cli_error("explore: --check and --check-so exclude each "
				"other");
	if (v[strspn(v, " \t")] == '\0')
		return cli_error("explore: %s '%s': empty command", opt, v);
	o->check.cmd = v;
	o->check.kind = kind;
	return 0;
}

/* parse_value_opt -- one option that takes a value; 1 not ours */
static int
parse_value_opt(struct explore_args *a, int argc, char **argv, int *i)
{
	struct xp_opts *o = &a->o;
	const char *v;
	if ((v = cli_opt_value(argc, argv, i, "--trace")))
		o->trace = v;
	else if ((v = cli_opt_value(argc, argv, i, "--check")))
		return set_check(o, "--check", v);
	else if ((v = cli_opt_value(argc, argv, i, "--check-so")))
		return set_check(o, "--check-so", v);
	else if ((v = cli_opt_value(argc, argv, i, "--fork-server"))) {
		if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
			return cli_error("--fork-server %s: expected on or off",
					v);
		o->check.fork_server = strcmp(v, "on") == 0;
	}
	else if ((v = cli_opt_value(argc, argv, i, "--strategy"))) {
		if (xp_strategy_parse(v, &o->strategies) != 0)
			return cli_error("--strategy %s: expected pessimistic, "
				"inflight, eviction, torn, poison or all", v);
	} else if ((v = cli_opt_value(argc, argv, i, "--crash-at"))) {
		if (xp_crash_at_parse(v, &o->crash_at) != 0)
			return cli_error("--crash-at %s: expected fence, flush, "
				"store, marker or all", v);
	} else if ((v = cli_opt_value(argc, argv, i, "--crash-points"))) {
		if (strcmp(v, "all") == 0)
			o->fold = XP_FOLD_NONE;
		else if (strcmp(v, "unique-stack") == 0)
			o->fold = XP_FOLD_STACK;
		else
			return cli_error("--crash-points %s: expected all or "
				"unique-stack", v);
	} else if ((v = cli_opt_value(argc, argv, i, "--max-points")))
		return parse_count("--max-points", v, 1, &o->max_points);
	else if ((v = cli_opt_value(argc, argv, i, "--explore"))) {
		if (strcmp(v, "auto") != 0 && strcmp(v, "eager") != 0 &&
				strcmp(v, "lazy") != 0)
			return cli_error("--explore %s: expected auto, eager or "
					"lazy", v);
		a->explore = v;
	} else if ((v = cli_opt_value(argc, argv, i, "--lazy-fork"))) {
		bool on = !strcmp(v, "on") || !strcmp(v, "yes");
		if (!on && strcmp(v, "off") != 0 && strcmp(v, "no") != 0)
			return cli_error("--lazy-fork %s: expected on or off", v);
		o->lazy_fork = on;
		if (on)
			a->lazy_only = "--lazy-fork on";
	} else if ((v = cli_opt_value(argc, argv, i, "--budget"))) {
		a->lazy_only = "--budget";
		return parse_count("--budget", v, 1, &o->budget);
	} else if ((v = cli_opt_value(argc, argv, i, "--max-lines")))
		return parse_count("--max-lines", v, 0, &o->max_lines);
	else if ((v = cli_opt_value(argc, argv, i, "--max-states")))
		return parse_count("--max-states", v, 1, &o->max_states);
	else if ((v = cli_opt_value(argc, argv, i, "--samples")))
		return parse_count("--samples", v, 0, &o->samples);
	else if ((v = cli_opt_value(argc, argv, i, "--seed")))
		return parse_count("--seed", v, 0, &o->seed);
	else if ((v = cli_opt_value(argc, argv, i, "--jobs")))
		return parse_jobs(o, v);
	else if ((v = cli_opt_value(argc, argv, i, "--from")))
		o->from = v;
	else if ((v = cli_opt_value(argc, argv, i, "--to")))
		o->to = v;
	else if ((v = cli_opt_value(argc, argv, i, "--json")))
		a->json = v;
	else if ((v = cli_opt_value(argc, argv, i, "--pmem-dir")))
		o->pmem_dir = v;
	else if ((v = cli_opt_value(argc, argv, i, "--timeout"))) {
		char *end;
		o->check.timeout_s = strtod(v, &end);
		if (*end || end == v || !(o->check.timeout_s > 0))
			return cli_error("--timeout %s: expected seconds > 0", v);
	} else if ((v = cli_opt_value(argc, argv, i, "--time-limit"))) {
		char *end;
		o->time_limit_s = strtod(v, &end);
		if (*end || end == v || !(o->time_limit_s > 0))
			return cli_error("--time-limit %s: expected seconds > 0",
					v);
	} else if ((v = cli_opt_value(argc, argv, i, "--shard")))
		return parse_shard(v, &o->shard_k, &o->shard_n);
	else
		return 1;
	return 0;
}

/* explore_mode -- --explore: auto (the default) decides at the start
 * (explore_auto.c) unless an option of lazy exploration asks for it; with
 * eager such an option would be ignored, so it is refused */
static int
explore_mode(struct explore_args *a)
{
	const char *m = a->explore ? a->explore : "auto";
	if (strcmp(m, "eager") == 0 && a->lazy_only != NULL)
		return cli_error("%s is an option of lazy exploration: not "
				"with --explore eager", a->lazy_only);
	a->o.lazy = strcmp(m, "lazy") == 0 ||
		(strcmp(m, "auto") == 0 && a->lazy_only != NULL);
	a->o.explore_auto = strcmp(m, "auto") == 0 && a->lazy_only == NULL;
	return 0;
}

static int
parse_args(struct explore_args *a, int argc, char **argv)
{
	bool in_process = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			a->prog = argv + i + 1;
			a->nprog = argc - i - 1;
			break;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage_text, stdout);
			exit(CLI_EXIT_OK);
		}
		if (strcmp(argv[i], "--in-process") == 0)
			in_process = true;
		else if (strcmp(argv[i], "--no-explain") == 0)
			a->o.explain = false;
		else if (strcmp(argv[i], "--no-progress") == 0)
			a->o.progress = false;
		else if (strcmp(argv[i], "--verbose") == 0)
			a->verbose = true;
		else if (strcmp(argv[i], "--allow-program-failure") == 0)
			a->allow_program_failure = true;
		else if (strcmp(argv[i], "--error-on-unpersisted-read") == 0) {
			a->o.error_on_xread = true;
			a->lazy_only = "--error-on-unpersisted-read";
		}
		else {
			int rc = explore_platform_opt(&a->plat, argc, argv, &i);
			rc = rc == 0 ? parse_value_opt(a, argc, argv, &i) :
				rc == 1 ? 0 : rc;
			if (rc == 1)
				return cli_error("explore: unknown option '%s'; "
					"see 'pmemu explore --help'", argv[i]);
			if (rc != 0)
				return rc;
		}
	}
	if (a->o.check.cmd == NULL)
		return cli_error("explore: --check 'CMD' or --check-so LIB:FUNC "
				"is required");
	if (in_process) {
		if (a->o.check.kind != XP_CHECK_SO_FORK)
			return cli_error("--in-process needs --check-so");
		a->o.check.kind = XP_CHECK_SO_INPROC;
	}
	int rc = explore_mode(a);
	if (rc != 0)
		return rc;
	if (a->o.trace == NULL && a->nprog == 0)
		return cli_error("explore: --trace TRACE or -- PROGRAM [ARGS] "
				"is required");
	if (a->o.trace && a->nprog)
		return cli_error("explore: --trace and a PROGRAM exclude each "
				"other");
	if (a->o.trace && explore_platform_given(&a->plat))
		return cli_error("explore: %s is for recording PROGRAM; a "
			"trace has its own platform",
			explore_platform_given(&a->plat));
	if (a->json && a->plat.ndomains > 1)
		return cli_error("explore: --json takes one --domain (explore "
			"once per domain)");
	/* no {pmem}: the check names the program's own paths; it runs under
	 * libpmemu.so, which redirects them to the image (PMEMU_IMAGE) */
	a->o.check.shim = a->o.check.kind == XP_CHECK_EXEC &&
		strstr(a->o.check.cmd, "{pmem") == NULL;
	/* the check's paths are the program's: its --pmem-dir when it is
	 * recorded here; with --trace the directory of the trace's regions
	 * (engine.c), not --pmem-dir, which says where the media moved */
	rc = absolute_pmem_dir(a);
	if (rc != 0)
		return rc;
	a->o.check.pmem_dir = a->nprog ? a->o.pmem_dir : NULL;
	return 0;
}

int
explore_args_parse(struct explore_args *a, int argc, char **argv)
{
	memset(a, 0, sizeof(*a));
	a->o.crash_at = XP_AT_FENCE;
	a->o.max_points = 10000;
	a->o.max_lines = 8;
	a->o.max_states = 4096;
	a->o.jobs = (unsigned long)sysconf(_SC_NPROCESSORS_ONLN);
	a->o.shard_k = a->o.shard_n = 1;
	a->o.explain = true;
	a->o.budget = 10000;
	a->o.progress = isatty(2);
	a->o.check.timeout_s = 10;
	a->o.check.fork_server = true;
	a->o.tmpdir = getenv("TMPDIR");
	if (a->o.tmpdir != NULL && a->o.tmpdir[0] == '\0')
		a->o.tmpdir = NULL; /* as unset: not the root directory */
	return parse_args(a, argc, argv);
}
