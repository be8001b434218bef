/*
 * punch.c -- a pmem file whose second 4096 bytes were written and synced
 * has them punched out, then fsync: natively the file reads zeros there.
 * argv[2] "fallocate" (PUNCH_HOLE | KEEP_SIZE) or "madvise" (MADV_REMOVE
 * of a shared mapping of them). Under pmemu the view had the hole but
 * the media and the model did not: the pool file after the run kept the
 * old bytes. -DFORGET_FSYNC leaves the punch unsynced (reported, at the
 * call, as a write of zeros would be).
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define N 4096
#define PUNCH (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s POOL fallocate|madvise", argv[0]);
	int fd = open(argv[1], O_CREAT | O_RDWR, 0644);
	static char buf[N];
	memset(buf, 'p', sizeof(buf));
	if (fd < 0 || ftruncate(fd, 3 * N) != 0 ||
			pwrite(fd, buf, N, N) != N || fsync(fd) != 0)
		err(1, "write");
	char *map = mmap(NULL, 3 * N, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		0);
	if (map == MAP_FAILED)
		err(1, "mmap");
	int r = strcmp(argv[2], "madvise") == 0 ?
		madvise(map + N, N, MADV_REMOVE) : /* PUNCH */
		fallocate(fd, PUNCH, N, N); /* PUNCH */
	if (r != 0)
		err(1, "%s", argv[2]);
#ifndef FORGET_FSYNC
	if (fsync(fd) != 0)
		err(1, "fsync");
#endif
	printf("%s done\n", argv[2]);
	return 0;
}
