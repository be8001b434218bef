/*
 * aio_io.c -- 4096 bytes written to a pmem file at offset 4096 with POSIX
 * asynchronous I/O, then made durable with aio_fsync. argv[2]: "write"
 * (aio_write), "lio" (lio_listio of one LIO_WRITE), "fsync" (a pwrite,
 * then aio_fsync alone), "append" (aio_write on O_APPEND: pmemu refuses
 * it, EINVAL). glibc runs them on a thread with calls inside
 * libc: under pmemu the writes reached the view unseen (the pool file
 * after the run lacked them) and aio_fsync was unseen (a pwrite it made
 * durable was reported). -DFORGET_FSYNC leaves the bytes unsynced.
 */
#include <aio.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define N 4096

/* wait_for -- cb's request completed: its result */
static ssize_t
wait_for(struct aiocb *cb)
{
	const struct aiocb *list[1] = { cb };
	while (aio_error(cb) == EINPROGRESS)
		(void)aio_suspend(list, 1, NULL);
	return aio_return(cb);
}

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s POOL write|lio|fsync|append", argv[0]);
	int fd = open(argv[1], O_CREAT | O_RDWR, 0644);
	if (fd < 0 || ftruncate(fd, 2 * N) != 0)
		err(1, "open");
	static char buf[N];
	memset(buf, 'a', sizeof(buf));
	struct aiocb cb;
	memset(&cb, 0, sizeof(cb));
	cb.aio_fildes = fd;
	cb.aio_buf = buf;
	cb.aio_nbytes = N;
	cb.aio_offset = N;
	cb.aio_lio_opcode = LIO_WRITE;
	struct aiocb *list[1] = { &cb };
	int r;
	if (strcmp(argv[2], "append") == 0) {
		if (fcntl(fd, F_SETFL, O_APPEND) != 0)
			err(1, "fcntl");
		r = aio_write(&cb);
		printf("append %s\n", r == 0 ? "written" : strerror(errno));
		return r == 0 ? (int)(wait_for(&cb) != N) : 0;
	}
	if (strcmp(argv[2], "write") == 0)
		r = aio_write(&cb); /* WRITE */
	else if (strcmp(argv[2], "lio") == 0)
		r = lio_listio(LIO_WAIT, list, 1, NULL); /* LIO */
	else
		r = pwrite(fd, buf, N, N) == N ? 0 : -1; /* PWRITE */
	if (r != 0 || (strcmp(argv[2], "fsync") != 0 && wait_for(&cb) != N))
		err(1, "%s", argv[2]);
#ifndef FORGET_FSYNC
	struct aiocb sync;
	memset(&sync, 0, sizeof(sync));
	sync.aio_fildes = fd;
	if (aio_fsync(O_SYNC, &sync) != 0 || wait_for(&sync) != 0)
		err(1, "aio_fsync");
#endif
	printf("%s done\n", argv[2]);
	return 0;
}
