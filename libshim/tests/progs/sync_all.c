/*
 * sync_all.c -- a pmem file written (pwrite) and stored to through a
 * shared mapping, then made durable by sync() or syncfs(fd) (argv[2]
 * "sync", "syncfs"), which cover every file (on fd's file system): under
 * pmemu they were unseen, and both stores reported as never persisted.
 * -DFORGET_FSYNC calls neither (both reported).
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define N 4096

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s POOL sync|syncfs", argv[0]);
	int fd = open(argv[1], O_CREAT | O_RDWR, 0644);
	if (fd < 0 || ftruncate(fd, 2 * N) != 0)
		err(1, "open");
	char *map = mmap(NULL, 2 * N, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		0);
	if (map == MAP_FAILED || pwrite(fd, "hello", 5, 0) != 5) /* WRITE */
		err(1, "write");
	map[N] = 's'; /* STORE */
#ifndef FORGET_FSYNC
	if (strcmp(argv[2], "sync") == 0)
		sync();
	else if (syncfs(fd) != 0)
		err(1, "syncfs");
#endif
	printf("%s done\n", argv[2]);
	return 0;
}
