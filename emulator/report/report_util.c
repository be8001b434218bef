/* report_util.c -- small helpers shared by the report writers */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report_util.h"

int
report_grow(void **arr, size_t *n, size_t elem, uint32_t id)
{
	if (id >= REPORT_ID_LIMIT)
		return -EINVAL;
	if (id < *n)
		return 0;
	size_t want = *n ? *n : 16;
	while (want <= id)
		want *= 2;
	char *p = realloc(*arr, want * elem);
	if (p == NULL)
		return -ENOMEM;
	memset(p + *n * elem, 0, (want - *n) * elem);
	*arr = p;
	*n = want;
	return 0;
}

const char *
report_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

void
report_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}
