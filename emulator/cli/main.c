/* main.c -- `pmemu`: sub-command dispatch, git style */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, "run a program on emulated pmem and report findings" },
	{ "record", cmd_record, "run a program and keep its trace (-o TRACE)" },
	{ "explore", cmd_explore, "simulate power failures and run a check on each image" },
	{ "replay", cmd_replay, "rebuild one crash image (--trace T --state ID -o DIR)" },
	{ "list", cmd_list, "print the emulated namespaces as `ndctl list -RN` does (-D: the DIMM, -M: bad blocks)" },
	{ "merge", cmd_merge, "join sharded explore reports (JSON) into one" },
	{ "trace-dump", cmd_trace_dump, "print a trace, one event a line" },
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: pmemu <command> [OPTIONS] [-- PROGRAM [ARGS]]\n"
		"\n"
		"pmemu runs programs on emulated persistent memory, finds missing\n"
		"flushes and fences, and checks what a power failure leaves behind.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\n"
		"'pmemu <command> --help' describes a command's options.\n"
		"Linux on x86-64 only. Documentation: docs/guide.md.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
			strcmp(name, "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(name, "--version") == 0) {
		printf("pmemu %s\n", PMEMU_VERSION);
		return CLI_EXIT_OK;
	}
	if (name[0] == '-')
		return cli_error("unknown option '%s'; see 'pmemu --help'", name);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "pmemu: '%s' is not a pmemu command; see 'pmemu --help'\n",
			name);
	return CLI_EXIT_USAGE;
}
