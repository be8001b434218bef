/* cmd_run.c -- `pmemu run` (placeholder until its issue lands) */
#include "cli.h"

int
cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("'pmemu run' is not yet implemented");
}
