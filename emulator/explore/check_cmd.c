/*
 * check_cmd.c -- the command line of an exec'd check
 *
 * {pmem} and {pmemdir} name files whose paths come from TMPDIR, the
 * program's pool names and --pmem-dir: anything but NUL. They must never
 * be read as shell syntax (a pool named `x;touch PWNED` ran `touch`) nor
 * split (a path with a space checked the wrong file: a false PASS).
 *
 * A template made only of plain words (letters, digits and _-./,:+@%
 * apart from the placeholders, no assignment in front) needs no shell:
 * it runs by execvp with the template's words, the values substituted
 * raw inside their word. Anything else runs with /bin/sh -c, each value
 * quoted for the place it stands in: '...' outside quotes, '\'' for a
 * quote inside single quotes, \ before $ ` " \ inside double quotes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_cmd.h"
#include "xalloc.h"

enum quoting { Q_NONE, Q_SINGLE, Q_DOUBLE, Q_RAW };

/* the shell's special built-ins and others that have no program of
 * their own, and the cheap ones the shell runs without a second program
 * (true, test, echo...): a word list starting with one goes to the shell */
static const char *const builtins[] = { ".", ":", "break", "cd",
	"command", "continue", "eval", "exec", "exit", "export", "readonly",
	"return", "set", "shift", "times", "trap", "umask", "ulimit", "unset",
	"wait", "read", "alias", "type", "hash", "getopts", "true", "false",
	"test", "echo", "printf", NULL };

/* placeholder -- the length of the placeholder at p and its value, or 0 */
static size_t
placeholder(const char *p, const char *pmem, const char *dir,
		const char **value)
{
	if (strncmp(p, "{pmemdir}", 9) == 0) {
		*value = dir;
		return 9;
	}
	if (strncmp(p, "{pmem}", 6) == 0) {
		*value = pmem;
		return 6;
	}
	return 0;
}

static void
put_value(FILE *f, const char *v, enum quoting q)
{
	if (q == Q_NONE)
		fputc('\'', f);
	for (; *v; v++) {
		if (*v == '\'' && q != Q_DOUBLE && q != Q_RAW)
			fputs("'\\''", f);
		else if (q == Q_DOUBLE && strchr("$`\"\\", *v))
			fprintf(f, "\\%c", *v);
		else
			fputc(*v, f);
	}
	if (q == Q_NONE)
		fputc('\'', f);
}

void
xp_shell_word(FILE *f, const char *s)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_/.,:=+-@%";
	if (*s != '\0' && s[strspn(s, safe)] == '\0')
		fputs(s, f);
	else
		put_value(f, s, Q_NONE);
}

/* next_quoting -- the quoting after character p, given the one before */
static enum quoting
next_quoting(enum quoting q, const char **p)
{
	char c = **p;
	if (c == '\\' && q != Q_SINGLE && (*p)[1] != '\0') {
		(*p)++; /* the escaped character is taken as it is */
		return q;
	}
	if (c == '\'' && q != Q_DOUBLE)
		return q == Q_SINGLE ? Q_NONE : Q_SINGLE;
	if (c == '"' && q != Q_SINGLE)
		return q == Q_DOUBLE ? Q_NONE : Q_DOUBLE;
	return q;
}

/* substitute -- s with its placeholders replaced; raw: values as they
 * are (a word of a simple command), else quoted for the shell */
static char *
substitute(const char *s, const char *pmem, const char *dir, bool raw)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		abort();
	enum quoting q = Q_NONE;
	for (const char *p = s; *p;) {
		const char *v;
		size_t n = placeholder(p, pmem, dir, &v);
		if (n > 0) {
			put_value(f, v, raw ? Q_RAW : q);
			p += n;
			continue;
		}
		const char *from = p;
		if (!raw)
			q = next_quoting(q, &p);
		fwrite(from, 1, (size_t)(p - from) + 1, f);
		p++;
	}
	fclose(f);
	return buf;
}

char *
xp_check_cmd_shell(const char *tmpl, const char *pmem, const char *dir)
{
	return substitute(tmpl, pmem, dir, false);
}

/* plain_word -- a word the shell would take literally */
static bool
plain_word(const char *w)
{
	for (const char *p = w; *p;) {
		const char *v;
		size_t n = placeholder(p, "", "", &v);
		if (n > 0) {
			p += n;
			continue;
		}
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"0123456789_-./,:+@%=", *p))
			return false;
		p++;
	}
	return true;
}

static bool
is_builtin(const char *w)
{
	for (size_t i = 0; builtins[i]; i++)
		if (strcmp(w, builtins[i]) == 0)
			return true;
	return false;
}

int
xp_check_cmd_parse(const char *tmpl, struct xp_check_cmd *out)
{
	memset(out, 0, sizeof(*out));
	char *copy = xstrdup(tmpl, "check command: copy"), *save = NULL;
	out->words = xcalloc(strlen(tmpl) / 2 + 2, sizeof(*out->words),
			"check command: words");
	bool plain = true;
	for (char *w = strtok_r(copy, " \t", &save); w;
			w = strtok_r(NULL, " \t", &save)) {
		plain = plain && plain_word(w);
		out->words[out->nwords++] = strdup(w);
	}
	free(copy);
	if (out->nwords == 0)
		return -1;
	/* NAME=VALUE in front is an assignment, not a program */
	out->simple = plain && strchr(out->words[0], '=') == NULL &&
		!is_builtin(out->words[0]);
	return 0;
}

void
xp_check_cmd_free(struct xp_check_cmd *c)
{
	for (size_t i = 0; i < c->nwords; i++)
		free(c->words[i]);
	free(c->words);
	memset(c, 0, sizeof(*c));
}

char **
xp_check_cmd_argv(const struct xp_check_cmd *c, const char *pmem,
		const char *dir)
{
	char **argv = xcalloc(c->nwords + 1, sizeof(*argv),
			"check command: argv");
	for (size_t i = 0; i < c->nwords; i++)
		argv[i] = substitute(c->words[i], pmem, dir, true);
	return argv;
}

void
xp_check_cmd_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}
