/* cmd_replay.c -- `pmemu replay --trace T --state ID -o DIR`: rebuild one
 * crash image, byte for byte, one file per region (docs/explore.md) */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "replay.h"

static const char usage_text[] =
"usage: pmemu replay --trace TRACE --state ID -o DIR [--pmem-dir DIR]\n"
"\n"
"Writes the media image of crash state ID (as `pmemu explore` prints it)\n"
"into DIR, one file per region named as the region's media file.\n";

int
cmd_replay(int argc, char **argv)
{
	const char *trace = NULL, *state = NULL, *out = NULL, *pmem_dir = NULL;
	for (int i = 1; i < argc; i++) {
		const char *v;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		}
		if ((v = cli_opt_value(argc, argv, &i, "--trace")))
			trace = v;
		else if ((v = cli_opt_value(argc, argv, &i, "--state")))
			state = v;
		else if ((v = cli_opt_value(argc, argv, &i, "-o")))
			out = v;
		else if ((v = cli_opt_value(argc, argv, &i, "--pmem-dir")))
			pmem_dir = v;
		else
			return cli_error("replay: unknown option '%s'; see "
				"'pmemu replay --help'", argv[i]);
	}
	if (trace == NULL || state == NULL || out == NULL)
		return cli_error("replay: --trace, --state and -o are required");
	char err[1024];
	if (xp_replay_state(trace, pmem_dir, state, out, err, sizeof(err)) != 0)
		return cli_error("%s", err);
	return CLI_EXIT_OK;
}
