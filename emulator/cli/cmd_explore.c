/* cmd_explore.c -- `pmemu explore`: simulate power failures, run the
 * check on every crash image, report the first failure (docs/explore.md) */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "explore.h"
#include "trace.h"
#include "xalloc.h"

static const char usage_text[] =
"usage: pmemu explore [OPTIONS] (--check 'CMD' | --check-so LIB:FUNC)\n"
"                     (--trace TRACE | -- PROGRAM [ARGS])\n"
"\n"
"  --trace TRACE        explore this trace (else record PROGRAM first)\n"
"  --check 'CMD'        run CMD with /bin/sh -c per image; {pmem} is the\n"
"                       image file (the directory with several regions),\n"
"                       {pmemdir} the directory. Exit 0 = consistent.\n"
"                       Without them CMD runs under libpmemu.so and the\n"
"                       program's own paths name the image\n"
"  --check-so LIB:FUNC  call int FUNC(const char *image) in a forked child\n"
"  --in-process         ... without forking (no timeout, no crash safety)\n"
"  --strategy S         pessimistic (default), inflight, eviction, torn,\n"
"                       all, or a comma list\n"
"  --crash-at S         fence (default), flush, store, marker, all, or a list\n"
"  --crash-points M     all or unique-stack (default: unique-stack above\n"
"                       --max-points=10000 points)\n"
"  --explore MODE       eager (every state) or lazy (the states of the\n"
"                       lines the check reads; docs/explore.md)\n"
"  --budget N           lazy: at most N runs of the check per crash point\n"
"                       (10000)\n"
"  --max-lines N        every combination up to N undecided lines (8)\n"
"  --max-states N       ... and N combinations; at most N states a crash\n"
"                       point (4096)\n"
"  --samples N          random combinations beyond those bounds (0)\n"
"  --seed N             seed of those samples (0)\n"
"  --from NAME, --to NAME  crash points between these markers only\n"
"  --timeout SECONDS    a check running longer fails (10)\n"
"  --jobs N             checks in parallel (number of CPUs)\n"
"  --shard K/N          check the K-th of N parts of the images\n"
"  --json FILE          the report as JSON (docs/report-json.md); - stdout\n"
"  --pmem-dir DIR       read the media files from DIR (a moved trace)\n"
"  --no-explain         skip the minimal explanation\n"
"  --verbose            list every failing crash point (else the first 10,\n"
"                       then counts per call stack)\n"
"  --no-progress        no progress line (shown on a tty by default)\n"
"exit status: 0 every state passed, 1 a state failed, 2 usage or input\n";

struct explore_args {
	struct xp_opts o;
	bool verbose;
	const char *json;
	char **prog;
	int nprog;
	const char *record_pmem_dir;
};

