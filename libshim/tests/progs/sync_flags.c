/*
 * sync_flags.c -- 4096 bytes written to a pmem file at offset 4096 on a
 * descriptor opened with O_SYNC or O_DSYNC (argv[2] "osync", "odsync"),
 * or by pwritev2 with RWF_DSYNC ("rwf_dsync"): durable when the call
 * returns, with no fsync. Under pmemu they were reported as never
 * persisted. "plain" (no flag) is the bug: reported.
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define N 4096

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s POOL osync|odsync|rwf_dsync|plain", argv[0]);
	const char *how = argv[2];
	int fl = strcmp(how, "osync") == 0 ? O_SYNC :
		strcmp(how, "odsync") == 0 ? O_DSYNC : 0;
	int fd = open(argv[1], O_CREAT | O_RDWR | fl, 0644);
	static char buf[N];
	memset(buf, 'y', sizeof(buf));
	struct iovec iov = { buf, N };
	if (fd < 0 || ftruncate(fd, 2 * N) != 0)
		err(1, "open");
	ssize_t n = strcmp(how, "rwf_dsync") == 0 ?
		pwritev2(fd, &iov, 1, N, RWF_DSYNC) :
		pwrite(fd, buf, N, N); /* WRITE */
	if (n != N)
		err(1, "%s", how);
	printf("%s done\n", how);
	return 0;
}
