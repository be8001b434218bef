/*
 * libpmem2_persist.c -- a libpmem2 program: map a file from its descriptor
 * (pmem2_source_from_fd, pmem2_map_new), store a string, make it durable
 * with the persist function libpmem2 hands out, print the granularity.
 * Built twice: FORGET_PERSIST never calls the persist function.
 *
 * usage: libpmem2_persist FILE [byte]   (an existing file of at least
 * 4 KiB; "byte" requires byte granularity: eADR)
 */
#include <fcntl.h>
#include <libpmem2.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char message[] = "written through a libpmem2 mapping";

static const char *
granularity_name(enum pmem2_granularity g)
{
	switch (g) {
	case PMEM2_GRANULARITY_BYTE:
		return "byte";
	case PMEM2_GRANULARITY_CACHE_LINE:
		return "cache-line";
	case PMEM2_GRANULARITY_PAGE:
		return "page";
	}
	return "?";
}

/* map_fd -- a read-write mapping of the whole file, of granularity gran
 * or finer */
static struct pmem2_map *
map_fd(int fd, enum pmem2_granularity gran)
{
	struct pmem2_config *cfg = NULL;
	struct pmem2_source *src = NULL;
	struct pmem2_map *map = NULL;
	if (pmem2_config_new(&cfg) != 0 ||
			pmem2_config_set_required_store_granularity(cfg,
				gran) != 0 ||
			pmem2_source_from_fd(&src, fd) != 0 ||
			pmem2_map_new(&map, cfg, src) != 0)
		pmem2_perror("pmem2");
	pmem2_source_delete(&src);
	pmem2_config_delete(&cfg);
	return map;
}

int
main(int argc, char *argv[])
{
	if (argc != 2 && !(argc == 3 && strcmp(argv[2], "byte") == 0)) {
		fprintf(stderr, "usage: %s FILE [byte]\n", argv[0]);
		return 2;
	}
	int fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	struct pmem2_map *map = map_fd(fd, argc == 3 ?
			PMEM2_GRANULARITY_BYTE : PMEM2_GRANULARITY_PAGE);
	if (map == NULL)
		return 1;
	char *addr = pmem2_map_get_address(map);
	pmem2_persist_fn persist = pmem2_get_persist_fn(map);
	strcpy(addr, message); /* STORE */
#ifndef FORGET_PERSIST
	persist(addr, sizeof(message)); /* PERSIST */
#else
	(void)persist;
#endif
	printf("granularity=%s\n",
			granularity_name(pmem2_map_get_store_granularity(map)));
	pmem2_map_delete(&map);
	close(fd);
	return 0;
}
