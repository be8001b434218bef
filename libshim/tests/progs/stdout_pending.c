/*
 * stdout_pending.c -- bytes printf left in glibc's stdout buffer (stdout
 * a pipe: fully buffered) before a dup2 made descriptor 1 a pmem file's:
 * they reach the file when stdout is flushed, then fsync'd. Under pmemu
 * glibc wrote them to the view from inside the shim, unseen: the file
 * after the run lacked them. -DFORGET_FLUSH fsyncs before the flush (the
 * bytes are written at exit, unsynced: reported).
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	if (argc < 2)
		errx(2, "usage: %s POOL", argv[0]);
	printf("printed before the dup2\n");
	int fd = open(argv[1], O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (fd < 0 || dup2(fd, 1) != 1)
		err(1, "open %s", argv[1]);
#ifndef FORGET_FLUSH
	if (fflush(stdout) != 0)
		err(1, "fflush");
#endif
	if (fsync(1) != 0)
		err(1, "fsync");
	fprintf(stderr, "done\n");
	return 0;
}
