/*
 * devdax_pmem2.c -- a libpmem2 program on a device DAX: the source from
 * its descriptor, the whole device mapped, a record published with a
 * valid flag.
 *
 *   devdax_pmem2 DEV correct   persists the record, then the flag
 *   devdax_pmem2 DEV buggy     persists the flag only: a crash can keep
 *                              the flag without the record
 *   devdax_pmem2 DEV check     exit 1 if the flag is set and the record
 *                              is not whole (a crash image: DEV is a
 *                              file, mapped the same way)
 *
 * Prints "size=<source size> align=<source alignment> mapped=<map size>
 * granularity=<name>"; a libpmem2 error: its message, exit 2.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libpmem2.h>

#define RECORD_OFF 4096   /* the record's lines, then the flag's */
#define FLAG_OFF 8192
#define RECORD "a record that spans more than one cache line, so that a " \
	"crash can keep part of it; the check reads it back whole"

static const char *const granularity_names[] = {
	[PMEM2_GRANULARITY_BYTE] = "byte",
	[PMEM2_GRANULARITY_CACHE_LINE] = "cache_line",
	[PMEM2_GRANULARITY_PAGE] = "page",
};

static int
fail(const char *what)
{
	pmem2_perror("%s", what);
	return 2;
}

int
main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		perror(argv[1]);
		return 2;
	}
	struct pmem2_source *src;
	struct pmem2_config *cfg;
	struct pmem2_map *map;
	size_t size, align;
	if (pmem2_source_from_fd(&src, fd))
		return fail("pmem2_source_from_fd");
	if (pmem2_source_size(src, &size))
		return fail("pmem2_source_size");
	if (pmem2_source_alignment(src, &align))
		return fail("pmem2_source_alignment");
	/* a check reads a plain file: any granularity */
	bool check = strcmp(argv[2], "check") == 0;
	if (pmem2_config_new(&cfg) ||
			pmem2_config_set_required_store_granularity(cfg,
				check ? PMEM2_GRANULARITY_PAGE :
				PMEM2_GRANULARITY_CACHE_LINE))
		return fail("pmem2_config");
	if (pmem2_map_new(&map, cfg, src))
		return fail("pmem2_map_new");
	printf("size=%zu align=%zu mapped=%zu granularity=%s\n", size,
		align, pmem2_map_get_size(map), granularity_names[
			pmem2_map_get_store_granularity(map)]);
	fflush(stdout);
	char *base = pmem2_map_get_address(map);
	if (check)
		return base[FLAG_OFF] == 1 &&
			strcmp(base + RECORD_OFF, RECORD) != 0;
	pmem2_persist_fn persist = pmem2_get_persist_fn(map);
	strcpy(base + RECORD_OFF, RECORD);
	if (strcmp(argv[2], "buggy") != 0)
		persist(base + RECORD_OFF, sizeof(RECORD));
	base[FLAG_OFF] = 1;
	persist(base + FLAG_OFF, 1);
	pmem2_map_delete(&map);
	pmem2_config_delete(&cfg);
	pmem2_source_delete(&src);
	return 0;
}
