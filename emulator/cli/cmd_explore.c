/* cmd_explore.c -- `pmemu explore` (placeholder until its issue lands) */
#include "cli.h"

int
cmd_explore(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("'pmemu explore' is not yet implemented");
}
