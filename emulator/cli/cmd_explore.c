/* cmd_explore.c -- `pmemu explore`: simulate power failures, run the
 * check on every crash image, report the first failure (docs/explore.md) */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cli_stop.h"
#include "check.h"
#include "explore.h"
#include "points.h"
#include "report.h"
#include "explore_args.h"
#include "explore_media.h"
#include "trace.h"
#include "xalloc.h"

/* program_failed -- the recorded program's exit status (record's own),
 * an error unless --allow-program-failure: a failed run's trace is not
 * the run the check expects */
static int
program_failed(struct explore_args *a, int status)
{
	a->program_status = status;
	if (status == 0 || a->allow_program_failure)
		return 0;
	if (status > 128)
		return cli_error("explore: the program was killed by signal %d "
			"(%s): its trace was not explored "
			"(--allow-program-failure explores it)", status - 128,
			strsignal(status - 128));
	return cli_error("explore: the program exited with status %d: its "
		"trace was not explored (--allow-program-failure explores it)",
		status);
}

/* record -- runs `<self> record -o TRACE -- PROGRAM ARGS`; exit status */
static int
record(struct explore_args *a, const char *trace)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return cli_error("explore: cannot find the pmemu executable");
	self[n] = '\0';
	char **argv = xcalloc((size_t)a->nprog + 8 + 2 * LAUNCH_PLATFORM_MAX,
			sizeof(*argv), "record: argv");
	int k = 0;
	argv[k++] = self;
	argv[k++] = "record";
	argv[k++] = "-o";
	argv[k++] = (char *)trace;
	if (a->record_pmem_dir) {
		argv[k++] = "--pmem-dir";
		argv[k++] = (char *)a->record_pmem_dir;
	}
	k = explore_platform_argv(&a->plat, a->domain, argv, k);
	argv[k++] = "--";
	for (int i = 0; i < a->nprog; i++)
		argv[k++] = a->prog[i];
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL); /* ignored here, not in the program */
		execv(self, argv);
		_exit(127);
	}
	free(argv);
	int st = 0;
	bool passed_on = false;
	pid_t w = -1;
	/* SIGINT/SIGTERM: record passes SIGTERM on to the program */
	while (pid > 0 && (w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		if (cli_stop_signal && !passed_on) {
			kill(pid, SIGTERM);
			passed_on = true;
		}
	if (pid < 0 || w < 0)
		return cli_error("explore: cannot run pmemu record");
	if (cli_stop_signal) {
		fprintf(stderr, "pmemu: interrupted by %s while recording the "
			"program: nothing was explored\n", cli_stop_signal ==
			SIGINT ? "SIGINT" : "SIGTERM");
		return cli_stop_exit_code();
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == CLI_EXIT_USAGE &&
			access(trace, R_OK) != 0)
		return CLI_EXIT_USAGE; /* record said why */
	if (access(trace, R_OK) != 0)
		return cli_error("explore: pmemu record left no trace");
	if (trace_file_incomplete(trace))
		return CLI_EXIT_USAGE; /* record said so */
	return program_failed(a, WIFEXITED(st) ? WEXITSTATUS(st) : 128 +
			WTERMSIG(st));
}

/* open_json -- the --json file, opened before anything is explored so a
 * path that cannot be written fails at once; not truncated yet (an
 * exploration that fails leaves an existing report alone); NULL: stdout */
static int
open_json(const char *path, FILE **f, bool *created)
{
	*f = NULL;
	*created = false;
	if (path == NULL || strcmp(path, "-") == 0)
		return 0;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		*created = fd >= 0;
	}
	if (fd < 0)
		return cli_error("--json %s: %s", path, strerror(errno));
	*f = fdopen(fd, "w");
	if (*f == NULL)
		abort();
	return 0;
}

