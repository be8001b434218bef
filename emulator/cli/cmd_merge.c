/* cmd_merge.c -- `pmemu merge A.json B.json ...`: shard reports of one
 * explore run joined into one, with the unsharded run's verdict */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "explore.h"

static const char usage_text[] =
"usage: pmemu merge [-o OUT.json] SHARD.json...\n"
"\n"
"Joins the JSON reports of `pmemu explore --shard K/N` runs into one\n"
"report (stdout, or OUT.json) and prints it as text on stderr.\n"
"exit status: 0 pass, 1 a state failed, 2 bad input.\n";

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
		if (inputs++ == 0)
			continue;
		if (xp_report_merge(&all, &one, err, sizeof(err)) != 0)
			rc = cli_error("merge: %s: %s", argv[i], err);
		xp_report_free(&one);
	}
	if (rc == 0 && inputs == 0)
		rc = cli_error("merge: no reports given");
	if (rc == 0 && all.nshards < all.shard_n)
		xp_report_add_note(&all, "merged %zu of %u shards: a partial "
				"verdict", all.nshards, all.shard_n);
	if (rc == 0) {
		FILE *f = out ? fopen(out, "w") : stdout;
		if (f == NULL)
			rc = cli_error("merge: -o %s: %s", out, strerror(errno));
		else {
			xp_report_write_json(&all, f);
			if (f != stdout)
				fclose(f);
			xp_report_write_text(&all, stderr);
			rc = all.failing_states ? CLI_EXIT_FAIL : CLI_EXIT_OK;
		}
	}
	xp_report_free(&all);
	return rc;
}
