/*
 * kernel_io.c -- 4096 bytes written to a pmem file at offset 4096 by the
 * kernel's asynchronous I/O, then fsync'd through it too: argv[2]
 * "uring" (io_uring: IORING_OP_WRITE, IORING_OP_FSYNC) or "aio" (Linux
 * AIO: io_submit of IOCB_CMD_PWRITE, IOCB_CMD_FSYNC), raw system calls
 * (no liburing, no libaio). Where io_uring_setup or io_setup fails with
 * ENOSYS (pmemu refuses them) the program falls back to pwrite and
 * fsync, as programs that use them do. Under pmemu the kernel's write
 * reached the view but not the model or the media, and its fsync was
 * unseen. -DFORGET_FSYNC leaves the bytes unsynced (reported, at the
 * fallback's pwrite).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N 4096

struct ring {
	int fd;
	unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static void *
map_ring(int fd, size_t len, off_t what)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		MAP_SHARED | MAP_POPULATE, fd, what);
	if (p == MAP_FAILED)
		err(1, "mmap ring");
	return p;
}

/* ring_setup -- 0, or -1 with errno (ENOSYS: no io_uring) */
static int
ring_setup(struct ring *r)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	r->fd = (int)syscall(SYS_io_uring_setup, 4, &p);
	if (r->fd < 0)
		return -1;
	char *sq = map_ring(r->fd, p.sq_off.array +
		p.sq_entries * sizeof(unsigned), IORING_OFF_SQ_RING);
	char *cq = map_ring(r->fd, p.cq_off.cqes +
		p.cq_entries * sizeof(struct io_uring_cqe), IORING_OFF_CQ_RING);
	r->sqes = map_ring(r->fd, p.sq_entries * sizeof(*r->sqes),
		IORING_OFF_SQES);
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* ring_do -- one request, waited for: its result */
static int
ring_do(struct ring *r, int op, int fd, void *buf, unsigned len, off_t off)
{
	unsigned t = *r->sq_tail, i = t & *r->sq_mask;
	struct io_uring_sqe *s = &r->sqes[i];
	memset(s, 0, sizeof(*s));
	s->opcode = (unsigned char)op;
	s->fd = fd;
	s->addr = (unsigned long)buf;
	s->len = len;
	s->off = (unsigned long long)off;
	r->sq_array[i] = i;
	__atomic_store_n(r->sq_tail, t + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS,
			NULL, 0) < 0)
		err(1, "io_uring_enter");
	unsigned h = *r->cq_head;
	if (h == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		errx(1, "no completion");
	int res = r->cqes[h & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, h + 1, __ATOMIC_RELEASE);
	return res;
}

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

/* kernel_write -- buf to fd at N and synced by the kernel's I/O: 0, or
 * -1 with errno when the I/O cannot be set up */
static int
kernel_write(const char *how, int fd, char *buf)
{
	if (strcmp(how, "uring") == 0) {
		struct ring r;
		if (ring_setup(&r) != 0)
			return -1;
		if (ring_do(&r, IORING_OP_WRITE, fd, buf, N, N) != N)
			errx(1, "ring write");
#ifndef FORGET_FSYNC
		if (ring_do(&r, IORING_OP_FSYNC, fd, NULL, 0, 0) != 0)
			errx(1, "ring fsync");
#endif
		return 0;
	}
	aio_context_t ctx = 0;
	if (syscall(SYS_io_setup, 4, &ctx) != 0)
		return -1;
	if (aio_do(ctx, fd, IOCB_CMD_PWRITE, buf) != N)
		errx(1, "aio write");
#ifndef FORGET_FSYNC
	if (aio_do(ctx, fd, IOCB_CMD_FSYNC, NULL) != 0)
		errx(1, "aio fsync");
#endif
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s POOL uring|aio", argv[0]);
	int fd = open(argv[1], O_CREAT | O_RDWR, 0644);
	if (fd < 0 || ftruncate(fd, 2 * N) != 0)
		err(1, "open");
	static char buf[N];
	for (int i = 0; i < N; i++)
		buf[i] = (char)(i * 7 + 3);
	if (kernel_write(argv[2], fd, buf) == 0) {
		printf("%s\n", argv[2]);
		return 0;
	}
	if (errno != ENOSYS)
		err(1, "%s setup", argv[2]);
	if (pwrite(fd, buf, N, N) != N) /* WRITE */
		err(1, "pwrite");
#ifndef FORGET_FSYNC
	if (fsync(fd) != 0)
		err(1, "fsync");
#endif
	printf("fallback\n");
	return 0;
}
