/*
 * dimm.c -- the text of DIR/.pmemu-dimm (dimm.h): "key value" lines,
 * '#' comments
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dimm.h"

void
trace_dimm_default(struct trace_dimm *d)
{
	d->shutdown_count = 0;
	snprintf(d->unique_id, sizeof(d->unique_id), "%s",
			TRACE_DIMM_DEFAULT_ID);
}

bool
trace_dimm_is_file(const char *name)
{
	return strcmp(name, TRACE_DIMM_FILE) == 0;
}

/* parse_count -- decimal, below UINT64_MAX (a crash image adds one) */
static int
parse_count(const char *v, size_t n, uint64_t *out)
{
	uint64_t c = 0;
	if (n == 0 || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		unsigned dgt = (unsigned)(v[i] - '0');
		if (c > (UINT64_MAX - 1 - dgt) / 10)
			return -1;
		c = c * 10 + dgt;
	}
	*out = c;
	return 0;
}

/* parse_id -- letters, digits, '-' and '_' (ndctl prints ids in JSON) */
static int
parse_id(const char *v, size_t n, char *out)
{
	if (n == 0 || n > TRACE_DIMM_ID_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
				(c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
			return -1;
	}
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

/* parse_line -- one "key value" line; 0 or -1 with err */
static int
parse_line(const char *s, size_t n, struct trace_dimm *d, char *err,
		size_t errlen)
{
	size_t k = 0;
	while (k < n && s[k] != ' ')
		k++;
	const char *v = s + k + (k < n);
	size_t vn = n - k - (k < n);
	if (k == 14 && memcmp(s, "shutdown_count", 14) == 0) {
		if (parse_count(v, vn, &d->shutdown_count) == 0)
			return 0;
		snprintf(err, errlen, "shutdown_count '%.*s': expected a "
			"number from 0 to %" PRIu64, (int)(vn > 40 ? 40 : vn),
			v, UINT64_MAX - 1);
		return -1;
	}
	if (k == 9 && memcmp(s, "unique_id", 9) == 0) {
		if (parse_id(v, vn, d->unique_id) == 0)
			return 0;
		snprintf(err, errlen, "unique_id '%.*s': expected 1 to %d "
			"letters, digits, '-' or '_'", (int)(vn > 60 ? 60 : vn),
			v, TRACE_DIMM_ID_MAX);
		return -1;
	}
	snprintf(err, errlen, "unknown key '%.*s'; expected shutdown_count "
		"or unique_id", (int)(k > 40 ? 40 : k), s);
	return -1;
}

int
trace_dimm_parse(const char *text, size_t len, struct trace_dimm *d,
		char *err, size_t errlen)
{
	trace_dimm_default(d);
	unsigned lineno = 0;
	for (size_t i = 0; i < len; ) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - text) - i : len - i;
		lineno++;
		if (n > 0 && text[i] != '#') {
			char why[160];
			if (memchr(text + i, '\0', n) != NULL) {
				snprintf(err, errlen, "line %u: a NUL byte",
						lineno);
				return -1;
			}
			if (parse_line(text + i, n, d, why, sizeof(why)) != 0) {
				snprintf(err, errlen, "line %u: %s", lineno,
						why);
				return -1;
			}
		}
		i += n + 1;
	}
	return 0;
}

size_t
trace_dimm_format(const struct trace_dimm *d, char *buf, size_t len)
{
	int n = snprintf(buf, len, "# pmemu's emulated DIMM (docs/model.md)\n"
		"shutdown_count %" PRIu64 "\nunique_id %s\n",
		d->shutdown_count, d->unique_id);
	return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
}
