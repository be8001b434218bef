/*
 * allocate.c -- fallocate of a pool: the blocks are the file's, and the
 * pool is usable to its new end
 *   allocate POOL HOW MIB VIEWDIR
 * HOW: fallocate, posix_fallocate, keep_size (fallocate with
 * FALLOC_FL_KEEP_SIZE), ftruncate (sparse: the size only, no stores) or
 * rdonly (fallocate of a read-only descriptor: its error). Prints the
 * call's result, how many KiB the file system of VIEWDIR (where pmemu
 * keeps the views) gave out during the call, and the size the
 * descriptor sees; then stores to the pool's first and last bytes and
 * msyncs them.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static long long
used_kib(const char *dir)
{
	struct statvfs v;
	if (statvfs(dir, &v) != 0)
		err(1, "statvfs %s", dir);
	return (long long)(v.f_blocks - v.f_bfree) * (long long)v.f_frsize /
		1024;
}

int
main(int argc, char *argv[])
{
	if (argc != 5)
		errx(2, "usage: allocate POOL HOW MIB VIEWDIR");
	const char *how = argv[2];
	off_t len = (off_t)atoll(argv[3]) << 20;
	int fd = open(argv[1], O_CREAT | O_RDWR, 0644);
	if (fd < 0)
		err(1, "open");
	if (strcmp(how, "rdonly") == 0) {
		int ro = open(argv[1], O_RDONLY);
		errno = 0;
		int ret = fallocate(ro, 0, 0, len);
		printf("rdonly %d %s\n", ret, strerror(errno));
		return 0;
	}
	long long before = used_kib(argv[4]);
	int ret;
	if (strcmp(how, "posix_fallocate") == 0)
		ret = posix_fallocate(fd, 0, len);
	else if (strcmp(how, "ftruncate") == 0)
		ret = ftruncate(fd, len) == 0 ? 0 : errno;
	else
		ret = fallocate(fd, strcmp(how, "keep_size") == 0 ?
			FALLOC_FL_KEEP_SIZE : 0, 0, len) == 0 ? 0 : errno;
	long long grew = used_kib(argv[4]) - before;
	struct stat st;
	if (fstat(fd, &st) != 0)
		err(1, "fstat");
	printf("%s %d grew %lld size %lld\n", how, ret, grew,
		(long long)st.st_size);
	if (st.st_size == 0 || strcmp(how, "ftruncate") == 0)
		return 0;
	char *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	p[0] = 'a';
	p[st.st_size - 1] = 'z';
	if (msync(p, 4096, MS_SYNC) != 0 ||
			msync(p + st.st_size - 4096, 4096, MS_SYNC) != 0)
		err(1, "msync");
	return 0;
}
