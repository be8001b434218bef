/*
 * intercept_fileio.c -- open/creat (and their 64-bit names), close, dup,
 * ftruncate/fallocate, unlink/rename of emulated files
 *
 * Opening a file under the pmem dir gives the program a descriptor of its
 * view (shim_file_openat); the rest keeps the descriptor table and the
 * file size in step. stdio's fopen opens inside libc: intercept_stdio.c;
 * other descriptors are adopted when mapped (file/shim_adopt.c).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "intercept_stdio.h"
#include "shim_core.h"
#include "shim_devdax.h"
#include "shim_file.h"
#include "shim_image.h"
#include "shim_intercept.h"
#include "shim_region.h"
#include "shim_sync.h"

/* the mode argument exists only with O_CREAT or O_TMPFILE */
#define OPEN_MODE(flags, mode) \
	do { \
		va_list ap_; \
		va_start(ap_, flags); \
		mode = ((flags) & (O_CREAT | __O_TMPFILE)) ? \
			(mode_t)va_arg(ap_, int) : 0; \
		va_end(ap_); \
	} while (0)

/* std_checked -- fd, which an open made: as 0 to 2, the standard
 * streams follow (intercept_stdio.c) */
static int
std_checked(int fd)
{
	if (fd >= 0 && fd <= 2)
		shim_std_streams();
	return fd;
}

#define OPENAT_BODY(name, dirfd, path, flags, mode) \
	SHIM_ENTER(name, dirfd, path, flags, mode); \
	int fd = std_checked(shim_file_openat(dirfd, path, flags, mode)); \
	SHIM_SAVE_ERRNO(); \
	SHIM_LEAVE(); \
	return fd

SHIM_INTERCEPTOR(int, open, const char *path, int flags, ...)
{
	mode_t mode;
	OPEN_MODE(flags, mode);
	SHIM_ENTER(open, path, flags, mode);
	int fd = std_checked(shim_file_openat(AT_FDCWD, path, flags, mode));
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return fd;
}

SHIM_INTERCEPTOR(int, open64, const char *path, int flags, ...)
{
	mode_t mode;
	OPEN_MODE(flags, mode);
	SHIM_ENTER(open64, path, flags, mode);
	int fd = std_checked(shim_file_openat(AT_FDCWD, path, flags, mode));
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return fd;
}

SHIM_INTERCEPTOR(int, openat, int dirfd, const char *path, int flags, ...)
{
	mode_t mode;
	OPEN_MODE(flags, mode);
	OPENAT_BODY(openat, dirfd, path, flags, mode);
}

SHIM_INTERCEPTOR(int, openat64, int dirfd, const char *path, int flags, ...)
{
	mode_t mode;
	OPEN_MODE(flags, mode);
	OPENAT_BODY(openat64, dirfd, path, flags, mode);
}

SHIM_INTERCEPTOR(int, creat, const char *path, mode_t mode)
{
	SHIM_ENTER(creat, path, mode);
	int fd = std_checked(shim_file_openat(AT_FDCWD, path,
			O_CREAT | O_WRONLY | O_TRUNC, mode));
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return fd;
}

SHIM_INTERCEPTOR(int, creat64, const char *path, mode_t mode)
{
	SHIM_ENTER(creat64, path, mode);
	int fd = std_checked(shim_file_openat(AT_FDCWD, path,
			O_CREAT | O_WRONLY | O_TRUNC, mode));
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return fd;
}

SHIM_INTERCEPTOR(int, close, int fd)
{
	SHIM_ENTER(close, fd);
	int ret = shim_file_close(fd);
	SHIM_SAVE_ERRNO();
	(void)std_checked(fd);
	SHIM_LEAVE();
	return ret;
}

/* dup_track -- the new descriptor names the same view as the old one;
 * stdout or stderr made a view's are the shim's streams */
static void
dup_track(int oldfd, int newfd)
{
	if (newfd < 0 || newfd == oldfd)
		return;
	shim_fd_set(newfd, shim_fd_region(oldfd));
	if (newfd <= 2)
		shim_std_streams();
}

SHIM_INTERCEPTOR(int, dup, int oldfd)
{
	SHIM_ENTER(dup, oldfd);
	int fd = REAL(dup)(oldfd);
	SHIM_SAVE_ERRNO();
	dup_track(oldfd, fd);
	SHIM_LEAVE();
	return fd;
}

