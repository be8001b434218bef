/*
 * into_pmem.c -- calls whose buffer the kernel fills, given a buffer in
 * emulated pmem (argv[2]: fread, getrandom, recv, recvfrom, recvmsg,
 * preadv, preadv2). Natively each fills it; under pmemu a read-only view
 * page made each fail with EFAULT. The buffer is then persisted: no
 * finding; -DFORGET_FLUSH leaves it unflushed (reported, named by the
 * call). Prints the call's result and whether the bytes arrived.
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pmemu.h"

#define LEN 65536
#define N 20000 /* more than stdio's buffer: fread reads into buf itself */
#define OFF 4096 /* the buffer: page 1 on */

static unsigned char want[N];

/* into -- fill buf (N bytes) by `how`; want gets the expected bytes */
static long
into(const char *how, unsigned char *buf, const char *scratch)
{
	for (int i = 0; i < N; i++)
		want[i] = (unsigned char)(i * 7 + 1);
	int fd = open(scratch, O_CREAT | O_TRUNC | O_RDWR, 0644);
	if (fd < 0 || write(fd, want, N) != N || lseek(fd, 0, SEEK_SET) != 0)
		err(1, "%s", scratch);
	struct iovec iov[2] = { { buf, N / 2 }, { buf + N / 2, N / 2 } };
	if (strcmp(how, "fread") == 0) {
		FILE *f = fdopen(fd, "r");
		return f ? (long)fread(buf, 1, N, f) : -2; /* FILL */
	}
	if (strcmp(how, "preadv") == 0)
		return preadv(fd, iov, 2, 0); /* FILL */
	if (strcmp(how, "preadv2") == 0)
		return preadv2(fd, iov, 2, 0, 0); /* FILL */
	if (strcmp(how, "getrandom") == 0) {
		long n = getrandom(buf, N, 0); /* FILL */
		memcpy(want, buf, N);
		return n;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0 ||
			write(sv[0], want, N) != N)
		err(1, "socketpair");
	if (strcmp(how, "recv") == 0)
		return recv(sv[1], buf, N, 0); /* FILL */
	if (strcmp(how, "recvfrom") == 0)
		return recvfrom(sv[1], buf, N, 0, NULL, NULL); /* FILL */
	if (strcmp(how, "recvmsg") == 0) {
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
		return recvmsg(sv[1], &m, 0); /* FILL */
	}
	errx(2, "unknown call '%s'", how);
}

int
main(int argc, char *argv[])
{
	if (argc != 4)
		errx(2, "usage: %s POOL CALL SCRATCH", argv[0]);
	int fd = open(argv[1], O_CREAT | O_RDWR, 0644);
	if (fd < 0 || ftruncate(fd, LEN) != 0)
		err(1, "%s", argv[1]);
	unsigned char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	long n = into(argv[2], p + OFF, argv[3]);
#ifndef FORGET_FLUSH
	pmemu_flush(p + OFF, N);
	pmemu_fence();
#endif
	printf("%s %ld %s\n", argv[2], n,
		memcmp(p + OFF, want, N) == 0 ? "filled" : "NOT FILLED");
	return 0;
}
