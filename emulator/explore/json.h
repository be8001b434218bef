/* json.h -- a small JSON reader (a tree) for pmemu's own reports */
#ifndef PMEMU_JSON_H
#define PMEMU_JSON_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_type {
	JSON_NULL = 0, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY,
	JSON_OBJECT,
};

struct json {
	enum json_type type;
	bool b;
	double num;
	uint64_t u;             /* the number as an unsigned integer */
	char *s;
	size_t n;               /* items of an array or object */
	struct json *items;
	char **keys;            /* object keys */
};

/* 0, or -1 with "what at byte N" in err */
int json_parse(const char *text, size_t len, struct json *v, char *err,
		size_t errlen);
void json_free(struct json *v);
/* a member of an object, or NULL */
const struct json *json_get(const struct json *v, const char *key);
const char *json_str(const struct json *v, const char *key);
uint64_t json_u64(const struct json *v, const char *key);
bool json_bool(const struct json *v, const char *key);

#endif
