/*
 * big_pool.c -- a 3 MiB pool written whole and persisted, then one line
 * more: its crash images do not fit a 2 MiB file system (test_full_disk)
 */
#include <err.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pmemu.h"

#define LEN (3u << 20)

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
	memset(p, 'x', LEN);
	pmemu_flush(p, LEN);
	pmemu_fence();
	p[0] = 'y';
	pmemu_flush(p, 64);
	pmemu_fence();
	return 0;
}
