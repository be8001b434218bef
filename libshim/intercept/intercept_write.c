/*
 * intercept_write.c -- write/pwrite/writev/pwritev and fsync/fdatasync/
 * sync_file_range on view descriptors: traced stores, then flush + fence
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim_core.h"
#include "shim_devdax.h"
#include "shim_file.h"
#include "shim_intercept.h"
#include "shim_region.h"
#include "shim_sync.h"

/* iov_written -- the first n bytes of iov went to the file at off */
static void
iov_written(int fd, uint64_t off, const struct iovec *iov, int cnt,
		size_t n)
{
	for (int i = 0; i < cnt && n > 0; i++) {
		size_t k = iov[i].iov_len < n ? iov[i].iov_len : n;
		shim_file_written(fd, off, iov[i].iov_base, k);
		off += k;
		n -= k;
	}
}

/* where the bytes of a write(2) that just returned n went */
static uint64_t
written_at(int fd, ssize_t n)
{
	off_t pos = lseek(fd, 0, SEEK_CUR);
	return pos >= n ? (uint64_t)(pos - n) : 0;
}

SHIM_INTERCEPTOR(ssize_t, write, int fd, const void *buf, size_t len)
{
	SHIM_ENTER(write, fd, buf, len);
	SHIM_DEVDAX_REFUSE(fd, EINVAL, -1);
	ssize_t n = REAL(write)(fd, buf, len);
	SHIM_SAVE_ERRNO();
	if (n > 0 && shim_fd_region(fd) != NULL)
		shim_file_written(fd, written_at(fd, n), buf, (size_t)n);
	SHIM_LEAVE();
	return n;
}

#define PWRITE_BODY(name, fd, buf, len, off) \
	SHIM_ENTER(name, fd, buf, len, off); \
	SHIM_DEVDAX_REFUSE(fd, EINVAL, -1); \
	ssize_t n = REAL(name)(fd, buf, len, off); \
	SHIM_SAVE_ERRNO(); \
	if (n > 0 && shim_fd_region(fd) != NULL) \
		shim_file_written(fd, (uint64_t)off, buf, (size_t)n); \
	SHIM_LEAVE(); \
	return n

SHIM_INTERCEPTOR(ssize_t, pwrite, int fd, const void *buf, size_t len,
		off_t off)
{
	PWRITE_BODY(pwrite, fd, buf, len, off);
}

SHIM_INTERCEPTOR(ssize_t, pwrite64, int fd, const void *buf, size_t len,
		off_t off)
{
	PWRITE_BODY(pwrite64, fd, buf, len, off);
}

SHIM_INTERCEPTOR(ssize_t, writev, int fd, const struct iovec *iov, int cnt)
{
	SHIM_ENTER(writev, fd, iov, cnt);
	SHIM_DEVDAX_REFUSE(fd, EINVAL, -1);
	ssize_t n = REAL(writev)(fd, iov, cnt);
	SHIM_SAVE_ERRNO();
	if (n > 0 && shim_fd_region(fd) != NULL)
		iov_written(fd, written_at(fd, n), iov, cnt, (size_t)n);
	SHIM_LEAVE();
	return n;
}

#define PWRITEV_BODY(name, fd, iov, cnt, off) \
	SHIM_ENTER(name, fd, iov, cnt, off); \
	SHIM_DEVDAX_REFUSE(fd, EINVAL, -1); \
	ssize_t n = REAL(name)(fd, iov, cnt, off); \
	SHIM_SAVE_ERRNO(); \
	if (n > 0 && shim_fd_region(fd) != NULL) \
		iov_written(fd, (uint64_t)off, iov, cnt, (size_t)n); \
	SHIM_LEAVE(); \
	return n

SHIM_INTERCEPTOR(ssize_t, pwritev, int fd, const struct iovec *iov, int cnt,
		off_t off)
{
	PWRITEV_BODY(pwritev, fd, iov, cnt, off);
}

SHIM_INTERCEPTOR(ssize_t, pwritev64, int fd, const struct iovec *iov,
		int cnt, off_t off)
{
	PWRITEV_BODY(pwritev64, fd, iov, cnt, off);
}

/* fsync, fdatasync -- flush and fence the whole file (MODEL.md) */
SHIM_INTERCEPTOR(int, fsync, int fd)
{
	SHIM_ENTER(fsync, fd);
	SHIM_DEVDAX_REFUSE(fd, EINVAL, -1); /* no fsync operation */
	int ret = REAL(fsync)(fd);
	SHIM_SAVE_ERRNO();
	if (ret == 0)
		shim_file_fsync(fd, 0, 0);
	SHIM_LEAVE();
	return ret;
}

SHIM_INTERCEPTOR(int, fdatasync, int fd)
{
	SHIM_ENTER(fdatasync, fd);
	SHIM_DEVDAX_REFUSE(fd, EINVAL, -1);
	int ret = REAL(fdatasync)(fd);
	SHIM_SAVE_ERRNO();
	if (ret == 0)
		shim_file_fsync(fd, 0, 0);
	SHIM_LEAVE();
	return ret;
}

/* sync_file_range -- durable only with WAIT_AFTER|WRITE, for its range */
SHIM_INTERCEPTOR(int, sync_file_range, int fd, off_t off, off_t len,
		unsigned int flags)
{
	SHIM_ENTER(sync_file_range, fd, off, len, flags);
	SHIM_DEVDAX_REFUSE(fd, ESPIPE, -1); /* not a regular file */
	int ret = REAL(sync_file_range)(fd, off, len, flags);
	SHIM_SAVE_ERRNO();
	unsigned need = SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
	if (ret == 0 && (flags & need) == need)
		shim_file_fsync(fd, (uint64_t)off, (uint64_t)len);
	SHIM_LEAVE();
	return ret;
}

