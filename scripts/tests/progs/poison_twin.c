/* poison_twin.c -- a record whose write-back a crash may leave poisoned
 * (test_explore_poison.py, --strategy poison).
 *   poison_twin POOL write    stores the record at 0x1040 (one line),
 *                             flushes it, fences: a crash before the
 *                             fence finds its write-back in flight
 *   poison_twin POOL read     the buggy recovery: loads the record with no
 *                             thought of bad blocks (SIGBUS on a poisoned
 *                             line)
 *   poison_twin POOL recover  the correct one: asks libpmem2 for the bad
 *                             blocks first; a bad record line is cleared
 *                             (zeros: a record never written, which the
 *                             missing fence allows), then loaded
 * A record is consistent when all zeros or its sum matches: exit 0, else 1.
 */
#include <fcntl.h>
#include <libpmem.h>
#include <libpmem2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define POOL_LEN 8192
#define REC_OFF 0x1040

struct record {
	uint64_t magic, value, sum;
	uint8_t pad[40];
};

#define MAGIC 0x64726f636572ull

/* clear_bad_blocks -- clears the pool's bad blocks; -1 on error */
static int
clear_bad_blocks(const char *path)
{
	int fd = open(path, O_RDWR);
	struct pmem2_source *src;
	struct pmem2_badblock_context *ctx;
	if (fd < 0 || pmem2_source_from_fd(&src, fd) != 0 ||
			pmem2_badblock_context_new(&ctx, src) != 0)
		return -1;
	struct pmem2_badblock bb;
	while (pmem2_badblock_next(ctx, &bb) == 0) {
		printf("bad block at %zu, %zu bytes: cleared\n", bb.offset,
			bb.length);
		if (pmem2_badblock_clear(ctx, &bb) != 0)
			return -1;
	}
	pmem2_badblock_context_delete(&ctx);
	pmem2_source_delete(&src);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	const char *how = argv[2];
	if (strcmp(how, "recover") == 0 && clear_bad_blocks(argv[1]) != 0)
		return 2;
	size_t len;
	int is_pmem;
	char *base = pmem_map_file(argv[1], 0, 0, 0, &len, &is_pmem);
	if (base == NULL || len < POOL_LEN)
		return 2;
	struct record *rec = (struct record *)(base + REC_OFF);
	if (strcmp(how, "write") == 0) {
		rec->magic = MAGIC;
		rec->value = 42;
		rec->sum = MAGIC ^ 42;
		pmem_flush(rec, sizeof(*rec));
		pmem_drain();
		pmem_unmap(base, len);
		return 0;
	}
	struct record r = *(volatile struct record *)rec;
	int ok = (r.magic == 0 && r.value == 0 && r.sum == 0) ||
		(r.magic == MAGIC && r.sum == (r.magic ^ r.value));
	printf("record %llu: %s\n", (unsigned long long)r.value,
		ok ? "consistent" : "torn");
	pmem_unmap(base, len);
	return ok ? 0 : 1;
}
