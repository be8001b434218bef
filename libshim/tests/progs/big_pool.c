/*
 * big_pool.c -- a 3 MiB pool written whole and persisted, then one line
 * more: its crash images do not fit a 2 MiB file system (test_full_disk)
 *
 * big_pool FILE reuse: a 24 MiB pool whose pages are settled once each,
 * in address order, while page 0 stays open (hot): each settled page's
 * twin goes back to the pool of twins (libshim/region/shim_dirty_twin.c)
 * for the next page, page 0 keeps its own. Every store is persisted, so
 * no finding may be reported; a twin taken from under the open page would
 * make its lines look changed (test_shim_run.py; twin_pool.c tests the
 * pool's overflow).
 */
#include <err.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pmemu.h"

#define LEN (3u << 20)
#define REUSE_LEN (24u << 20)
#define PAGE 4096

static void
persist(char *p, size_t len)
{
	pmemu_flush(p, len);
	pmemu_fence();
}

static void
reuse(char *p)
{
	/* 4,200 pages settled once each (cold): their twins back to the
	 * pool */
	unsigned i;
	for (i = 1; i <= 4200; i++) {
		p[i * PAGE] = (char)i;
		persist(p + i * PAGE, 1);
	}
	memset(p, 'a', PAGE); /* page 0: every line differs from zeros */
	persist(p, PAGE);     /* settled: its twin back to the pool too */
	/* page 0 written again before every fence (hot, open: its twin in
	 * use) while the other pages take and give back theirs */
	for (; i < REUSE_LEN / PAGE; i++) {
		p[64] = (char)i;
		persist(p + 64, 1);
		p[i * PAGE] = (char)i;
		persist(p + i * PAGE, 1);
	}
}

int
main(int argc, char *argv[])
{
	bool reusing = argc == 3 && strcmp(argv[2], "reuse") == 0;
	if (argc != 2 && !reusing)
		errx(2, "usage: %s FILE [reuse]", argv[0]);
	size_t len = reusing ? REUSE_LEN : LEN;
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)len) < 0)
		err(1, "%s", argv[1]);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	if (reusing) {
		reuse(p);
		return 0;
	}
	memset(p, 'x', LEN);
	persist(p, LEN);
	p[0] = 'y';
	persist(p, 64);
	return 0;
}
