/*
 * explore_platform.h -- the platform options of `pmemu explore -- PROGRAM`:
 * passed to `pmemu record` as given (cli_launch.h's table), and --domain
 * taking a list: each domain is recorded and explored in turn, and one
 * line says where the program fails and where it passes
 */
#ifndef PMEMU_EXPLORE_PLATFORM_H
#define PMEMU_EXPLORE_PLATFORM_H 1

#include <stdio.h>

#include "cli_launch.h"

#define EXPLORE_DOMAINS_MAX 8

struct explore_platform {
	const char *values[LAUNCH_PLATFORM_MAX]; /* by table index */
	const char *domains[EXPLORE_DOMAINS_MAX]; /* --domain split, or none */
	size_t ndomains;
	char list[256];            /* the --domain value, split in place */
};

/*
 * argv[*i] is a platform option: 1 taken (*i past it), 0 not one, or
 * CLI_EXIT_USAGE after one message (an unknown domain in the list)
 */
int explore_platform_opt(struct explore_platform *p, int argc, char **argv,
		int *i);

/* the first platform option given ("--domain"), or NULL */
const char *explore_platform_given(const struct explore_platform *p);

/*
 * appends the options to a `pmemu record` argv at argv[k] ("--name",
 * "value" pairs, --domain as domain when not NULL); the new k. argv has
 * room for 2 * LAUNCH_PLATFORM_MAX more entries
 */
int explore_platform_argv(const struct explore_platform *p,
		const char *domain, char **argv, int k);

/* "pmemu: fails on adr, passes on eadr": exit statuses by domain */
void explore_platform_summary(const struct explore_platform *p,
		const int *status, FILE *out);

#endif
