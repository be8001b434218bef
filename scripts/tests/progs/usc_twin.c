/*
 * usc_twin.c -- a libpmem2 program that persists its record only when it
 * closes cleanly and keeps the file marked dirty meanwhile, as PMDK's
 * shutdown state does: it relies on the platform to write its caches
 * back at a power failure (cxl's Global Persistent Flush). When that
 * succeeds nothing is lost; when it fails any of the stores may be, and
 * the device's unsafe shutdown count moves (explore --domain cxl).
 *
 *   usc_twin FILE write            mark dirty (with the count), store the
 *                                  record, persist it, mark clean
 *   usc_twin FILE recover buggy    dirty: trusts the record (the caches
 *                                  were written back)
 *   usc_twin FILE recover correct  dirty: compares the count it saved
 *                                  with the device's; moved: the record
 *                                  may be torn, so it is discarded
 *   usc_twin FILE usc              prints the count and the device id
 *
 * recover exits 1 when the record it keeps is torn (value and check do
 * not match), 0 otherwise.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpmem2.h>

struct layout {               /* one 64-byte line each */
	uint64_t saved_usc, dirty, pad0[6];
	uint64_t value, pad1[7];
	uint64_t check, pad2[7];  /* ~value once the record is whole */
	uint64_t valid, pad3[7];  /* set after value and check */
};

static struct pmem2_source *src;
static pmem2_persist_fn persist;

static void
die(const char *what)
{
	pmem2_perror("%s", what);
	exit(2);
}

static struct layout *
map_file(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, 1 << 20) != 0)
		exit(2);
	struct pmem2_config *cfg;
	struct pmem2_map *map;
	if (pmem2_source_from_fd(&src, fd) || pmem2_config_new(&cfg) ||
			pmem2_config_set_required_store_granularity(cfg,
				PMEM2_GRANULARITY_PAGE))
		die("source");
	if (pmem2_map_new(&map, cfg, src))
		die("map");
	persist = pmem2_get_persist_fn(map);
	return pmem2_map_get_address(map);
}

static uint64_t
device_usc(void)
{
	uint64_t usc;
	if (pmem2_source_device_usc(src, &usc))
		die("pmem2_source_device_usc");
	return usc;
}

static void
write_record(struct layout *l)
{
	l->saved_usc = device_usc();
	l->dirty = 1;
	persist(l, 64);
	/* not flushed until close: the platform writes caches back */
	l->value = 42;
	l->check = ~(uint64_t)42;
	l->valid = 1;
	persist(&l->value, 64);
	persist(&l->check, 64);
	persist(&l->valid, 64);
	l->dirty = 0;
	persist(l, 64);
}

static int
recover(struct layout *l, int correct)
{
	if (l->dirty && correct && l->saved_usc != device_usc()) {
		printf("unsafe shutdown (count %llu, saved %llu): record "
			"discarded\n", (unsigned long long)device_usc(),
			(unsigned long long)l->saved_usc);
		l->value = l->check = l->valid = 0;
		persist(&l->value, 64);
		persist(&l->check, 64);
		persist(&l->valid, 64);
		return 0;
	}
	if (l->valid && l->check != ~l->value) {
		printf("torn record: value %llu check %llx\n",
			(unsigned long long)l->value,
			(unsigned long long)l->check);
		return 1;
	}
	printf("record ok: value %llu\n", (unsigned long long)l->value);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	struct layout *l = map_file(argv[1]);
	if (strcmp(argv[2], "write") == 0) {
		write_record(l);
		return 0;
	}
	if (strcmp(argv[2], "usc") == 0) {
		size_t len;
		if (pmem2_source_device_id(src, NULL, &len))
			die("pmem2_source_device_id");
		char *id = calloc(1, len);
		if (id == NULL || pmem2_source_device_id(src, id, &len))
			die("pmem2_source_device_id");
		printf("usc %llu id %s\n", (unsigned long long)device_usc(),
			id);
		return 0;
	}
	if (strcmp(argv[2], "recover") == 0 && argc == 4)
		return recover(l, strcmp(argv[3], "correct") == 0);
	return 2;
}
