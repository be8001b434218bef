/*
 * twin_pool.c -- pages whose twins come from the pool of twin pages
 * (libshim/region/shim_dirty_twin.c): a page settled gives its twin to
 * the next page opened
 *
 *   twin_pool FILE faults       a 40 MiB pool written twice, a byte and
 *                               a persist per page: prints the minor
 *                               faults of the second pass (recycled
 *                               twins: none per page)
 *   twin_pool FILE reuse [miss] page 0 filled and persisted, then one
 *                               line of page 5 stored: its twin, page
 *                               0's, must hold page 5's zeros
 *   twin_pool FILE many [miss]  4,496 pages filled, open at once, past
 *                               the pool's 4,096: the last 400 twins
 *                               in the mapping's own area, given back
 *                               when settled, in batches of 256; the
 *                               144 still queued opened again (hot,
 *                               writable) and kept open while a batch
 *                               is given back: their twins must stay
 * With miss, the stored line of page 5 (reuse) or line 2 of page 4,400
 * (many) is never flushed: one finding, that line; else none.
 */
#include <err.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "pmemu.h"

#define LEN (40u << 20)
#define PAGE 4096
#define POOL 4096   /* shim_dirty_twin.c: POOL_PAGES */
#define BATCH 256   /* shim_dirty_twin.c: DROP_BATCH */
#define MANY 4496   /* pages filled: 400 past the pool */
#define QUEUED (POOL + BATCH) /* the first of them still queued */
#define MISSED_PAGE 4400
#define NONE ((size_t)-1)

static void
persist(char *p, size_t len)
{
	pmemu_flush(p, len);
	pmemu_fence();
}

static long
minor_faults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static void
faults(char *p)
{
	for (size_t pg = 0; pg < LEN / PAGE; pg++) {
		p[pg * PAGE] = 1;
		persist(p + pg * PAGE, 1);
	}
	long before = minor_faults();
	for (size_t pg = 0; pg < LEN / PAGE; pg++) {
		p[pg * PAGE] = 2;
		persist(p + pg * PAGE, 1);
	}
	printf("%ld\n", minor_faults() - before);
}

static void
reuse(char *p, bool miss)
{
	memset(p, 'a', PAGE); /* the twin, refreshed by the flush: 'a's */
	persist(p, PAGE);
	char *line = p + 5 * PAGE + 3 * 64;
	line[0] = 'b'; /* MISSED_REUSE */
	if (!miss)
		persist(line, 1);
}

/* store -- line `line` of pages [from, to) written, and flushed unless
 * miss names the page; a fence */
static void
store(char *p, size_t from, size_t to, size_t line, size_t miss)
{
	for (size_t pg = from; pg < to; pg++)
		p[pg * PAGE + line * 64] = 's'; /* MISSED_MANY */
	for (size_t pg = from; pg < to; pg++)
		if (pg != miss)
			pmemu_flush(p + pg * PAGE + line * 64, 1);
	pmemu_fence();
}

/* read_into -- line 1 of page pg written by read(): opened writable, not
 * stepped (DIRTY), as a kernel write needs */
static void
read_into(char *p, size_t pg, const int fds[2])
{
	static const char y[64] = { 'y' };
	if (write(fds[1], y, sizeof(y)) != sizeof(y) ||
			read(fds[0], p + pg * PAGE + 64, sizeof(y)) != sizeof(y))
		err(1, "pipe");
}

static void
many(char *p, bool miss)
{
	int fds[2];
	if (pipe(fds) != 0)
		err(1, "pipe");
	memset(p, 'x', MANY * PAGE); /* every page open: 400 past the pool */
	persist(p, MANY * PAGE);     /* their twins queued, 256 given back */
	/* the pool taken by 4,096 new pages; the 144 pages still queued
	 * opened writable, their twins in the mapping's area, and 256 more:
	 * at the fence, the 144 stay open (hot) while the 256 are queued
	 * and a batch is given back */
	size_t fresh = MANY + POOL;
	for (size_t pg = MANY; pg < fresh; pg++)
		p[pg * PAGE + 64] = 1;
	for (size_t pg = QUEUED; pg < MANY; pg++)
		read_into(p, pg, fds);
	for (size_t pg = fresh; pg < fresh + BATCH; pg++)
		p[pg * PAGE + 64] = 1;
	for (size_t pg = QUEUED; pg < fresh + BATCH; pg++)
		pmemu_flush(p + pg * PAGE + 64, 1);
	pmemu_fence();
	/* the 144, writable: their stores are seen only against their
	 * twins, which must still be there */
	store(p, QUEUED, MANY, 2, miss ? MISSED_PAGE : NONE);
}

int
main(int argc, char *argv[])
{
	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "miss")))
		errx(2, "usage: %s FILE faults|reuse|many [miss]", argv[0]);
	bool miss = argc == 4;
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)LEN) < 0)
		err(1, "%s", argv[1]);
	char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	if (strcmp(argv[2], "faults") == 0)
		faults(p);
	else if (strcmp(argv[2], "reuse") == 0)
		reuse(p, miss);
	else if (strcmp(argv[2], "many") == 0)
		many(p, miss);
	else
		errx(2, "unknown mode '%s'", argv[2]);
	return 0;
}