SHIM_INTERCEPTOR(int, dup2, int oldfd, int newfd)
{
	SHIM_ENTER(dup2, oldfd, newfd);
	int fd = REAL(dup2)(oldfd, newfd);
	SHIM_SAVE_ERRNO();
	dup_track(oldfd, fd);
	SHIM_LEAVE();
	return fd;
}

SHIM_INTERCEPTOR(int, dup3, int oldfd, int newfd, int flags)
{
	SHIM_ENTER(dup3, oldfd, newfd, flags);
	int fd = REAL(dup3)(oldfd, newfd, flags);
	SHIM_SAVE_ERRNO();
	dup_track(oldfd, fd);
	SHIM_LEAVE();
	return fd;
}

/*
 * fcntl -- F_DUPFD and F_DUPFD_CLOEXEC are dups: the new descriptor names
 * the same view (a mapping of it untracked was a false PASS); the third
 * argument, whatever its type, is passed on as a word, as the callers of
 * the system call do
 */
#define FCNTL_INTERCEPTOR(name) \
	SHIM_INTERCEPTOR(int, name, int fd, int cmd, ...) \
	{ \
		va_list ap; \
		va_start(ap, cmd); \
		unsigned long arg = va_arg(ap, unsigned long); \
		va_end(ap); \
		SHIM_ENTER(name, fd, cmd, arg); \
		int ret = REAL(name)(fd, cmd, arg); \
		SHIM_SAVE_ERRNO(); \
		if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) \
			dup_track(fd, ret); \
		SHIM_LEAVE(); \
		return ret; \
	}

FCNTL_INTERCEPTOR(fcntl)
FCNTL_INTERCEPTOR(fcntl64)

/* the size calls change the view; the media and the model follow */
#define RESIZING_INTERCEPTOR(name, devdax_err, devdax_ret, call, ...) \
	SHIM_ENTER(name, __VA_ARGS__); \
	SHIM_DEVDAX_REFUSE(fd, devdax_err, devdax_ret); \
	int ret = REAL(name) call; \
	SHIM_SAVE_ERRNO(); \
	if (ret == 0) \
		shim_file_resized(fd); \
	SHIM_LEAVE(); \
	return ret

SHIM_INTERCEPTOR(int, ftruncate, int fd, off_t len)
{
	RESIZING_INTERCEPTOR(ftruncate, EINVAL, -1, (fd, len), fd, len);
}

SHIM_INTERCEPTOR(int, ftruncate64, int fd, off_t len)
{
	RESIZING_INTERCEPTOR(ftruncate64, EINVAL, -1,
		(fd, len), fd, len);
}

/*
 * truncate, truncate64 -- by path: an emulated file's view is truncated
 * as ftruncate would (the real call truncated the media alone, and the
 * program's descriptors still saw the old size)
 */
#define TRUNCATE_BODY(name, path, len) \
	SHIM_ENTER(name, path, len); \
	int ret; \
	if (!shim_file_emulated(path)) { \
		ret = REAL(name)(path, len); \
		SHIM_SAVE_ERRNO(); \
	} else { \
		int fd = shim_file_openat(AT_FDCWD, path, O_WRONLY, 0); \
		bool dax = fd >= 0 && shim_devdax_fd(fd); \
		ret = fd < 0 || dax ? -1 : REAL(ftruncate)(fd, len); \
		if (dax) /* a character device: as ftruncate's refusal */ \
			errno = EINVAL; \
		SHIM_SAVE_ERRNO(); \
		if (ret == 0) \
			shim_file_resized(fd); \
		if (fd >= 0) \
			shim_file_close(fd); \
	} \
	SHIM_LEAVE(); \
	return ret

SHIM_INTERCEPTOR(int, truncate, const char *path, off_t len)
{
	TRUNCATE_BODY(truncate, path, len);
}

SHIM_INTERCEPTOR(int, truncate64, const char *path, off_t len)
{
	TRUNCATE_BODY(truncate64, path, len);
}

/* fallocate: an allocation is the media's (shim_allocate.c); a punched
 * hole also clears the bad blocks inside it */
