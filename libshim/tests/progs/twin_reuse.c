/*
 * twin_reuse.c -- a hot page stays open while hundreds of other pages are
 * settled, once each: their twins are given back in a batch
 * (libshim/region/shim_dirty_twin.c), which must skip the hot page's,
 * still in use. Every store is persisted, so no finding may be reported;
 * a twin dropped under the hot page would make its untouched lines look
 * stored and never flushed.
 */
#include <err.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pmemu.h"

#define PAGE 4096
#define LEN (3u << 20)

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
	memset(p, 'a', PAGE); /* page 0: every line differs from zeros */
	persist(p, PAGE);
	/* page 0 written before every fence (hot, open); every other page
	 * once (cold: settled at the fence after it, its twin queued) */
	for (unsigned i = 1; i < LEN / PAGE / 2; i++) {
		p[64] = (char)i;
		persist(p + 64, 1);
		p[2 * i * PAGE] = (char)i;
		persist(p + 2 * i * PAGE, 1);
	}
	return 0;
}
