/*
 * cli_dimm.c -- the emulated DIMM of the pmem dir (DIR/.pmemu-dimm) for
 * the commands: `pmemu list -D` prints it in the JSON shape of `ndctl list
 * -DH`, its unsafe shutdown count as the health's shutdown_count, and
 * run/record refuse a malformed one before the program starts
 * (docs/model.md, "Unsafe shutdown count")
 *
 * The pmem dir is one region on one DIMM, nmem0: every namespace's count
 * is that DIMM's, as libpmem2 sums the counts of a region's DIMMs.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

#include "cli.h"
#include "usc.h"

int
cli_dimm_check(const char *dir)
{
	struct trace_dimm d;
	char err[PATH_MAX + 256];
	if (xp_usc_load(dir, &d, err, sizeof(err)) != 0)
		return cli_error("%s", err);
	return CLI_EXIT_OK;
}

int
cli_list_dimms(const char *dir)
{
	struct trace_dimm d;
	char err[PATH_MAX + 256];
	if (xp_usc_load(dir, &d, err, sizeof(err)) != 0)
		return cli_error("%s", err);
	printf("[\n  {\n    \"dev\":\"nmem0\",\n    \"id\":\"%s\",\n"
		"    \"handle\":1,\n    \"phys_id\":0,\n    \"health\":{\n"
		"      \"health_state\":\"ok\",\n"
		"      \"shutdown_count\":%" PRIu64 "\n    }\n  }\n]\n",
		d.unique_id, d.shutdown_count);
	return CLI_EXIT_OK;
}
