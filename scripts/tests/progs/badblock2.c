/* badblock2.c -- libpmem2's bad block API on a pool (test_platform_badblock.py).
 *   badblock2 POOL check    lists the bad blocks (pmem2_badblock_next),
 *                           clears them (pmem2_badblock_clear), rewrites
 *                           the record, then reads it (the correct twin)
 *   badblock2 POOL list     only lists them
 *   badblock2 POOL nocheck  reads the record at 0x1040 (the buggy twin)
 * The pool is badblock.c's (created by `badblock POOL create`).
 */
#include <fcntl.h>
#include <libpmem2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define POOL_LEN 8192
#define REC_OFF 0x1040

/* bad_blocks -- lists (and with `clear` clears) them; their number */
static int
bad_blocks(int fd, int clear)
{
	struct pmem2_source *src;
	struct pmem2_badblock_context *ctx;
	if (pmem2_source_from_fd(&src, fd) != 0 ||
			pmem2_badblock_context_new(&ctx, src) != 0) {
		printf("error %s\n", pmem2_errormsg());
		return -1;
	}
	struct pmem2_badblock bb;
	int n = 0;
	while (pmem2_badblock_next(ctx, &bb) == 0) {
		printf("badblock offset=%zu length=%zu\n", bb.offset,
			bb.length);
		if (clear && pmem2_badblock_clear(ctx, &bb) != 0)
			printf("clear failed\n");
		n++;
	}
	pmem2_badblock_context_delete(&ctx);
	pmem2_source_delete(&src);
	return n;
}

int
main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int fd = open(argv[1], O_RDWR);
	if (fd < 0)
		return 2;
	const char *how = argv[2];
	if (strcmp(how, "list") == 0)
		return bad_blocks(fd, 0) < 0;
	int check = strcmp(how, "check") == 0;
	int n = check ? bad_blocks(fd, 1) : 0;
	if (n < 0)
		return 1;
	char *base = mmap(NULL, POOL_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		fd, 0);
	if (base == MAP_FAILED)
		return 2;
	uint64_t *rec = (uint64_t *)(base + REC_OFF);
	if (n > 0) {
		*rec = 42; /* restored from elsewhere: the line was lost */
		msync(base, POOL_LEN, MS_SYNC);
	}
	printf("record %llu\n", (unsigned long long)*(volatile uint64_t *)rec);
	return 0;
}
