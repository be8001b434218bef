/*
 * map_msync.c -- a memory-mapped file, a store and msync (the seed's
 * Listing 3-1 pattern); built twice: -DFORGET_MSYNC leaves the store
 * unpersisted
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s FILE", argv[0]);
	int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		err(1, "open %s", argv[1]);
	if (ftruncate(fd, 8192) < 0)
		err(1, "ftruncate");
	char *pm = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pm == MAP_FAILED)
		err(1, "mmap");
	close(fd);
	strcpy(pm, "written through a mapping"); /* STORE */
#ifndef FORGET_MSYNC
	if (msync(pm, 4096, MS_SYNC) < 0)
		err(1, "msync");
#endif
	printf("done\n");
	return 0;
}
