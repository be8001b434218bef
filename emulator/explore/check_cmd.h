/*
 * check_cmd.h -- the command line of an exec'd check: {pmem} and
 * {pmemdir} substituted safely (check_cmd.c)
 */
#ifndef PMEMU_CHECK_CMD_H
#define PMEMU_CHECK_CMD_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct xp_check_cmd {
	bool simple;    /* no shell syntax: run by execvp with words[] */
	char **words;   /* the template split on blanks (simple only) */
	size_t nwords;
};

/* parses a --check template; 0, or -1 when it has no word at all */
int xp_check_cmd_parse(const char *tmpl, struct xp_check_cmd *out);
void xp_check_cmd_free(struct xp_check_cmd *c);
/* simple: the argv (NULL-terminated, malloc'd with its strings), each
 * placeholder replaced by the raw value inside its word */
char **xp_check_cmd_argv(const struct xp_check_cmd *c, const char *pmem,
		const char *dir);
void xp_check_cmd_argv_free(char **argv);
/* the line for /bin/sh -c: each value quoted for where it stands
 * (unquoted, inside '...' or inside "..."), so it is one word, never
 * syntax */
char *xp_check_cmd_shell(const char *tmpl, const char *pmem,
		const char *dir);
/* s as one word of a shell command line: as it is when no character of
 * it is special to a shell, else in single quotes (the commands pmemu
 * prints for the user to paste) */
void xp_shell_word(FILE *f, const char *s);

#endif
