/*
 * xalloc.h -- allocations the emulator cannot go on without, as git's
 * xmalloc: on failure one line "pmemu: error: out of memory (N bytes for
 * WHAT)" on stderr, then abort. Header only: the explorer, the CLI and
 * their tests include it without another library.
 */
#ifndef PMEMU_XALLOC_H
#define PMEMU_XALLOC_H 1

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void
xalloc_die(size_t n, const char *what)
{
	fprintf(stderr, "pmemu: error: out of memory (%zu bytes for %s)\n", n,
		what);
	abort();
}

static inline void *
xmalloc(size_t n, const char *what)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		xalloc_die(n, what);
	return p;
}

static inline void *
xcalloc(size_t nmemb, size_t size, const char *what)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (p == NULL)
		xalloc_die(nmemb * size, what);
	return p;
}

static inline void *
xrealloc(void *old, size_t n, const char *what)
{
	void *p = realloc(old, n ? n : 1);
	if (p == NULL)
		xalloc_die(n, what);
	return p;
}

static inline char *
xstrdup(const char *s, const char *what)
{
	char *d = strdup(s);
	if (d == NULL)
		xalloc_die(strlen(s) + 1, what);
	return d;
}

/* xvasprintf -- vasprintf's string, never NULL */
static inline char *
xvasprintf(const char *what, const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		xalloc_die(strlen(fmt), what);
	return s;
}

static inline char *
xasprintf(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline char *
xasprintf(const char *what, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(what, fmt, ap);
	va_end(ap);
	return s;
}

#endif
