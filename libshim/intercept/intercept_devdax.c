/*
 * intercept_devdax.c -- the calls only a device DAX changes: read (it has
 * no read operation: EINVAL), fstat and statx (a character device),
 * realpath of its sysfs subsystem link (libpmem2 tells a device DAX by
 * it); the others refuse in their own interposers (SHIM_DEVDAX_REFUSE).
 * A read or pread of a file's bad block stops there (EIO: shim_poison.h).
 * A read into emulated pmem opens its pages first (shim_read_buffer.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim_core.h"
#include "shim_devdax.h"
#include "shim_file.h"
#include "shim_image.h"
#include "intercept_fill.h"
#include "shim_options.h"
#include "shim_poison.h"
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

/* poisoned_len -- a read of len bytes at off of fd stops at the first
 * bad block, as the kernel's DAX read (copy_mc: a short read, EIO when
 * nothing could be read): the bytes it may read, or -1 (EIO) */
static ssize_t
poisoned_len(int fd, off_t off, size_t len)
{
	struct shim_region *r = shim_fd_region(fd);
	if (r == NULL || off < 0 || len == 0)
		return (ssize_t)len;
	uint64_t ok = shim_poison_readable(r, (uint64_t)off, len);
	return ok == 0 ? -1 : (ssize_t)ok;
}

/* read and pread: READ_BODY, after the bad blocks cut the length */
#define READ_POISON_BODY(name, fd, buf, len, at, ...) \
	SHIM_ENTER(name, fd, buf, len, ##__VA_ARGS__); \
	SHIM_DEVDAX_REFUSE(fd, EINVAL, -1); \
	shim_read_buffer(buf, len); \
	ssize_t ok = poisoned_len(fd, at, len); \
	ssize_t n = ok < 0 ? -1 : REAL(name)(fd, buf, (size_t)ok, \
		##__VA_ARGS__); \
	if (ok < 0) \
		errno = EIO; \
	SHIM_SAVE_ERRNO(); \
	SHIM_LEAVE(); \
	return n

SHIM_INTERCEPTOR(ssize_t, read, int fd, void *buf, size_t len)
{
	READ_POISON_BODY(read, fd, buf, len, lseek(fd, 0, SEEK_CUR));
}

SHIM_INTERCEPTOR(ssize_t, pread, int fd, void *buf, size_t len, off_t off)
{
	READ_POISON_BODY(pread, fd, buf, len, off, off);
}

SHIM_INTERCEPTOR(ssize_t, pread64, int fd, void *buf, size_t len, off_t off)
{
	READ_POISON_BODY(pread64, fd, buf, len, off, off);
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

/* fstat_as_file -- a view descriptor's stat as its file's: a device
 * DAX's as its path's, another's as the media's (shim_file_stat.c) */
static void
fstat_as_file(int fd, struct stat *st)
{
	struct shim_region *r = shim_fd_region(fd);
	if (shim_devdax_region(r))
		shim_devdax_stat_fill(r->path, st);
	else
		shim_file_stat(fd, st);
}

SHIM_INTERCEPTOR(int, fstat, int fd, struct stat *st)
{
	SHIM_ENTER(fstat, fd, st);
	long raw[6] = { fd, L(st) };
	shim_kernel_fill(SYS_fstat, raw);
	int ret = REAL(fstat)(fd, st);
	SHIM_SAVE_ERRNO();
	if (ret == 0)
		fstat_as_file(fd, st);
	SHIM_LEAVE();
	return ret;
}

SHIM_INTERCEPTOR(int, fstat64, int fd, struct stat64 *st)
{
	SHIM_ENTER(fstat64, fd, st);
	long raw[6] = { fd, L(st) };
	shim_kernel_fill(SYS_fstat, raw);
	int ret = REAL(fstat64)(fd, st);
	SHIM_SAVE_ERRNO();
	if (ret == 0)
		fstat_as_file(fd, (struct stat *)st);
	SHIM_LEAVE();
	return ret;
}

/*
 * devdax_subsystem -- path is /sys/dev/char/<major>:<minor>/subsystem of
 * an emulated device DAX: major SHIM_DEVDAX_MAJOR, minor R*256+N, and the
 * pmem dir (a check: its image) holds a file dax<R>.<N>
 */
static bool
devdax_subsystem(const char *path)
{
	unsigned maj, min;
	int end = 0;
	const char *dir = shim_opts()->pmem_dir;
	if (dir == NULL || sscanf(path, "/sys/dev/char/%u:%u/subsystem%n",
			&maj, &min, &end) != 2 || path[end] != '\0' ||
			maj != SHIM_DEVDAX_MAJOR)
		return false;
	char file[PATH_MAX], img[PATH_MAX];
	if ((size_t)snprintf(file, sizeof(file), "%s/dax%u.%u", dir,
			min / 256, min % 256) >= sizeof(file))
		return false;
	struct stat st;
	return REAL(stat)(shim_image_path(AT_FDCWD, file, img), &st) == 0 &&
		S_ISREG(st.st_mode);
}

/* where a device DAX's subsystem link leads: the dax bus */
#define DEVDAX_SUBSYSTEM "/sys/bus/dax"

/* realpath -- no guard: the answer depends on the path alone and emits
 * nothing, and libpmem2 may ask from inside another interposed call */
SHIM_INTERCEPTOR(char *, realpath, const char *path, char *resolved)
{
	SHIM_REAL_ENSURE();
	if (path == NULL || !devdax_subsystem(path))
		return REAL(realpath)(path, resolved);
	if (resolved == NULL)
		return strdup(DEVDAX_SUBSYSTEM);
	return strcpy(resolved, DEVDAX_SUBSYSTEM);
}
