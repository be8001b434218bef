/*
 * selfcheck_log.c -- a program that is its own checker, for checks that
 * name the program's own path (pmemu explore --check without {pmem})
 *
 *   selfcheck_log append POOL   an entry on page 1, its count on page 0
 *   selfcheck_log check POOL    exit 0 when the count covers a full entry
 *
 * The correct twin makes the entry durable (msync) before the count;
 * FORGET_MSYNC syncs only the count's page, so a power failure may keep
 * the count and lose the entry. check stats the pool by its path (it must
 * be the 8 KiB pool), and marks it checked (a recovery write, which must
 * reach the image, never the user's file).
 */
#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define POOL_LEN 8192
#define PAGE 4096

struct head {
	uint64_t count;
	char checked[16];
};

static uint8_t *
pool_map(const char *path, int flags)
{
	int fd = open(path, O_RDWR | flags, 0644);
	if (fd < 0 || ftruncate(fd, POOL_LEN) != 0)
		err(2, "%s", path);
	uint8_t *p = mmap(NULL, POOL_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
			fd, 0);
	if (p == MAP_FAILED)
		err(2, "mmap");
	close(fd);
	return p;
}

static int
append(const char *path)
{
	uint8_t *p = pool_map(path, O_CREAT);
	struct head *h = (struct head *)p;
	strcpy((char *)p + PAGE, "first entry"); /* ENTRY */
#ifndef FORGET_MSYNC
	if (msync(p + PAGE, PAGE, MS_SYNC) != 0)
		err(2, "msync");
#endif
	h->count = 1;
	if (msync(p, PAGE, MS_SYNC) != 0)
		err(2, "msync");
	return 0;
}

static int
check(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0 || st.st_size != POOL_LEN ||
			access(path, R_OK | W_OK) != 0) {
		printf("%s: not the pool\n", path);
		return 3;
	}
	uint8_t *p = pool_map(path, 0);
	struct head *h = (struct head *)p;
	if (h->count > 0 && p[PAGE] == '\0') {
		printf("count %lu covers an empty entry\n",
			(unsigned long)h->count);
		return 1;
	}
	strcpy(h->checked, "checked");
	msync(p, PAGE, MS_SYNC);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc == 3 && strcmp(argv[1], "append") == 0)
		return append(argv[2]);
	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return check(argv[2]);
	fprintf(stderr, "usage: %s append|check POOL\n", argv[0]);
	return 2;
}