static int
write_json(const struct xp_report *rp, const char *path, FILE *f)
{
	struct stat st;
	int rc = 0;
	/* a regular file loses its old report; /dev/stdout, a pipe: as is */
	if (f != NULL && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
		rc = ftruncate(fileno(f), 0);
	if (rc == 0)
		rc = xp_report_write_json(rp, f ? f : stdout);
	if (f != NULL && fflush(f) != 0)
		rc = -1;
	if (rc != 0)
		return cli_error("--json %s: write failed: %s", path,
				strerror(errno));
	return 0;
}

/* explore_once -- PROGRAM recorded (a->domain) and explored, or the
 * trace; the exit status. restore: the pmem dir as it was, after */
static int
explore_once(struct explore_args *a, bool restore)
{
	int rc = 0;
	char tmp[PATH_MAX] = "", trace[PATH_MAX + 16], media[PATH_MAX + 16];
	if (a->o.trace == NULL) {
		snprintf(tmp, sizeof(tmp), "%s/pmemu-record.XXXXXX",
				a->o.tmpdir ? a->o.tmpdir : "/tmp");
		if (mkdtemp(tmp) == NULL)
			return cli_error("explore: %s: %s", tmp, strerror(errno));
		snprintf(trace, sizeof(trace), "%s/trace", tmp);
		snprintf(media, sizeof(media), "%s/media", tmp);
		a->record_pmem_dir = a->o.pmem_dir ? a->o.pmem_dir :
			getenv("PMEMU_PMEM_DIR");
		if (a->record_pmem_dir == NULL)
			rc = cli_error("explore: -- PROGRAM needs --pmem-dir DIR "
					"(or PMEMU_PMEM_DIR)");
		if (rc == 0)
			rc = explore_media_snapshot(a->record_pmem_dir, media);
		a->o.pmem_dir = media;
		if (rc == 0)
			rc = record(a, trace);
		if (rc == 0 && restore)
			rc = explore_media_restore(media, a->record_pmem_dir);
		a->o.trace = trace;
	}
	struct xp_report rp;
	memset(&rp, 0, sizeof(rp));
	char err[1024];
	if (rc == 0 && a->o.time_limit_s > 0)
		cli_stop_after(a->o.time_limit_s);
	if (rc == 0 && xp_explore(&a->o, &rp, err, sizeof(err)) != 0)
		rc = cli_error("%s", err);
	if (rc == 0 && a->program_status > 0)
		xp_report_add_note(&rp, "the program %s %d "
			"(--allow-program-failure): its trace was explored as "
			"recorded", a->program_status > 128 ? "was killed by "
			"signal" : "exited with status", a->program_status > 128 ?
			a->program_status - 128 : a->program_status);
	rp.program_status = a->program_status;
	if (rc == 0) {
		FILE *text = a->json && strcmp(a->json, "-") == 0 ? stderr :
			stdout;
		rp.text_verbose = a->verbose;
		xp_report_write_text(&rp, text);
		if (a->json)
			rc = write_json(&rp, a->json, a->json_file);
		if (rc == 0)
			rc = xp_report_exit_code(&rp);
	}
	bool keep = rp.failing_states && rp.has_first;
	xp_report_free(&rp);
	if (tmp[0] && keep) {
		/* the replay command above needs them: keep the recording */
		cli_note("the recording is kept in %s (delete it when done)",
				tmp);
	} else if (tmp[0]) {
		unlink(trace);
		explore_media_remove(media);
		rmdir(tmp);
	}
	return rc;
}

/* explore_domains -- each domain of the list in turn, then one line */
static int
explore_domains(const struct explore_args *a)
{
	int status[EXPLORE_DOMAINS_MAX], worst = CLI_EXIT_OK;
	for (size_t k = 0; k < a->plat.ndomains; k++) {
		struct explore_args one = *a;
		one.domain = a->plat.domains[k];
		printf("pmemu: --domain %s\n", one.domain);
		fflush(stdout);
		status[k] = explore_once(&one, k + 1 < a->plat.ndomains);
		if (status[k] == CLI_EXIT_USAGE || worst == CLI_EXIT_OK)
			worst = status[k];
		if (cli_stop_signal != 0) {
			/* interrupted or out of time: the rest are not explored */
			worst = status[k];
			for (size_t j = k + 1; j < a->plat.ndomains; j++)
				status[j] = CLI_EXIT_USAGE;
			break;
		}
	}
	explore_platform_summary(&a->plat, status, stdout);
	return worst;
}

int
cmd_explore(int argc, char **argv)
{
	struct explore_args a;
	int rc = explore_args_parse(&a, argc, argv);
	if (rc == 0)
		rc = open_json(a.json, &a.json_file, &a.json_created);
	if (rc != 0)
		return rc;
	a.program_status = -1;
	cli_stop_catch();
	a.o.stop = a.o.check.stop = &cli_stop_signal;
	if (a.plat.ndomains > 1)
		rc = explore_domains(&a);
	else
		rc = explore_once(&a, false);
	if (a.json_file != NULL)
		fclose(a.json_file);
	if (a.json_created && rc == CLI_EXIT_USAGE)
		unlink(a.json); /* no report: none was there before */
	return rc;
}
