/*
 * punch.c -- a pmem file whose second 4096 bytes were written and synced
 * has them punched out (fallocate PUNCH_HOLE | KEEP_SIZE), then fsync:
 * natively the file reads zeros there. Under pmemu the view had the hole
 * but the media and the model did not: the pool file after the run kept
 * the old bytes. -DFORGET_FSYNC leaves the punch unsynced (reported, at
 * the fallocate, as a write of zeros would be).
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define N 4096
#define PUNCH (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s POOL", argv[0]);
	int fd = open(argv[1], O_CREAT | O_RDWR, 0644);
	static char buf[N];
	memset(buf, 'p', sizeof(buf));
	if (fd < 0 || ftruncate(fd, 3 * N) != 0 ||
			pwrite(fd, buf, N, N) != N || fsync(fd) != 0)
		err(1, "write");
	if (fallocate(fd, PUNCH, N, N) != 0) /* PUNCH */
		err(1, "fallocate");
#ifndef FORGET_FSYNC
	if (fsync(fd) != 0)
		err(1, "fsync");
#endif
	printf("punched\n");
	return 0;
}
