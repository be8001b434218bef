/*
 * intercept_devdax.c -- the calls only a device DAX changes: read (it has
 * no read operation: EINVAL), fstat and statx (a character device); the
 * others refuse in their own interposers (SHIM_DEVDAX_REFUSE). A read
 * into emulated pmem opens its pages first (shim_read_buffer.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim_core.h"
#include "shim_devdax.h"
#include "shim_intercept.h"
#include "shim_read_buffer.h"
#include "shim_region.h"

/* `into`: opens the buffers if they are emulated pmem (shim_read_buffer.h) */
#define READ_BODY(name, into, fd, ...) \
	SHIM_ENTER(name, fd, __VA_ARGS__); \
	SHIM_DEVDAX_REFUSE(fd, EINVAL, -1); \
	into; \
	ssize_t n = REAL(name)(fd, __VA_ARGS__); \
	SHIM_SAVE_ERRNO(); \
	SHIM_LEAVE(); \
	return n

SHIM_INTERCEPTOR(ssize_t, read, int fd, void *buf, size_t len)
{
	READ_BODY(read, shim_read_buffer(buf, len), fd, buf, len);
}

SHIM_INTERCEPTOR(ssize_t, pread, int fd, void *buf, size_t len, off_t off)
{
	READ_BODY(pread, shim_read_buffer(buf, len), fd, buf, len, off);
}

SHIM_INTERCEPTOR(ssize_t, pread64, int fd, void *buf, size_t len, off_t off)
{
	READ_BODY(pread64, shim_read_buffer(buf, len), fd, buf, len,
		off);
}

SHIM_INTERCEPTOR(ssize_t, readv, int fd, const struct iovec *iov, int cnt)
{
	READ_BODY(readv, shim_read_buffers(iov, cnt), fd, iov, cnt);
}

void
shim_devdax_stat(int dirfd, const char *path, struct stat *st)
{
	char abs[PATH_MAX];
	if (S_ISREG(st->st_mode) && shim_devdax_name(path) &&
			shim_path_resolve(dirfd, path, abs))
		shim_devdax_stat_fill(path, st);
}

void
shim_devdax_statx(int dirfd, const char *path, int flags, struct statx *stx)
{
	struct shim_region *r = path[0] == '\0' && (flags & AT_EMPTY_PATH) ?
		shim_fd_region(dirfd) : NULL;
	struct stat st = { .st_mode = S_IFREG | (stx->stx_mode & 07777) };
	if (shim_devdax_region(r))
		shim_devdax_stat_fill(r->path, &st);
	else if (r == NULL)
		shim_devdax_stat(dirfd, path, &st);
	if (!S_ISCHR(st.st_mode) || !S_ISREG(stx->stx_mode))
		return;
	stx->stx_mode = (uint16_t)st.st_mode;
	stx->stx_size = 0;
	stx->stx_blocks = 0;
	stx->stx_rdev_major = major(st.st_rdev);
	stx->stx_rdev_minor = minor(st.st_rdev);
}

/* fstat_devdax -- a device DAX descriptor's stat, as its path's */
static void
fstat_devdax(int fd, struct stat *st)
{
	struct shim_region *r = shim_fd_region(fd);
	if (shim_devdax_region(r))
		shim_devdax_stat_fill(r->path, st);
}

SHIM_INTERCEPTOR(int, fstat, int fd, struct stat *st)
{
	SHIM_ENTER(fstat, fd, st);
	int ret = REAL(fstat)(fd, st);
	SHIM_SAVE_ERRNO();
	if (ret == 0)
		fstat_devdax(fd, st);
	SHIM_LEAVE();
	return ret;
}

SHIM_INTERCEPTOR(int, fstat64, int fd, struct stat64 *st)
{
	SHIM_ENTER(fstat64, fd, st);
	int ret = REAL(fstat64)(fd, st);
	SHIM_SAVE_ERRNO();
	if (ret == 0)
		fstat_devdax(fd, (struct stat *)st);
	SHIM_LEAVE();
	return ret;
}
