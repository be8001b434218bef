/*
 * report_util.h -- small helpers shared by the report writers
 */
#ifndef PMEMU_REPORT_UTIL_H
#define PMEMU_REPORT_UTIL_H 1

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REPORT_ID_LIMIT (1u << 24) /* ids are small: tables are arrays */

/* makes (*arr)[id] exist, new elements zeroed; 0, -EINVAL or -ENOMEM */
int report_grow(void **arr, size_t *n, size_t elem, uint32_t id);
/* the last component of a path */
const char *report_basename(const char *path);
/* s as a JSON string, quotes included */
void report_json_string(FILE *out, const char *s);

#endif
