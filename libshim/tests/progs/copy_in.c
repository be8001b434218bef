/*
 * copy_in.c -- 4096 bytes of a template file copied into a pmem file at
 * offset 4096 by the kernel (argv[3]: sendfile, copy_file_range, splice
 * through a pipe) or written by pwritev2, then fsync: natively the pool
 * file holds them. Under pmemu the view got them but neither the model
 * nor the media did. -DFORGET_FSYNC leaves them unsynced (reported,
 * named by the call).
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#define LEN 8192
#define N 4096

static ssize_t
copy(const char *how, int in, int fd)
{
	static char buf[N];
	off64_t out = N;
	if (strcmp(how, "sendfile") == 0)
		return lseek(fd, N, SEEK_SET) == N ?
			sendfile(fd, in, NULL, N) : -1; /* COPY */
	if (strcmp(how, "copy_file_range") == 0)
		return copy_file_range(in, NULL, fd, &out, N, 0); /* COPY */
	if (strcmp(how, "splice") == 0) {
		int p[2];
		if (pipe(p) != 0 || read(in, buf, N) != N ||
				write(p[1], buf, N) != N)
			return -1;
		return splice(p[0], NULL, fd, &out, N, 0); /* COPY */
	}
	if (strcmp(how, "pwritev2") == 0) {
		struct iovec iov = { buf, N };
		if (read(in, buf, N) != N)
			return -1;
		return pwritev2(fd, &iov, 1, N, 0); /* COPY */
	}
	errx(2, "unknown copy '%s'", how);
}

int
main(int argc, char *argv[])
{
	if (argc != 4)
		errx(2, "usage: %s POOL TEMPLATE HOW", argv[0]);
	int fd = open(argv[1], O_CREAT | O_RDWR, 0644);
	int in = open(argv[2], O_RDONLY);
	if (fd < 0 || in < 0 || ftruncate(fd, LEN) != 0)
		err(1, "open");
	ssize_t n = copy(argv[3], in, fd);
	if (n != N)
		err(1, "%s: %zd", argv[3], n);
#ifndef FORGET_FSYNC
	if (fsync(fd) != 0)
		err(1, "fsync");
#endif
	printf("%s %zd\n", argv[3], n);
	return 0;
}