#define FALLOCATE_BODY(name) \
	SHIM_ENTER(name, fd, mode, off, len); \
	SHIM_DEVDAX_REFUSE(fd, ENODEV, -1); \
	int err = shim_file_allocate(fd, mode, off, len, false); \
	if (err >= 0) { \
		if (err > 0) \
			shim_errno_ = err; \
		SHIM_LEAVE(); \
		return err == 0 ? 0 : -1; \
	} \
	int ret = REAL(name)(fd, mode, off, len); \
	SHIM_SAVE_ERRNO(); \
	if (ret == 0) { \
		shim_file_resized(fd); \
		if (mode & FALLOC_FL_PUNCH_HOLE) \
			shim_file_punched(fd, (uint64_t)off, (uint64_t)len); \
	} \
	SHIM_LEAVE(); \
	return ret

SHIM_INTERCEPTOR(int, fallocate, int fd, int mode, off_t off, off_t len)
{
	FALLOCATE_BODY(fallocate);
}

SHIM_INTERCEPTOR(int, fallocate64, int fd, int mode, off_t off, off_t len)
{
	FALLOCATE_BODY(fallocate64);
}

/* posix_fallocate returns an error number, not -1; the allocation is the
 * media's (shim_allocate.c) */
#define POSIX_FALLOCATE_BODY(name) \
	SHIM_ENTER(name, fd, off, len); \
	SHIM_DEVDAX_REFUSE(fd, ENODEV, ENODEV); \
	int err = shim_file_allocate(fd, 0, off, len, true); \
	if (err < 0) { \
		err = REAL(name)(fd, off, len); \
		if (err == 0) \
			shim_file_resized(fd); \
	} \
	SHIM_LEAVE(); \
	return err

SHIM_INTERCEPTOR(int, posix_fallocate, int fd, off_t off, off_t len)
{
	POSIX_FALLOCATE_BODY(posix_fallocate);
}

SHIM_INTERCEPTOR(int, posix_fallocate64, int fd, off_t off, off_t len)
{
	POSIX_FALLOCATE_BODY(posix_fallocate64);
}

/*
 * moved_out -- a rename of a file in the pmem dir to a name outside it:
 * the media would leave the emulation (a later open of the new name
 * writes it unseen). Refused as between two file systems (EXDEV, which a
 * DAX mount is), and said.
 */
static bool
moved_out(int from_dir, const char *from, int to_dir, const char *to)
{
	char abs[PATH_MAX];
	if (!shim_path_resolve(from_dir, from, abs) ||
			shim_path_resolve(to_dir, to, abs))
		return false;
	shim_error("rename(\"%s\", \"%s\"): a pmem file moved out of the "
		"pmem dir would not be emulated; it fails with EXDEV", from,
		to);
	errno = EXDEV;
	return true;
}

/* RENAME_BODY -- the region keeps its media; its path follows for
 * reports; out of the pmem dir: EXDEV (moved_out) */
#define RENAME_BODY(call, from_dir, from, to_dir, to, ...) \
	char img_from[PATH_MAX], img_to[PATH_MAX]; \
	from = shim_image_path(from_dir, from, img_from); \
	to = shim_image_path(to_dir, to, img_to); \
	int ret = moved_out(from_dir, from, to_dir, to) ? -1 : \
		REAL(call)(__VA_ARGS__); \
	SHIM_SAVE_ERRNO(); \
	char abs_to[PATH_MAX]; \
	if (ret == 0 && shim_path_resolve(to_dir, to, abs_to)) \
		shim_region_renamed(abs_to); \
	SHIM_LEAVE(); \
	return ret

SHIM_INTERCEPTOR(int, rename, const char *from, const char *to)
{
	SHIM_ENTER(rename, from, to);
	RENAME_BODY(rename, AT_FDCWD, from, AT_FDCWD, to, from, to);
}

SHIM_INTERCEPTOR(int, renameat, int from_dir, const char *from, int to_dir,
		const char *to)
{
	SHIM_ENTER(renameat, from_dir, from, to_dir, to);
	RENAME_BODY(renameat, from_dir, from, to_dir, to, from_dir, from,
		to_dir, to);
}

SHIM_INTERCEPTOR(int, renameat2, int from_dir, const char *from,
		int to_dir, const char *to, unsigned flags)
{
	SHIM_ENTER(renameat2, from_dir, from, to_dir, to, flags);
	RENAME_BODY(renameat2, from_dir, from, to_dir, to, from_dir, from,
		to_dir, to, flags);
}
