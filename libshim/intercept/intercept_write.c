/*
 * intercept_write.c -- write/pwrite/writev/pwritev/pwritev2, and the
 * kernel's copies (sendfile, copy_file_range, splice), into view
 * descriptors: traced stores; fsync/fdatasync/sync_file_range on them,
 * sync and syncfs: flush + fence
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
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

/* pwritev2_at -- where pwritev2's n bytes landed: at off, at the file
 * offset for off -1, at the end with RWF_APPEND */
static uint64_t
pwritev2_at(int fd, off_t off, int flags, ssize_t n)
{
	struct stat st;
	if ((flags & RWF_APPEND) && REAL(fstat)(fd, &st) == 0)
		return st.st_size >= n ? (uint64_t)(st.st_size - n) : 0;
	return off == -1 ? written_at(fd, n) : (uint64_t)off;
}

/* pwritev2_done -- its bytes traced; RWF_SYNC, RWF_DSYNC: durable on
 * return, as by fsync (unseen, they were reported as unpersisted) */
static void
pwritev2_done(int fd, uint64_t at, const struct iovec *iov, int cnt,
		size_t n, int flags)
{
	iov_written(fd, at, iov, cnt, n);
	if (flags & (RWF_SYNC | RWF_DSYNC))
		shim_file_fsync(fd, at, n);
}

#define PWRITEV2_BODY(name, fd, iov, cnt, off, flags) \
	SHIM_ENTER(name, fd, iov, cnt, off, flags); \
	SHIM_DEVDAX_REFUSE(fd, EINVAL, -1); \
	ssize_t n = REAL(name)(fd, iov, cnt, off, flags); \
	SHIM_SAVE_ERRNO(); \
	if (n > 0 && shim_fd_region(fd) != NULL) \
		pwritev2_done(fd, pwritev2_at(fd, off, flags, n), iov, cnt, \
			(size_t)n, flags); \
	SHIM_LEAVE(); \
	return n

SHIM_INTERCEPTOR(ssize_t, pwritev2, int fd, const struct iovec *iov,
		int cnt, off_t off, int flags)
{
	PWRITEV2_BODY(pwritev2, fd, iov, cnt, off, flags);
}

SHIM_INTERCEPTOR(ssize_t, pwritev64v2, int fd, const struct iovec *iov,
		int cnt, off64_t off, int flags)
{
	PWRITEV2_BODY(pwritev64v2, fd, iov, cnt, off, flags);
}

/*
 * sendfile, copy_file_range, splice -- the kernel copies bytes the
 * program never held into a view descriptor's file from another
 * descriptor: the view got them, but neither the model nor the media did
 * (the pool file after the run lacked them). So they are read back from
 * the view and taken as a write's.
 */
#define BOUNCE 16384

/* copied_in -- n bytes landed in fd's file at off: read them back from
 * the view, a bounded piece at a time (no allocation), as written;
 * through the shim's own descriptor of the view, as the program's may
 * be write-only (`cp`'s is: it read nothing back, and the copy was
 * unseen) */
static void
copied_in(int fd, uint64_t off, size_t n)
{
	unsigned char buf[BOUNCE];
	int view = shim_fd_region(fd)->view_fd;
	while (n > 0) {
		size_t k = n < BOUNCE ? n : BOUNCE;
		ssize_t got = REAL(pread)(view, buf, k, (off_t)off);
		if (got <= 0)
			return; /* truncated meanwhile: nothing more landed */
		shim_file_written(fd, off, buf, (size_t)got);
		off += (uint64_t)got;
		n -= (size_t)got;
	}
}

/* landed -- after a copy of n bytes into fd: at *out_off (advanced by
 * the call) or, without one, at the file offset it moved */
static void
landed(int fd, const off64_t *out_off, ssize_t n)
{
	if (n <= 0 || shim_fd_region(fd) == NULL)
		return;
	copied_in(fd, out_off != NULL ? (uint64_t)(*out_off - n) :
		written_at(fd, n), (size_t)n);
}

