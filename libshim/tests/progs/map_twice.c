/*
 * map_twice.c -- one file mapped twice: stores through one mapping, their
 * flush and fence through the other (MODEL.md: lines are the file's, not
 * an address's). Correct, so no finding may be reported. Modes:
 * "same" in one process; "fork" the child stores through its mapping and
 * exits, the parent then flushes through its own second mapping. Then a
 * flag, set through the first mapping and persisted through the second,
 * says the data is durable. -DFORGET_FLUSH leaves half the data
 * unflushed (a crash may leave the flag without it).
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
#define DATA 4096          /* the data: page 0 */
#define FLAG (LEN - 64)    /* set once the data is durable: page 1 */

static char *
map(int fd)
{
	char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	return p;
}

static void
persist(char *p, size_t len)
{
	pmemu_flush(p, len);
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
			memset(a, 'c', DATA); /* STORE */
			_exit(0);
		}
		int status;
		if (waitpid(pid, &status, 0) != pid || status != 0)
			errx(1, "child failed");
	} else {
		memset(a, 's', DATA); /* STORE */
	}
#ifdef FORGET_FLUSH
	persist(b, DATA / 2);
#else
	persist(b, DATA);
#endif
	pmemu_crash_point("data"); /* a check may expect the data from here */
	a[FLAG] = 1;
	persist(b + FLAG, 1);
	if (memcmp(a, b, LEN) != 0)
		errx(1, "the two mappings differ");
	printf("done\n");
	return 0;
}
