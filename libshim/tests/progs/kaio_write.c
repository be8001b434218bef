/*
 * kaio_write.c -- 4096 bytes written to a pmem file at offset 4096 by
 * Linux AIO (io_setup, io_submit of an IOCB_CMD_PWRITE, raw system
 * calls: no libaio), then fsync'd through it too (IOCB_CMD_FSYNC); where
 * io_setup fails with ENOSYS (pmemu refuses it) the program falls back to
 * pwrite and fsync. Under pmemu the kernel's write reached the view but
 * not the model or the media. -DFORGET_FSYNC leaves the bytes unsynced
 * (reported, at the fallback's pwrite).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N 4096

/* one request on ctx, waited for: its result */
static long
aio_do(aio_context_t ctx, int fd, int op, char *buf)
{
	struct iocb cb;
	memset(&cb, 0, sizeof(cb));
	cb.aio_fildes = (unsigned)fd;
	cb.aio_lio_opcode = (unsigned short)op;
	cb.aio_buf = (unsigned long)buf;
	cb.aio_nbytes = buf != NULL ? N : 0;
	cb.aio_offset = buf != NULL ? N : 0;
	struct iocb *list[1] = { &cb };
	struct io_event ev;
	if (syscall(SYS_io_submit, ctx, 1, list) != 1 ||
			syscall(SYS_io_getevents, ctx, 1, 1, &ev, NULL) != 1)
		err(1, "io_submit");
	return (long)ev.res;
}

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s POOL", argv[0]);
	int fd = open(argv[1], O_CREAT | O_RDWR, 0644);
	if (fd < 0 || ftruncate(fd, 2 * N) != 0)
		err(1, "open");
	static char buf[N];
	memset(buf, 'k', sizeof(buf));
	aio_context_t ctx = 0;
	if (syscall(SYS_io_setup, 4, &ctx) != 0) {
		if (errno != ENOSYS)
			err(1, "io_setup");
		if (pwrite(fd, buf, N, N) != N) /* WRITE */
			err(1, "pwrite");
#ifndef FORGET_FSYNC
		if (fsync(fd) != 0)
			err(1, "fsync");
#endif
		printf("fallback\n");
		return 0;
	}
	if (aio_do(ctx, fd, IOCB_CMD_PWRITE, buf) != N)
		errx(1, "aio write");
#ifndef FORGET_FSYNC
	if (aio_do(ctx, fd, IOCB_CMD_FSYNC, NULL) != 0)
		errx(1, "aio fsync");
#endif
	printf("linux aio\n");
	return 0;
}
