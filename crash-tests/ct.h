/*
 * ct.h -- what the crash-test programs share: the command line, the
 * planted bug, messages, and `pmempool check`
 *
 * Every program is `PROG run POOL [BUG]` (do the work, with the named bug
 * planted) or `PROG check POOL` (exit 0 if POOL is consistent, 1 with one
 * line on stdout saying why not, 2 on a usage error).
 */
#ifndef CT_H
#define CT_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ct_program {
	const char *name;
	const char *const *bugs;   /* NULL terminated: the BUG names */
	int (*run)(const char *pool);
	int (*check)(const char *pool);
};

/* parses argv, sets the planted bug and calls run or check */
int ct_main(const struct ct_program *p, int argc, char **argv);
/* true if BUG was named on the command line */
bool ct_bug(const char *bug);
/* prints "PROG: <msg>" on stderr and exits 2 (the run itself failed) */
void ct_die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
		noreturn));
/* prints the reason on stdout; returns 1 (inconsistent) */
int ct_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* runs `pmempool check POOL`; 0 if it accepts the pool, else 1 */
int ct_pmempool_check(const char *pool);
/* a checksum of len bytes (FNV-1a 64) */
uint64_t ct_sum(const void *buf, size_t len);

#endif
