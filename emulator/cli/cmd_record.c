/*
 * cmd_record.c -- `pmemu record -o TRACE -- PROG`: run a program on
 * emulated pmem and keep its trace for `pmemu explore`
 *
 * The shim writes the trace through a shared mapping, so a program killed
 * with SIGKILL still leaves every whole record; this side trims the file
 * to its last whole record after the program is gone.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_launch.h"
#include "trace.h"

int
cmd_record(int argc, char **argv)
{
	struct launch_opts o;
	int code;
	if (launch_parse(argc, argv, true, &o, &code) != 0)
		return code;
	char path[PATH_MAX];
	if (o.output[0] == '/') {
		snprintf(path, sizeof(path), "%s", o.output);
	} else {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return cli_error("getcwd: %s", strerror(errno));
		if (snprintf(path, sizeof(path), "%s/%s", cwd, o.output) >=
				(int)sizeof(path))
			return cli_error("-o %s: path too long", o.output);
	}
	remove(path); /* no stale trace if the shim never starts */
	int status = launch_run(&o, "PMEMU_TRACE", path);
	if (status < 0)
		return CLI_EXIT_USAGE;
	struct stat st;
	if (stat(path, &st) != 0)
		return cli_error("%s: no trace was written (did the program "
			"run under the shim?)", o.output);
	int ret = trace_file_trim(path);
	if (ret < 0)
		return cli_error("%s: %s", o.output, strerror(-ret));
	if (trace_file_incomplete(path)) { /* the program ran on, untraced */
		char what[PATH_MAX + 16];
		snprintf(what, sizeof(what), "trace %s", o.output);
		return cli_space_error(what, path);
	}
	if (!o.quiet) {
		stat(path, &st);
		cli_note("trace %s: %lld bytes%s", o.output,
			(long long)st.st_size, status >= 128 ?
			" (the program was killed; the trace ends there)" : "");
	}
	return status;
}
