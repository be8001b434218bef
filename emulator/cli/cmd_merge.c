/* cmd_merge.c -- `pmemu merge` (placeholder until its issue lands) */
#include "cli.h"

int
cmd_merge(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("'pmemu merge' is not yet implemented");
}
