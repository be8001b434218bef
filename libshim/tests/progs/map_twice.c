/*
 * map_twice.c -- one file mapped twice: stores through one mapping, their
 * flush and fence through the other (MODEL.md: lines are the file's, not
 * an address's). Correct, so no finding may be reported. Modes:
 * "same" in one process; "fork" the child stores through its mapping and
 * exits, the parent then flushes through its own second mapping.
 * -DFORGET_FLUSH leaves the second half of the stores unflushed.
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pmemu.h"

#define LEN 8192

static char *
map(int fd)
{
	char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	return p;
}

static void
persist(char *p)
{
#ifdef FORGET_FLUSH
	pmemu_flush(p, LEN / 2);
#else
	pmemu_flush(p, LEN);
#endif
	pmemu_fence();
}

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s FILE same|fork", argv[0]);
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, LEN) < 0)
		err(1, "%s", argv[1]);
	char *a = map(fd), *b = map(fd);
	if (strcmp(argv[2], "fork") == 0) {
		pid_t pid = fork();
		if (pid < 0)
			err(1, "fork");
		if (pid == 0) {
			memset(a, 'c', LEN); /* STORE */
			_exit(0);
		}
		int status;
		if (waitpid(pid, &status, 0) != pid || status != 0)
			errx(1, "child failed");
	} else {
		memset(a, 's', LEN); /* STORE */
	}
	persist(b);
	if (memcmp(a, b, LEN) != 0)
		errx(1, "the two mappings differ");
	printf("done\n");
	return 0;
}
