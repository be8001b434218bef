/*
 * lazy_io.c -- libpmemu-lazy.so: file calls on the image other than reads
 * (lazy_watch.c): stores through write/pwrite, which write the lines they
 * cover first, and the kernel-side copies pmemu cannot follow
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lazy_io.h"

REAL_DECL(ssize_t, write, int, const void *, size_t);
REAL_DECL(ssize_t, pwrite, int, const void *, size_t, off_t);
REAL_DECL(ssize_t, writev, int, const struct iovec *, int);
REAL_DECL(ssize_t, pwritev, int, const struct iovec *, int, off_t);
REAL_DECL(off_t, lseek, int, off_t, int);
REAL_DECL(ssize_t, copy_file_range, int, off_t *, int, off_t *, size_t,
		unsigned);
REAL_DECL(ssize_t, sendfile, int, int, off_t *, size_t);
REAL_DECL(ssize_t, splice, int, off_t *, int, off_t *, size_t, unsigned);
REAL_DECL(int, ioctl, int, unsigned long, ...);

/* stored_here -- a store at fd's file position (O_APPEND: at the end,
 * past every line) */
static void
stored_here(int fd, size_t len, uintptr_t pc)
{
	off_t at = lw_image_pos(fd);
	int saved = errno;
	if (at >= 0 && !(fcntl(fd, F_GETFL) & O_APPEND))
		lw_stored(fd, (uint64_t)at, len, pc);
	errno = saved;
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	RESOLVE(write);
	stored_here(fd, len, CALLER);
	lw_buffer_begin(buf, len, false, CALLER);
	ssize_t ret = real_write(fd, buf, len);
	lw_buffer_end(buf, len);
	return ret;
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	RESOLVE(pwrite);
	lw_stored(fd, (uint64_t)off, len, CALLER);
	lw_buffer_begin(buf, len, false, CALLER);
	ssize_t ret = real_pwrite(fd, buf, len, off);
	lw_buffer_end(buf, len);
	return ret;
}
ssize_t pwrite64(int, const void *, size_t, off_t)
	__attribute__((alias("pwrite")));

ssize_t
writev(int fd, const struct iovec *iov, int n)
{
	RESOLVE(writev);
	stored_here(fd, lw_iov_len(iov, n), CALLER);
	lw_iov_begin(iov, n, false, CALLER);
	ssize_t ret = real_writev(fd, iov, n);
	lw_iov_end(iov, n);
	return ret;
}

ssize_t
pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
	RESOLVE(pwritev);
	lw_stored(fd, (uint64_t)off, lw_iov_len(iov, n), CALLER);
	lw_iov_begin(iov, n, false, CALLER);
	ssize_t ret = real_pwritev(fd, iov, n, off);
	lw_iov_end(iov, n);
	return ret;
}
ssize_t pwritev64(int, const struct iovec *, int, off_t)
	__attribute__((alias("pwritev")));

static void
kernel_copy(int fd)
{
	if (lw_image_file(fd) >= 0)
		lw_log_unseen("the check copied the image in the kernel "
				"(copy_file_range, sendfile, splice or a clone)");
}

/* lseek -- SEEK_DATA/SEEK_HOLE read the image's layout, which a copy
 * (cp) then follows without reading holes: a read we cannot follow */
off_t
lseek(int fd, off_t off, int whence)
{
	RESOLVE(lseek);
	if ((whence == SEEK_DATA || whence == SEEK_HOLE) &&
			lw_image_file(fd) >= 0)
		lw_log_unseen("the check looked for holes in the image "
				"(SEEK_DATA/SEEK_HOLE)");
	return real_lseek(fd, off, whence);
}
off_t lseek64(int, off_t, int) __attribute__((alias("lseek")));

/* ioctl -- FICLONE/FICLONERANGE share the image's blocks in the kernel */
int
ioctl(int fd, unsigned long req, ...)
{
	RESOLVE(ioctl);
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (req == FICLONE)
		kernel_copy((int)(intptr_t)arg);
	else if (req == FICLONERANGE && arg != NULL)
		kernel_copy((int)((struct file_clone_range *)arg)->src_fd);
	return real_ioctl(fd, req, arg);
}

ssize_t
copy_file_range(int in, off_t *in_off, int out, off_t *out_off, size_t len,
		unsigned flags)
{
	RESOLVE(copy_file_range);
	kernel_copy(in);
	return real_copy_file_range(in, in_off, out, out_off, len, flags);
}

ssize_t
sendfile(int out, int in, off_t *off, size_t len)
{
	RESOLVE(sendfile);
	kernel_copy(in);
	return real_sendfile(out, in, off, len);
}
ssize_t sendfile64(int, int, off_t *, size_t) __attribute__((alias("sendfile")));

ssize_t
splice(int in, off_t *in_off, int out, off_t *out_off, size_t len,
		unsigned flags)
{
	RESOLVE(splice);
	kernel_copy(in);
	return real_splice(in, in_off, out, out_off, len, flags);
}

void
lw_io_resolve(void)
{
	RESOLVE(write);
	RESOLVE(pwrite);
	RESOLVE(writev);
	RESOLVE(pwritev);
	RESOLVE(lseek);
	RESOLVE(copy_file_range);
	RESOLVE(sendfile);
	RESOLVE(splice);
	RESOLVE(ioctl);
}