#define SENDFILE_BODY(name, out, in, off, count) \
	SHIM_ENTER(name, out, in, off, count); \
	SHIM_DEVDAX_REFUSE(out, EINVAL, -1); \
	ssize_t n = REAL(name)(out, in, off, count); \
	SHIM_SAVE_ERRNO(); \
	landed(out, NULL, n); \
	SHIM_LEAVE(); \
	return n

SHIM_INTERCEPTOR(ssize_t, sendfile, int out, int in, off_t *off,
		size_t count)
{
	SENDFILE_BODY(sendfile, out, in, off, count);
}

SHIM_INTERCEPTOR(ssize_t, sendfile64, int out, int in, off64_t *off,
		size_t count)
{
	SENDFILE_BODY(sendfile64, out, in, off, count);
}

#define COPY_BODY(name, in, in_off, out, out_off, len, flags, fallback) \
	SHIM_ENTER(name, in, in_off, out, out_off, len, flags); \
	SHIM_DEVDAX_REFUSE(out, EINVAL, -1); \
	ssize_t n = REAL(name)(in, in_off, out, out_off, len, flags); \
	fallback; \
	SHIM_SAVE_ERRNO(); \
	landed(out, out_off, n); \
	SHIM_LEAVE(); \
	return n

/*
 * copy_by_hand -- copy_file_range into a view, which is on the shim's
 * file system (tmpfs), from a file on another: the kernel refuses it
 * (EXDEV) where the program's two files share one. So the bytes go
 * through a buffer, the offsets moved as the call moves them.
 */
static ssize_t
copy_by_hand(int in, off64_t *in_off, int out, off64_t *out_off,
		size_t len)
{
	unsigned char buf[BOUNCE];
	size_t done = 0;
	while (done < len) {
		size_t k = len - done < BOUNCE ? len - done : BOUNCE;
		ssize_t got = in_off != NULL ?
			REAL(pread)(in, buf, k, *in_off) : REAL(read)(in, buf, k);
		if (got <= 0) {
			if (got < 0 && done == 0)
				return -1;
			break;
		}
		ssize_t put = out_off != NULL ?
			REAL(pwrite)(out, buf, (size_t)got, *out_off) :
			REAL(write)(out, buf, (size_t)got);
		if (put < 0 && done == 0)
			return -1;
		if (put <= 0)
			break;
		if (in_off != NULL)
			*in_off += put;
		else if (put < got) /* give back what was read, not written */
			lseek(in, put - got, SEEK_CUR);
		if (out_off != NULL)
			*out_off += put;
		done += (size_t)put;
		if (put < got)
			break;
	}
	return (ssize_t)done;
}

SHIM_INTERCEPTOR(ssize_t, copy_file_range, int in, off64_t *in_off,
		int out, off64_t *out_off, size_t len, unsigned int flags)
{
	COPY_BODY(copy_file_range, in, in_off, out, out_off, len, flags,
		if (n < 0 && errno == EXDEV && flags == 0 &&
				shim_fd_region(out) != NULL &&
				shim_fd_region(in) == NULL &&
				(n = copy_by_hand(in, in_off, out, out_off,
					len)) >= 0)
			errno = shim_errno_); /* the program's, as on success */
}

SHIM_INTERCEPTOR(ssize_t, splice, int in, off64_t *in_off, int out,
		off64_t *out_off, size_t len, unsigned int flags)
{
	COPY_BODY(splice, in, in_off, out, out_off, len, flags, (void)0);
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

/* sync, syncfs -- every emulated file (on fd's file system) durable, as
 * each one's fsync: unseen, they left them all reported as unpersisted */
SHIM_INTERCEPTOR(void, sync, void)
{
	SHIM_ENTER_VOID(sync);
	REAL(sync)();
	shim_file_sync_all(-1);
	SHIM_LEAVE();
}

SHIM_INTERCEPTOR(int, syncfs, int fd)
{
	SHIM_ENTER(syncfs, fd);
	int ret = REAL(syncfs)(fd);
	SHIM_SAVE_ERRNO();
	if (ret == 0)
		shim_file_sync_all(fd);
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

