/* cli.h -- the pmemu command: sub-command entry points and shared helpers */
#ifndef PMEMU_CLI_H
#define PMEMU_CLI_H 1

#include <stdio.h>

/* exit codes (docs/cli.md): 0 passed, 1 a check failed or findings with
 * --error-exitcode, 2 usage or input error */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

int cmd_run(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_explore(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_trace_dump(int argc, char **argv);

/* prints "pmemu: error: <msg>" on stderr; returns CLI_EXIT_USAGE */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* prints "pmemu: <msg>" on stderr */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* an option of the form --name=value or --name value; returns the value or
 * NULL if argv[*i] is not that option; advances *i past a separate value */
const char *cli_opt_value(int argc, char **argv, int *i, const char *name);
/* parses an unsigned decimal in [lo, hi]; 0 or -1 */
int cli_parse_uint(const char *s, unsigned long lo, unsigned long hi,
		unsigned long *out);
/* the directory of libpmemu.so and pmemu-gcc.so next to this pmemu */
const char *cli_libdir(void);
/* "<what> incomplete: no space left on <mount point of path>";
 * returns CLI_EXIT_USAGE */
int cli_space_error(const char *what, const char *path);
/* `pmemu list -D`: the DIMM of the pmem dir dir (cli_dimm.c); the exit
 * status */
int cli_list_dimms(const char *dir);
/* dir's .pmemu-dimm is absent or well formed: CLI_EXIT_OK, else the error
 * printed and CLI_EXIT_USAGE */
int cli_dimm_check(const char *dir);

#endif
