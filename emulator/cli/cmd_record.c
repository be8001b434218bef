/* cmd_record.c -- `pmemu record` (placeholder until its issue lands) */
#include "cli.h"

int
cmd_record(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("'pmemu record' is not yet implemented");
}
