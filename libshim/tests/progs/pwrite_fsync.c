/*
 * pwrite_fsync.c -- the standard file API: pwrite then fsync (run it with
 * --domain pagecache); -DFORGET_FSYNC leaves the write in the page cache
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s FILE", argv[0]);
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		err(1, "open %s", argv[1]);
	static const char rec[] = "a record written with pwrite";
	if (pwrite(fd, rec, sizeof(rec), 0) != sizeof(rec)) /* STORE */
		err(1, "pwrite");
#ifndef FORGET_FSYNC
	if (fsync(fd) < 0)
		err(1, "fsync");
#endif
	close(fd);
	printf("done\n");
	return 0;
}
