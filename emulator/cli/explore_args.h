/* explore_args.h -- the command line of `pmemu explore` (explore_args.c) */
#ifndef PMEMU_EXPLORE_ARGS_H
#define PMEMU_EXPLORE_ARGS_H 1

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "explore.h"
#include "explore_platform.h"

struct explore_args {
	struct xp_opts o;
	bool verbose;
	const char *json;
	char **prog;
	int nprog;
	const char *record_pmem_dir;
	struct explore_platform plat; /* passed to record */
	const char *domain;        /* of the list, the one explored now */
	char pmem_dir[PATH_MAX];   /* --pmem-dir (or PMEMU_PMEM_DIR), absolute */
	bool allow_program_failure;
	const char *explore;       /* --explore: auto (NULL), eager, lazy */
	const char *lazy_only;     /* an option of lazy exploration given */
	int program_status;     /* the recorded program's, -1 none */
	FILE *json_file;        /* --json, opened before exploring */
	bool json_created;
};
/* a filled from the defaults and argv (--help prints the usage and
 * exits); 0, or the exit status of the error printed */
int explore_args_parse(struct explore_args *a, int argc, char **argv);

#endif
