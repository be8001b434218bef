/* cmd_list.c -- `pmemu list` (placeholder until its issue lands) */
#include "cli.h"

int
cmd_list(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("'pmemu list' is not yet implemented");
}