/* copy_file -- src to dst (created), whole */
static int
copy_file(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = in < 0 || out < 0 ? -1 : 0;
	struct stat st;
	if (rc == 0 && fstat(in, &st) != 0)
		rc = -1;
	for (off_t left = rc == 0 ? st.st_size : 0; left > 0;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
		if (n <= 0) {
			rc = -1;
			break;
		}
		left -= n;
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

/*
 * snapshot_media -- the run will change the files of the pmem dir (the
 * shim writes durable lines and, at exit, everything to the media), so
 * the media as it was before the run is copied first: the explorer reads
 * initial contents from the copy. Regular files at the top of DIR only.
 */
static int
snapshot_media(const char *pmem_dir, const char *to)
{
	DIR *d = opendir(pmem_dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : cli_error("--pmem-dir %s: %s",
				pmem_dir, strerror(errno));
	if (mkdir(to, 0700) != 0)
		return cli_error("explore: %s: %s", to, strerror(errno));
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char src[PATH_MAX * 2], dst[PATH_MAX * 2];
		struct stat st;
		snprintf(src, sizeof(src), "%s/%s", pmem_dir, de->d_name);
		if (stat(src, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		snprintf(dst, sizeof(dst), "%s/%s", to, de->d_name);
		if (copy_file(src, dst) != 0)
			rc = cli_error("explore: copying %s: %s", src,
					strerror(errno));
	}
	closedir(d);
	return rc;
}

/* remove_dir -- the files of a flat directory, then it */
static void
remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		char p[PATH_MAX * 2];
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (de->d_name[0] != '.')
			unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
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

/* parse_value_opt -- one option that takes a value; 1 not ours */
static int
parse_value_opt(struct explore_args *a, int argc, char **argv, int *i)
{
	struct xp_opts *o = &a->o;
	const char *v;
	if ((v = cli_opt_value(argc, argv, i, "--trace")))
		o->trace = v;
	else if ((v = cli_opt_value(argc, argv, i, "--check")))
		o->check.cmd = v, o->check.kind = XP_CHECK_EXEC;
	else if ((v = cli_opt_value(argc, argv, i, "--check-so")))
		o->check.cmd = v, o->check.kind = XP_CHECK_SO_FORK;
	else if ((v = cli_opt_value(argc, argv, i, "--strategy"))) {
		if (xp_strategy_parse(v, &o->strategies) != 0)
			return cli_error("--strategy %s: expected pessimistic, "
				"inflight, eviction, torn or all", v);
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
		if (strcmp(v, "eager") != 0 && strcmp(v, "lazy") != 0)
			return cli_error("--explore %s: eager or lazy", v);
		o->lazy = strcmp(v, "lazy") == 0;
	} else if ((v = cli_opt_value(argc, argv, i, "--budget"))) {
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
		return parse_count("--jobs", v, 1, &o->jobs);
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
	} else if ((v = cli_opt_value(argc, argv, i, "--shard")))
		return parse_shard(v, &o->shard_k, &o->shard_n);
	else
		return 1;
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
		else {
			int rc = parse_value_opt(a, argc, argv, &i);
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
	if (a->o.trace == NULL && a->nprog == 0)
		return cli_error("explore: --trace TRACE or -- PROGRAM [ARGS] "
				"is required");
	if (a->o.trace && a->nprog)
		return cli_error("explore: --trace and a PROGRAM exclude each "
				"other");
	/* no {pmem}: the check names the program's own paths; it runs under
	 * libpmemu.so, which redirects them to the image (PMEMU_IMAGE) */
	a->o.check.shim = a->o.check.kind == XP_CHECK_EXEC &&
		strstr(a->o.check.cmd, "{pmem") == NULL;
	/* the check's paths are the program's: its --pmem-dir when it is
	 * recorded here; with --trace the directory of the trace's regions
	 * (engine.c), not --pmem-dir, which says where the media moved */
	a->o.check.pmem_dir = a->nprog ? a->o.pmem_dir : NULL;
	return 0;
}

/* record -- runs `<self> record -o TRACE -- PROGRAM ARGS`; exit status */
static int
record(const struct explore_args *a, const char *trace)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return cli_error("explore: cannot find the pmemu executable");
	self[n] = '\0';
	char **argv = xcalloc((size_t)a->nprog + 8, sizeof(*argv),
			"record: argv");
	int k = 0;
	argv[k++] = self;
	argv[k++] = "record";
	argv[k++] = "-o";
	argv[k++] = (char *)trace;
	if (a->record_pmem_dir) {
		argv[k++] = "--pmem-dir";
		argv[k++] = (char *)a->record_pmem_dir;
	}
	argv[k++] = "--";
	for (int i = 0; i < a->nprog; i++)
		argv[k++] = a->prog[i];
	pid_t pid = fork();
	if (pid == 0) {
		execv(self, argv);
		_exit(127);
	}
	free(argv);
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return cli_error("explore: cannot run pmemu record");
	if (WIFEXITED(st) && WEXITSTATUS(st) == CLI_EXIT_USAGE &&
			access(trace, R_OK) != 0)
		return CLI_EXIT_USAGE; /* record said why */
	if (access(trace, R_OK) != 0)
		return cli_error("explore: pmemu record left no trace");
	if (trace_file_incomplete(trace))
		return CLI_EXIT_USAGE; /* record said so */
	return 0;
}

static int
write_json(const struct xp_report *rp, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (f == NULL)
		return cli_error("--json %s: %s", path, strerror(errno));
	int rc = xp_report_write_json(rp, f);
	if (f != stdout && fclose(f) != 0)
		rc = -1;
	if (rc != 0)
		return cli_error("--json %s: write failed", path);
	return 0;
}

int
cmd_explore(int argc, char **argv)
{
	struct explore_args a;
	memset(&a, 0, sizeof(a));
	a.o.crash_at = XP_AT_FENCE;
	a.o.max_points = 10000;
	a.o.max_lines = 8;
	a.o.max_states = 4096;
	a.o.jobs = (unsigned long)sysconf(_SC_NPROCESSORS_ONLN);
	a.o.shard_k = a.o.shard_n = 1;
	a.o.explain = true;
	a.o.budget = 10000;
	a.o.progress = isatty(2);
	a.o.check.timeout_s = 10;
	a.o.tmpdir = getenv("TMPDIR");
	int rc = parse_args(&a, argc, argv);
	if (rc != 0)
		return rc;
	char tmp[PATH_MAX] = "", trace[PATH_MAX + 16], media[PATH_MAX + 16];
	if (a.o.trace == NULL) {
		snprintf(tmp, sizeof(tmp), "%s/pmemu-record.XXXXXX",
				a.o.tmpdir ? a.o.tmpdir : "/tmp");
		if (mkdtemp(tmp) == NULL)
			return cli_error("explore: %s: %s", tmp, strerror(errno));
		snprintf(trace, sizeof(trace), "%s/trace", tmp);
		snprintf(media, sizeof(media), "%s/media", tmp);
		a.record_pmem_dir = a.o.pmem_dir ? a.o.pmem_dir :
			getenv("PMEMU_PMEM_DIR");
		if (a.record_pmem_dir == NULL)
			rc = cli_error("explore: -- PROGRAM needs --pmem-dir DIR "
					"(or PMEMU_PMEM_DIR)");
		if (rc == 0)
			rc = snapshot_media(a.record_pmem_dir, media);
		a.o.pmem_dir = media;
		if (rc == 0)
			rc = record(&a, trace);
		a.o.trace = trace;
	}
	struct xp_report rp;
	memset(&rp, 0, sizeof(rp));
	char err[1024];
	if (rc == 0 && xp_explore(&a.o, &rp, err, sizeof(err)) != 0)
		rc = cli_error("%s", err);
	if (rc == 0) {
		FILE *text = a.json && strcmp(a.json, "-") == 0 ? stderr : stdout;
		rp.text_verbose = a.verbose;
		xp_report_write_text(&rp, text);
		if (a.json)
			rc = write_json(&rp, a.json);
		if (rc == 0)
			rc = rp.failing_states ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}
	bool keep = rc == CLI_EXIT_FAIL && rp.has_first;
	xp_report_free(&rp);
	if (tmp[0] && keep) {
		/* the replay command above needs them: keep the recording */
		cli_note("the recording is kept in %s (delete it when done)",
				tmp);
	} else if (tmp[0]) {
		unlink(trace);
		remove_dir(media);
		rmdir(tmp);
	}
	return rc;
}
