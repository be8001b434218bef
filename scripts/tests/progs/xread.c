/* xread.c -- a record with a statistics field, and its recovery check
 * (test_explore_xread.py).
 *   xread POOL unflushed    the field is stored, never flushed, and the
 *                           record published (a cross-failure read)
 *   xread POOL flushed      the field is persisted before publishing
 *   xread check POOL read   the recovery: magic, then the published
 *                           record's field (its value is only printed:
 *                           the verdict cannot depend on it)
 *   xread check POOL write  the recovery resets the field's line first
 *   xread check POOL pwrite ... with pwrite
 *   xread check POOL strict the recovery requires the field (its verdict
 *                           depends on it: a failure, not a warning)
 */
#include <fcntl.h>
#include <libpmem.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAGIC 0x5245434f52440001ull
#define POOL_LEN 8192

struct head {
	uint64_t magic;                         /* line 0 */
	char pad[56];
	uint64_t published;                     /* line 1 */
};
#define STATS(p) ((uint64_t *)((char *)(p) + 4096)) /* its own page */

static int
check(const char *path, const char *how)
{
	int fd = open(path, O_RDWR);
	if (fd < 0)
		return 0; /* nothing created yet: nothing to recover */
	struct head *h = mmap(NULL, POOL_LEN, PROT_READ | PROT_WRITE,
			MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		return 0;
	if (h->magic != 0 && h->magic != MAGIC)
		return 1;
	static const char zero[64];
	if (strcmp(how, "write") == 0)
		memset(STATS(h), 0, 64);
	else if (strcmp(how, "pwrite") == 0 &&
			pwrite(fd, zero, sizeof(zero), 4096) != sizeof(zero))
		return 1;
	if (h->magic == MAGIC && h->published)
		printf("stats %llu\n", (unsigned long long)*STATS(h));
	return strcmp(how, "strict") == 0 && h->magic == MAGIC &&
		h->published && *STATS(h) != 42;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "check") == 0)
		return check(argv[2], argv[3]);
	if (argc != 3)
		return 2;
	size_t len;
	int is_pmem;
	struct head *h = pmem_map_file(argv[1], POOL_LEN, PMEM_FILE_CREATE,
			0644, &len, &is_pmem);
	if (h == NULL)
		return 1;
	h->magic = MAGIC;
	pmem_persist(&h->magic, 8);
	*STATS(h) = 42;
	if (strcmp(argv[2], "flushed") == 0)
		pmem_persist(STATS(h), 8);
	h->published = 1;
	pmem_persist(&h->published, 8);
	pmem_unmap(h, len);
	return 0;
}
