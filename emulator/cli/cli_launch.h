/*
 * cli_launch.h -- what `pmemu run` and `pmemu record` share: the shim's
 * options, the environment they become, and running the program with
 * libpmemu.so preloaded
 */
#ifndef PMEMU_CLI_LAUNCH_H
#define PMEMU_CLI_LAUNCH_H 1

#include <stdbool.h>
#include <stddef.h>

/*
 * the platform options: run, record and explore take them, the CLI
 * passes them as given to the shim (PMEMU_*), which validates them
 */
struct launch_platform_opt {
	const char *option;        /* "--domain" */
	const char *env;           /* "PMEMU_DOMAIN", NULL: the CLI's own */
};
#define LAUNCH_PLATFORM_MAX 8
extern const struct launch_platform_opt launch_platform_opts[];
extern const size_t launch_nplatform;

/* the platform option argv[*i] (--name V or --name=V): its table index,
 * its value in *value, *i past it; -1 if it is not one */
int launch_platform_opt(int argc, char **argv, int *i, const char **value);
/* slots[k] = v, or slots[k] plus ",v" for a repeatable option
 * (--badblock) */
void launch_platform_set(const char **slots, size_t k, const char *v);

struct launch_opts {
	const char *pmem_dir;      /* absolute, resolved */
	const char *platform[LAUNCH_PLATFORM_MAX]; /* by table index, or NULL */
	const char *log_file;
	const char *output;        /* record: -o TRACE */
	int error_exitcode;        /* -1: unset */
	bool quiet;
	char **argv;               /* the program and its arguments */
};

/*
 * parses [OPTIONS] [--] PROGRAM [ARGS]; `record` also takes -o/--output;
 * 0, or CLI_EXIT_USAGE after one message (or CLI_EXIT_OK for --help)
 */
int launch_parse(int argc, char **argv, bool record, struct launch_opts *o,
		int *exit_code);
/* --devdax NAME:SIZE (cli_devdax.c): NAME is dax<R>.<N>; its media file
 * under pmem_dir is created with SIZE bytes, or has them; 0 or
 * CLI_EXIT_USAGE after one message */
int launch_devdax(const char *pmem_dir, const char *spec);
/* name is dax<R>.<N> (decimal R and N) */
bool cli_devdax_name(const char *name);

/*
 * runs the program with libpmemu.so preloaded, the options in PMEMU_*
 * and env_name=env_path (PMEMU_REPORT or PMEMU_TRACE); waits; returns the
 * program's exit code (128+N when killed by signal N), or -1 after a
 * message when it could not be started
 */
int launch_run(const struct launch_opts *o, const char *env_name,
		const char *env_path);

/* the process id of the last program launch_run started */
extern long launch_pid;

#endif
