/*
 * cmd_list.c -- `pmemu list`: the emulated namespaces in the JSON shape of
 * `ndctl list -RN`: one region (the pmem dir) with one namespace per
 * regular file in it: devdax for a file named dax<R>.<N>, else fsdax;
 * -D: its DIMM (cli_dimm.c)
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_badblocks.h"
#include "cli_launch.h"
#include "dimm.h"
#include "model.h"

#define FSDAX_ALIGN 2097152 /* ndctl's default fsdax and devdax alignment */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* files -- the regular files of dir, sorted; count in *n */
static char **
files(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return NULL;
	char **v = NULL;
	size_t cap = 0;
	*n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char p[PATH_MAX * 2];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (stat(p, &st) != 0 || !S_ISREG(st.st_mode) ||
				trace_dimm_is_file(e->d_name))
			continue; /* .pmemu-dimm: pmemu's, not a namespace */
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc(v, cap * sizeof(*v));
		}
		v[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), name_cmp);
	return v ? v : calloc(1, sizeof(*v));
}

static void
print_namespace(const char *dir, const char *name, size_t i, unsigned sector,
		bool media_errors)
{
	char p[PATH_MAX * 2];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	long long size = stat(p, &st) == 0 ? (long long)st.st_size : 0;
	if (cli_devdax_name(name)) {
		/* ndctl list -N of a device DAX namespace */
		printf("%s      {\n"
			"        \"dev\":\"namespace0.%zu\",\n"
			"        \"mode\":\"devdax\",\n"
			"        \"map\":\"dev\",\n"
			"        \"size\":%lld,\n"
			"        \"chardev\":\"%s\",\n"
			"        \"align\":%d,\n"
			"        \"file\":\"%s\"", i ? ",\n" : "", i, size, name,
			FSDAX_ALIGN, p);
		if (media_errors)
			cli_badblocks_print(dir, name, stdout);
		printf("\n      }");
		return;
	}
	printf("%s      {\n"
		"        \"dev\":\"namespace0.%zu\",\n"
		"        \"mode\":\"fsdax\",\n"
		"        \"map\":\"dev\",\n"
		"        \"size\":%lld,\n"
		"        \"sector_size\":%u,\n"
		"        \"align\":%d,\n"
		"        \"blockdev\":\"pmem%zu\",\n"
		"        \"file\":\"%s\"", i ? ",\n" : "", i, size, sector,
		FSDAX_ALIGN, i, p);
	if (media_errors)
		cli_badblocks_print(dir, name, stdout);
	printf("\n      }");
}

/* -D, --dimms (and -DH, -H: the health is always shown), as ndctl */
static bool
list_dimms_option(const char *a)
{
	return strcmp(a, "-D") == 0 || strcmp(a, "--dimms") == 0 ||
		strcmp(a, "-DH") == 0 || strcmp(a, "-H") == 0 ||
		strcmp(a, "--health") == 0;
}

int
cmd_list(int argc, char **argv)
{
	const char *dir = getenv("PMEMU_PMEM_DIR");
	const char *dom = getenv("PMEMU_DOMAIN");
	const char *sec = getenv("PMEMU_SECTOR");
	bool media_errors = false;
	bool dimms = false;
	for (int i = 1; i < argc; i++) {
		const char *v;
		if (strcmp(argv[i], "--media-errors") == 0 ||
				strcmp(argv[i], "-M") == 0)
			media_errors = true;
		else if (list_dimms_option(argv[i]))
			dimms = true;
		else if ((v = cli_opt_value(argc, argv, &i, "--pmem-dir")) != NULL)
			dir = v;
		else if ((v = cli_opt_value(argc, argv, &i, "--domain")) != NULL)
			dom = v;
		else if ((v = cli_opt_value(argc, argv, &i, "--sector")) != NULL)
			sec = v;
		else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: pmemu list --pmem-dir DIR [--domain D] "
				"[--sector 512|4096] [--media-errors] [-D]\n");
			return CLI_EXIT_OK;
		} else
			return cli_error("unknown option '%s'; see 'pmemu list "
				"--help'", argv[i]);
	}
	enum model_domain d = MODEL_DOMAIN_ADR;
	if (dom != NULL && model_domain_parse(dom, &d) != 0)
		return cli_error("--domain %s: expected adr, eadr, pagecache "
			"or cxl", dom);
	unsigned long sector = 512;
	if (sec != NULL && (cli_parse_uint(sec, 512, 4096, &sector) != 0 ||
			(sector != 512 && sector != 4096)))
		return cli_error("--sector %s: expected 512 or 4096", sec);
	char real[PATH_MAX];
	if (dir == NULL)
		return cli_error("--pmem-dir DIR is required (or PMEMU_PMEM_DIR)");
	if (realpath(dir, real) == NULL)
		return cli_error("--pmem-dir %s: %s", dir, strerror(errno));
	if (dimms)
		return cli_list_dimms(real);
	size_t n = 0;
	char **names = files(real, &n);
	if (names == NULL)
		return cli_error("--pmem-dir %s: %s", dir, strerror(errno));
	long long total = 0;
	for (size_t i = 0; i < n; i++) {
		char p[PATH_MAX * 2];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", real, names[i]);
		if (stat(p, &st) == 0)
			total += st.st_size;
	}
	const char *pd = d == MODEL_DOMAIN_EADR ? "cpu_cache" :
		d == MODEL_DOMAIN_ADR || d == MODEL_DOMAIN_CXL ?
		"memory_controller" : "none";
	printf("[\n  {\n    \"dev\":\"region0\",\n    \"size\":%lld,\n"
		"    \"align\":%d,\n    \"available_size\":0,\n"
		"    \"type\":\"pmem\",\n    \"persistence_domain\":\"%s\",\n"
		"    \"namespaces\":[\n", total, FSDAX_ALIGN, pd);
	for (size_t i = 0; i < n; i++) {
		print_namespace(real, names[i], i, (unsigned)sector,
			media_errors);
		free(names[i]);
	}
	free(names);
	printf("%s    ]\n  }\n]\n", n ? "\n" : "");
	return CLI_EXIT_OK;
}
