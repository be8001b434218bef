/* cli_badblocks.c -- bad blocks of a pmem dir's files (cli_badblocks.h) */
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli_badblocks.h"
#include "xalloc.h"

#define SECTOR 512u

/* a run of poisoned sectors, first and last */
struct run {
	uint64_t first, last;
};

static int
run_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct run *)a)->first;
	uint64_t y = ((const struct run *)b)->first;
	return x < y ? -1 : x > y;
}

/* read_runs -- the sectors of `name` the list names, in *n runs */
static struct run *
read_runs(const char *dir, const char *name, size_t *n)
{
	char path[PATH_MAX * 2];
	size_t dl = strlen(dir), cap = 0;
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	snprintf(path, sizeof(path), "%.*s.pmemu/badblocks", (int)dl, dir);
	struct run *runs = NULL;
	*n = 0;
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	char line[PATH_MAX + 64];
	while (fgets(line, sizeof(line), f) != NULL) {
		char *sp2 = strrchr(line, ' '), *sp1;
		if (sp2 == NULL)
			continue;
		*sp2 = '\0';
		if ((sp1 = strrchr(line, ' ')) == NULL)
			continue;
		*sp1 = '\0';
		uint64_t off = strtoull(sp1 + 1, NULL, 10);
		uint64_t len = strtoull(sp2 + 1, NULL, 10);
		if (strcmp(line, name) != 0 || len == 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			runs = xrealloc(runs, cap * sizeof(*runs), "bad blocks");
		}
		runs[(*n)++] = (struct run){ off / SECTOR,
			(off + len - 1) / SECTOR };
	}
	fclose(f);
	return runs;
}

size_t
cli_badblocks_print(const char *dir, const char *name, FILE *out)
{
	size_t n, m = 0, count = 0;
	struct run *runs = read_runs(dir, name, &n);
	if (n > 0)
		qsort(runs, n, sizeof(*runs), run_cmp);
	for (size_t i = 0; i < n; i++) { /* merge runs that touch */
		if (m > 0 && runs[i].first <= runs[m - 1].last + 1) {
			if (runs[i].last > runs[m - 1].last)
				runs[m - 1].last = runs[i].last;
			continue;
		}
		runs[m++] = runs[i];
	}
	for (size_t i = 0; i < m; i++)
		count += runs[i].last - runs[i].first + 1;
	fprintf(out, ",\n        \"badblock_count\":%zu,\n"
		"        \"badblocks\":[", count);
	for (size_t i = 0; i < m; i++)
		fprintf(out, "%s\n          {\n            \"offset\":%" PRIu64
			",\n            \"length\":%" PRIu64 "\n          }",
			i ? "," : "", runs[i].first,
			runs[i].last - runs[i].first + 1);
	fprintf(out, "%s]", m ? "\n        " : "");
	free(runs);
	return count;
}
