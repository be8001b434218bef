/* shim_badblock_spec.c -- the syntax of --badblock (shim_badblock_spec.h) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shim_badblock_spec.h"

/* number -- the whole of [s, e) as a decimal or 0x number */
static int
number(const char *s, const char *e, uint64_t *v)
{
	if (s == e || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	char buf[32];
	if ((size_t)(e - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	char *end;
	errno = 0;
	unsigned long long n = strtoull(buf, &end, 0);
	if (errno != 0 || *end != '\0')
		return -1;
	*v = n;
	return 0;
}

/* dotdot -- FILE has a '..' component: it would leave the pmem dir */
static int
dotdot(const char *f)
{
	for (const char *p = f; (p = strstr(p, "..")) != NULL; p += 2)
		if ((p == f || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return 1;
	return 0;
}

int
shim_badblock_next(const char **spec, char *file, size_t flen,
		uint64_t *off, uint64_t *len)
{
	const char *s = *spec;
	if (*s == '\0')
		return 0;
	const char *end = strchr(s, ',');
	if (end == NULL)
		end = s + strlen(s);
	const char *c2 = NULL, *c1 = NULL;
	for (const char *p = end; p > s; p--)
		if (p[-1] == ':') {
			if (c2 == NULL)
				c2 = p - 1;
			else {
				c1 = p - 1;
				break;
			}
		}
	if (c1 == NULL || c1 == s || *s == '/' ||
			(size_t)(c1 - s) >= flen ||
			number(c1 + 1, c2, off) != 0 ||
			number(c2 + 1, end, len) != 0 || *len == 0 ||
			*off + *len < *off)
		return -1;
	memcpy(file, s, (size_t)(c1 - s));
	file[c1 - s] = '\0';
	if (dotdot(file) || (*end == ',' && end[1] == '\0'))
		return -1;
	*spec = *end == ',' ? end + 1 : end;
	return 1;
}
