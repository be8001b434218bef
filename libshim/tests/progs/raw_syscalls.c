/*
 * raw_syscalls.c -- a pmem file opened, written, mapped and synced only
 * through glibc's syscall(): 4096 bytes written at offset 4096 (or 64
 * stored through a mapping), then synced. argv[2]: "write" (SYS_openat,
 * SYS_pwrite64, SYS_fsync), "writev" (SYS_open, SYS_writev, SYS_fdatasync),
 * "dup" (SYS_dup of the descriptor, SYS_close of it, SYS_write through
 * the copy, SYS_fsync), "openat2" (SYS_openat2, SYS_write, SYS_fsync),
 * "map" (SYS_mmap, a store, SYS_msync, SYS_munmap). Under pmemu each
 * bypassed the interposers: the media's descriptor, unseen writes.
 * -DFORGET_FSYNC leaves them unsynced (reported).
 */
#include <err.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define N 4096

static int
open_pool(const char *pool, const char *how)
{
	if (strcmp(how, "writev") == 0)
		return (int)syscall(SYS_open, pool, O_RDWR, 0);
	if (strcmp(how, "openat2") == 0) {
		struct open_how oh = { .flags = O_RDWR };
		return (int)syscall(SYS_openat2, AT_FDCWD, pool, &oh,
			sizeof(oh));
	}
	int fd = (int)syscall(SYS_openat, AT_FDCWD, pool, O_RDWR, 0);
	if (strcmp(how, "dup") != 0 || fd < 0)
		return fd;
	int copy = (int)syscall(SYS_dup, fd);
	syscall(SYS_close, fd);
	return copy;
}

static void
sync_pool(const char *how, int fd, char *map)
{
#ifndef FORGET_FSYNC
	long r = map != NULL ? syscall(SYS_msync, map, 2 * N, MS_SYNC) :
		strcmp(how, "writev") == 0 ? syscall(SYS_fdatasync, fd) :
		syscall(SYS_fsync, fd);
	if (r != 0)
		err(1, "sync");
#else
	(void)how, (void)fd, (void)map;
#endif
}

int
main(int argc, char *argv[])
{
	if (argc < 3)
		errx(2, "usage: %s POOL HOW", argv[0]);
	const char *how = argv[2];
	int fd = open_pool(argv[1], how);
	if (fd < 0 || syscall(SYS_ftruncate, fd, 2 * N) != 0)
		err(1, "open %s", how);
	static char buf[N];
	memset(buf, 'x', sizeof(buf));
	struct iovec iov[2] = { { buf, N / 2 }, { buf + N / 2, N / 2 } };
	char *map = NULL;
	long n = N;
	if (strcmp(how, "map") == 0) {
		map = (char *)syscall(SYS_mmap, NULL, 2 * N,
			PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			err(1, "mmap");
		memset(map + N, 'x', 64); /* STORE */
	} else if (strcmp(how, "writev") == 0) {
		if (syscall(SYS_lseek, fd, N, SEEK_SET) != N)
			err(1, "lseek");
		n = syscall(SYS_writev, fd, iov, 2); /* WRITEV */
	} else if (strcmp(how, "write") == 0) {
		n = syscall(SYS_pwrite64, fd, buf, N, N); /* PWRITE */
	} else {
		if (syscall(SYS_lseek, fd, N, SEEK_SET) != N)
			err(1, "lseek");
		n = syscall(SYS_write, fd, buf, N); /* WRITE */
	}
	if (n != N)
		err(1, "write");
	sync_pool(how, fd, map);
	if (map != NULL && syscall(SYS_munmap, map, 2 * N) != 0)
		err(1, "munmap");
	printf("%s done\n", how);
	return 0;
}
