/* cmd_replay.c -- `pmemu replay` (placeholder until its issue lands) */
#include "cli.h"

int
cmd_replay(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("'pmemu replay' is not yet implemented");
}
