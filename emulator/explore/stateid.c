/* stateid.c -- crash state ids: "<point>[:<r>.<off>=<outcome>,...]"
 *
 * <point> is decimal (records applied), <r> the region id in decimal,
 * <off> the line offset in hex without 0x, <outcome> w<v> (write-back of
 * history version v completed), e<v> (evicted with version v), t<v>.<p>
 * (version v's store arrived torn: pieces mask p in hex), p (poisoned: its
 * write-back was in flight, --strategy poison). Lines not named
 * are LOST (the durable content). The id names media content only, so it
 * is stable across runs, machines and options (docs/explore.md).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "stateid.h"
#include "xalloc.h"

static int
choice_cmp(const void *a, const void *b)
{
	const struct xp_choice *x = a, *y = b;
	if (x->region != y->region)
		return x->region < y->region ? -1 : 1;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return 0;
}

char *
xp_state_id(uint64_t point, const struct xp_choice *c, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		abort();
	fprintf(f, "%" PRIu64, point);
	char sep = ':';
	for (size_t i = 0; i < n; i++) {
		const struct model_outcome *o = &c[i].out;
		if (o->kind == MODEL_OUT_LOST)
			continue;
		fprintf(f, "%c%u.%" PRIx64 "=", sep, c[i].region, c[i].off);
		sep = ',';
		if (o->kind == MODEL_OUT_WB)
			fprintf(f, "w%u", o->point);
		else if (o->kind == MODEL_OUT_EVICT)
			fprintf(f, "e%u", o->point);
		else if (o->kind == MODEL_OUT_POISON)
			fputc('p', f);
		else
			fprintf(f, "t%u.%" PRIx64, o->point, o->pieces);
	}
	fclose(f);
	return buf;
}

/* parse_outcome -- "w3", "e2", "t4.5", "p"; 0 or -1 */
static int
parse_outcome(const char *s, struct model_outcome *o)
{
	char *end;
	memset(o, 0, sizeof(*o));
	if (strcmp(s, "p") == 0) {
		o->kind = MODEL_OUT_POISON;
		return 0;
	}
	switch (s[0]) {
	case 'w': o->kind = MODEL_OUT_WB; break;
	case 'e': o->kind = MODEL_OUT_EVICT; break;
	case 't': o->kind = MODEL_OUT_TORN; break;
	default: return -1;
	}
	if (s[1] < '0' || s[1] > '9')
		return -1;
	unsigned long v = strtoul(s + 1, &end, 10);
	if (v == 0 || v > UINT32_MAX)
		return -1;
	o->point = (uint32_t)v;
	if (o->kind == MODEL_OUT_TORN) {
		if (*end != '.' || end[1] == '\0')
			return -1;
		o->pieces = strtoull(end + 1, &end, 16);
	}
	return *end == '\0' ? 0 : -1;
}

static int
parse_entry(char *t, struct xp_choice *c)
{
	char *eq = strchr(t, '=');
	char *dot = strchr(t, '.');
	char *end;
	if (eq == NULL || dot == NULL || dot > eq || t[0] < '0' || t[0] > '9')
		return -1;
	*eq = '\0';
	*dot = '\0';
	unsigned long r = strtoul(t, &end, 10);
	if (*end != '\0' || r > UINT32_MAX || dot[1] == '\0')
		return -1;
	c->region = (uint32_t)r;
	c->off = strtoull(dot + 1, &end, 16);
	if (*end != '\0')
		return -1;
	return parse_outcome(eq + 1, &c->out);
}

int
xp_state_parse(const char *id, uint64_t *point, struct xp_choice **c,
		size_t *n)
{
	char *end;
	*c = NULL;
	*n = 0;
	if (id[0] < '0' || id[0] > '9')
		return -1;
	*point = strtoull(id, &end, 10);
	if (*end == '\0')
		return 0;
	if (*end != ':' || end[1] == '\0')
		return -1;
	char *copy = xp_strdup(end + 1), *save = NULL;
	size_t cap = 0;
	int rc = 0;
	for (char *t = strtok_r(copy, ",", &save); t;
			t = strtok_r(NULL, ",", &save)) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*c = xrealloc(*c, cap * sizeof(**c),
					"xp_state_parse: c");
		}
		if (parse_entry(t, &(*c)[*n]) != 0) {
			rc = -1;
			break;
		}
		(*n)++;
	}
	free(copy);
	if (rc == 0 && *n > 1) {
		qsort(*c, *n, sizeof(**c), choice_cmp);
		for (size_t i = 1; i < *n; i++)
			if (choice_cmp(&(*c)[i - 1], &(*c)[i]) == 0)
				rc = -1; /* a line named twice */
	}
	if (rc != 0) {
		free(*c);
		*c = NULL;
		*n = 0;
	}
	return rc;
}
