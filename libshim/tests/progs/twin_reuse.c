/*
 * twin_reuse.c -- thousands of pages settled once each, in address
 * order: past the twins kept resident (libshim/region/shim_dirty_twin.c,
 * 16 MiB), theirs are given back in batches of adjacent pages; a page
 * queued so and then opened again (hot) must keep its twin. Every store
 * is persisted, so no finding may be reported; a twin dropped under the
 * open page would make its lines look changed.
 */
#include <err.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pmemu.h"

#define PAGE 4096
#define LEN (24u << 20)

static void
persist(char *p, size_t len)
{
	pmemu_flush(p, len);
	pmemu_fence();
}

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s FILE", argv[0]);
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, LEN) < 0)
		err(1, "%s", argv[1]);
	char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	/* 4,200 pages settled once each (cold): past the first 4,096,
	 * their twins are queued to be given back */
	unsigned i;
	for (i = 1; i <= 4200; i++) {
		p[i * PAGE] = (char)i;
		persist(p + i * PAGE, 1);
	}
	memset(p, 'a', PAGE); /* page 0: every line differs from zeros */
	persist(p, PAGE);     /* settled: queued too */
	/* page 0 written again before every fence (hot, open: its twin in
	 * use) while the queue fills and is given back */
	for (; i < LEN / PAGE; i++) {
		p[64] = (char)i;
		persist(p + 64, 1);
		p[i * PAGE] = (char)i;
		persist(p + i * PAGE, 1);
	}
	return 0;
}
