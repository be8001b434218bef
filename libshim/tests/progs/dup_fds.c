/*
 * dup_fds.c -- a pmem file mapped through a copy of its descriptor: dup,
 * dup2, dup3, fcntl F_DUPFD or F_DUPFD_CLOEXEC (argv[2]); the original is
 * closed before the mapping. A store, then msync of its page: no finding;
 * -DFORGET_MSYNC leaves it unflushed (pmemu must report it, which it did
 * not for fcntl's copies: their mappings were not emulated).
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define LEN 8192

static int
copy(int fd, const char *how)
{
	if (strcmp(how, "dup") == 0)
		return dup(fd);
	if (strcmp(how, "dup2") == 0)
		return dup2(fd, 40);
	if (strcmp(how, "dup3") == 0)
		return dup3(fd, 41, O_CLOEXEC);
	if (strcmp(how, "dupfd") == 0)
		return fcntl(fd, F_DUPFD, 42);
	if (strcmp(how, "dupfd_cloexec") == 0)
		return fcntl(fd, F_DUPFD_CLOEXEC, 43);
	errx(2, "unknown copy '%s'", how);
}

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s FILE dup|dup2|dup3|dupfd|dupfd_cloexec",
			argv[0]);
	int orig = open(argv[1], O_CREAT | O_RDWR, 0644);
	if (orig < 0 || ftruncate(orig, LEN) != 0)
		err(1, "%s", argv[1]);
	int fd = copy(orig, argv[2]);
	if (fd < 0)
		err(1, "%s", argv[2]);
	close(orig);
	char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	p[100] = 1; /* BUG (with FORGET_MSYNC): never flushed */
#ifndef FORGET_MSYNC
	if (msync(p, 4096, MS_SYNC) != 0)
		err(1, "msync");
#endif
	printf("%d\n", p[100]);
	return 0;
}
