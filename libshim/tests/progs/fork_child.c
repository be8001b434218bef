/*
 * fork_child.c -- the parent maps a file and forks; the child stores
 * through the inherited mapping and msyncs it (or, -DFORGET_MSYNC, not)
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s FILE", argv[0]);
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 8192) < 0)
		err(1, "%s", argv[1]);
	char *pm = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pm == MAP_FAILED)
		err(1, "mmap");
	pid_t pid = fork();
	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		strcpy(pm + 4096, "the child was here"); /* STORE */
#ifndef FORGET_MSYNC
		if (msync(pm + 4096, 4096, MS_SYNC) < 0)
			err(1, "msync");
#endif
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	/* the parent sees the child's store: the view is shared */
	if (strcmp(pm + 4096, "the child was here") != 0)
		errx(1, "the child's store is not visible");
	printf("done\n");
	return 0;
}
