/* json.c -- a small JSON reader: enough for pmemu's own reports (merge) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "xalloc.h"

struct parser {
	const char *p, *end;
	const char *err;
	int depth;
};

static void
ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' ||
			*ps->p == '\r' || *ps->p == '\t'))
		ps->p++;
}

static int parse_value(struct parser *ps, struct json *v);

static int
fail(struct parser *ps, const char *what)
{
	if (ps->err == NULL)
		ps->err = what;
	return -1;
}

static int
parse_string(struct parser *ps, char **out)
{
	if (ps->p >= ps->end || *ps->p != '"')
		return fail(ps, "expected a string");
	ps->p++;
	size_t cap = 32, n = 0;
	char *s = xmalloc(cap, "parse_string: s");
	while (ps->p < ps->end && *ps->p != '"') {
		char c = *ps->p++;
		if (c == '\\' && ps->p < ps->end) {
			c = *ps->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u': {
				unsigned u = 0;
				if (ps->end - ps->p < 4 ||
						sscanf(ps->p, "%4x", &u) != 1) {
					free(s);
					return fail(ps, "bad \\u escape");
				}
				ps->p += 4;
				c = u < 0x80 ? (char)u : '?';
				break;
			}
			default: break; /* \" \\ \/ */
			}
		}
		if (n + 2 > cap)
			s = xrealloc(s, cap *= 2, "parse_string: s");
		s[n++] = c;
	}
	if (ps->p >= ps->end) {
		free(s);
		return fail(ps, "unterminated string");
	}
	ps->p++;
	s[n] = '\0';
	*out = s;
	return 0;
}

static int
parse_items(struct parser *ps, struct json *v, bool object)
{
	char close = object ? '}' : ']';
	ps->p++;
	ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		v->items = xrealloc(v->items, (v->n + 1) * sizeof(*v->items),
				"parse_items: v->items");
		v->keys = xrealloc(v->keys, (v->n + 1) * sizeof(*v->keys),
				"parse_items: v->keys");
		v->keys[v->n] = NULL;
		memset(&v->items[v->n], 0, sizeof(v->items[v->n]));
		ws(ps);
		if (object) {
			if (parse_string(ps, &v->keys[v->n]) != 0)
				return -1;
			ws(ps);
			if (ps->p >= ps->end || *ps->p++ != ':')
				return fail(ps, "expected ':'");
		}
		v->n++;
		if (parse_value(ps, &v->items[v->n - 1]) != 0)
			return -1;
		ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return 0;
		}
		return fail(ps, object ? "expected ',' or '}'" :
				"expected ',' or ']'");
	}
}

static int
parse_word(struct parser *ps, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(ps->end - ps->p) < n || strncmp(ps->p, w, n) != 0)
		return fail(ps, "unexpected character");
	ps->p += n;
	return 0;
}

static int
parse_value(struct parser *ps, struct json *v)
{
	if (++ps->depth > 64)
		return fail(ps, "nested too deep");
	ws(ps);
	int rc = 0;
	if (ps->p >= ps->end)
		rc = fail(ps, "unexpected end");
	else if (*ps->p == '{' || *ps->p == '[') {
		v->type = *ps->p == '{' ? JSON_OBJECT : JSON_ARRAY;
		rc = parse_items(ps, v, v->type == JSON_OBJECT);
	} else if (*ps->p == '"') {
		v->type = JSON_STRING;
		rc = parse_string(ps, &v->s);
	} else if (*ps->p == 't' || *ps->p == 'f') {
		v->type = JSON_BOOL;
		v->b = *ps->p == 't';
		rc = parse_word(ps, v->b ? "true" : "false");
	} else if (*ps->p == 'n') {
		v->type = JSON_NULL;
		rc = parse_word(ps, "null");
	} else {
		char *end;
		v->type = JSON_NUMBER;
		errno = 0;
		v->num = strtod(ps->p, &end);
		if (end == ps->p)
			rc = fail(ps, "unexpected character");
		if (*ps->p != '-')
			v->u = strtoull(ps->p, NULL, 10);
		ps->p = end;
	}
	ps->depth--;
	return rc;
}

int
json_parse(const char *text, size_t len, struct json *v, char *err,
		size_t errlen)
{
	struct parser ps = { text, text + len, NULL, 0 };
	memset(v, 0, sizeof(*v));
	if (parse_value(&ps, v) == 0) {
		ws(&ps);
		if (ps.p == ps.end)
			return 0;
		fail(&ps, "trailing characters");
	}
	snprintf(err, errlen, "%s at byte %zu", ps.err, (size_t)(ps.p - text));
	json_free(v);
	return -1;
}

void
json_free(struct json *v)
{
	for (size_t i = 0; i < v->n; i++) {
		json_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->s);
	memset(v, 0, sizeof(*v));
}

const struct json *
json_get(const struct json *v, const char *key)
{
	if (v == NULL || v->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return &v->items[i];
	return NULL;
}

const char *
json_str(const struct json *v, const char *key)
{
	const struct json *x = json_get(v, key);
	return x && x->type == JSON_STRING ? x->s : NULL;
}

uint64_t
json_u64(const struct json *v, const char *key)
{
	const struct json *x = json_get(v, key);
	return x && x->type == JSON_NUMBER ? x->u : 0;
}

bool
json_bool(const struct json *v, const char *key)
{
	const struct json *x = json_get(v, key);
	return x && x->type == JSON_BOOL && x->b;
}
