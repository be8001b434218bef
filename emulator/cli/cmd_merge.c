/* cmd_merge.c -- `pmemu merge A.json B.json ...`: shard reports of one
 * explore run joined into one, with the unsharded run's verdict */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report.h"

static const char usage_text[] =
"usage: pmemu merge [-o OUT.json] SHARD.json...\n"
"\n"
"Joins the JSON reports of `pmemu explore --shard K/N` runs into one\n"
"report (stdout, or OUT.json) and prints it as text on stderr. Every\n"
"shard 1..N must be given, once.\n"
"exit status: 0 pass, 1 a state failed, 2 bad input.\n";

/* check_shards -- every shard a report covers is K/N with 1 <= K <= N */
static int
check_shards(const struct xp_report *rp, const char *path)
{
	for (size_t i = 0; i < rp->nshards; i++) {
		uint32_t k = rp->shards[i].k, n = rp->shards[i].n;
		if (k < 1 || k > n || n != rp->shard_n)
			return cli_error("merge: %s: shard %u/%u is not one of "
					"%u shards", path, k, n, rp->shard_n);
	}
	return 0;
}

/* missing_shard -- the first K of N no report covers, 0 if none */
static uint32_t
missing_shard(const struct xp_report *rp)
{
	for (uint32_t k = 1; k <= rp->shard_n; k++) {
		size_t i = 0;
		while (i < rp->nshards && rp->shards[i].k != k)
			i++;
		if (i == rp->nshards)
			return k;
	}
	return 0;
}

int
cmd_merge(int argc, char **argv)
{
	const char *out = NULL;
	struct xp_report all, one;
	char err[1024];
	int inputs = 0, rc = 0;
	memset(&all, 0, sizeof(all));
	for (int i = 1; i < argc && rc == 0; i++) {
		const char *v;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		}
		if ((v = cli_opt_value(argc, argv, &i, "-o"))) {
			out = v;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			rc = cli_error("merge: unknown option '%s'", argv[i]);
			break;
		}
		if (xp_report_read_json(argv[i], inputs ? &one : &all, err,
				sizeof(err)) != 0) {
			rc = cli_error("merge: %s", err);
			break;
		}
		if ((rc = check_shards(inputs ? &one : &all, argv[i])) != 0) {
			if (inputs)
				xp_report_free(&one);
			break;
		}
		if (inputs++ == 0)
			continue;
		if (xp_report_merge(&all, &one, err, sizeof(err)) != 0)
			rc = cli_error("merge: %s: %s", argv[i], err);
		xp_report_free(&one);
	}
	if (rc == 0 && inputs == 0)
		rc = cli_error("merge: no reports given");
	uint32_t missing = rc == 0 ? missing_shard(&all) : 0;
	if (missing)
		rc = cli_error("merge: shard %u/%u missing (%zu of %u shards "
				"given): no verdict from a part of the run",
				missing, all.shard_n, all.nshards, all.shard_n);
	if (rc == 0) {
		FILE *f = out ? fopen(out, "w") : stdout;
		if (f == NULL)
			rc = cli_error("merge: -o %s: %s", out, strerror(errno));
		else {
			xp_report_write_json(&all, f);
			if (f != stdout)
				fclose(f);
			xp_report_write_text(&all, stderr);
			rc = xp_report_failed(&all) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
		}
	}
	xp_report_free(&all);
	return rc;
}
