/*
 * intercept_path.c -- calls that name a file by path (stat, access,
 * unlink), for a check of a crash image: under PMEMU_IMAGE a path under
 * the pmem dir names the image's file (shim_image.c). Outside a check they
 * are the real calls.
 */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim_core.h"
#include "shim_devdax.h"
#include "shim_file.h"
#include "shim_image.h"
#include "intercept_fill.h"
#include "shim_region.h"

/* the real call, its path argument redirected (img: a char[PATH_MAX]) */
#define PATH_CALL(name, ...) \
	int ret = REAL(name)(__VA_ARGS__); \
	SHIM_SAVE_ERRNO(); \
	SHIM_LEAVE(); \
	return ret

/* PATH_CALL of a stat: its struct stat opened when it is emulated pmem
 * (shim_kernel_fill.c); a device DAX file looks as the kernel shows one,
 * a view's descriptor (AT_EMPTY_PATH) as its file (shim_file_stat.c) */
#define STAT_CALL(name, dirfd, path, st, flags, ...) \
	long raw_[6] = { dirfd, L(path), L(st) }; \
	shim_kernel_fill(SYS_newfstatat, raw_); \
	int ret = REAL(name)(__VA_ARGS__); \
	SHIM_SAVE_ERRNO(); \
	if (ret == 0 && ((flags) & AT_EMPTY_PATH) && (path)[0] == '\0') \
		shim_file_stat(dirfd, (struct stat *)(st)); \
	else if (ret == 0) \
		shim_devdax_stat(dirfd, path, (struct stat *)(st)); \
	SHIM_LEAVE(); \
	return ret

SHIM_INTERCEPTOR(int, stat, const char *path, struct stat *st)
{
	SHIM_ENTER(stat, path, st);
	char img[PATH_MAX];
	STAT_CALL(stat, AT_FDCWD, path, st, 0,
		shim_image_path(AT_FDCWD, path, img), st);
}

SHIM_INTERCEPTOR(int, stat64, const char *path, struct stat64 *st)
{
	SHIM_ENTER(stat64, path, st);
	char img[PATH_MAX];
	STAT_CALL(stat64, AT_FDCWD, path, st, 0,
		shim_image_path(AT_FDCWD, path, img), st);
}

SHIM_INTERCEPTOR(int, lstat, const char *path, struct stat *st)
{
	SHIM_ENTER(lstat, path, st);
	char img[PATH_MAX];
	STAT_CALL(lstat, AT_FDCWD, path, st, 0,
		shim_image_path(AT_FDCWD, path, img), st);
}

SHIM_INTERCEPTOR(int, lstat64, const char *path, struct stat64 *st)
{
	SHIM_ENTER(lstat64, path, st);
	char img[PATH_MAX];
	STAT_CALL(lstat64, AT_FDCWD, path, st, 0,
		shim_image_path(AT_FDCWD, path, img), st);
}

/* the *at calls: a redirected path is absolute, so dirfd no longer counts */
SHIM_INTERCEPTOR(int, fstatat, int dirfd, const char *path, struct stat *st,
		int flags)
{
	SHIM_ENTER(fstatat, dirfd, path, st, flags);
	char img[PATH_MAX];
	STAT_CALL(fstatat, dirfd, path, st, flags, dirfd,
		shim_image_path(dirfd, path, img), st, flags);
}

SHIM_INTERCEPTOR(int, fstatat64, int dirfd, const char *path,
		struct stat64 *st, int flags)
{
	SHIM_ENTER(fstatat64, dirfd, path, st, flags);
	char img[PATH_MAX];
	STAT_CALL(fstatat64, dirfd, path, st, flags, dirfd,
		shim_image_path(dirfd, path, img), st, flags);
}

SHIM_INTERCEPTOR(int, statx, int dirfd, const char *path, int flags,
		unsigned mask, struct statx *stx)
{
	SHIM_ENTER(statx, dirfd, path, flags, mask, stx);
	char img[PATH_MAX];
	long raw[6] = { dirfd, L(path), flags, mask, L(stx) };
	shim_kernel_fill(SYS_statx, raw);
	int ret = REAL(statx)(dirfd, shim_image_path(dirfd, path, img), flags,
		mask, stx);
	SHIM_SAVE_ERRNO();
	if (ret == 0 && (flags & AT_EMPTY_PATH) && path[0] == '\0')
		shim_file_statx(dirfd, mask, stx);
	if (ret == 0)
		shim_devdax_statx(dirfd, path, flags, stx);
	SHIM_LEAVE();
	return ret;
}

SHIM_INTERCEPTOR(int, access, const char *path, int mode)
{
	SHIM_ENTER(access, path, mode);
	char img[PATH_MAX];
	PATH_CALL(access, shim_image_path(AT_FDCWD, path, img), mode);
}

SHIM_INTERCEPTOR(int, faccessat, int dirfd, const char *path, int mode,
		int flags)
{
	SHIM_ENTER(faccessat, dirfd, path, mode, flags);
	char img[PATH_MAX];
	PATH_CALL(faccessat, dirfd, shim_image_path(dirfd, path, img), mode,
		flags);
}

SHIM_INTERCEPTOR(int, unlink, const char *path)
{
	SHIM_ENTER(unlink, path);
	char img[PATH_MAX];
	PATH_CALL(unlink, shim_image_path(AT_FDCWD, path, img));
}

SHIM_INTERCEPTOR(int, unlinkat, int dirfd, const char *path, int flags)
{
	SHIM_ENTER(unlinkat, dirfd, path, flags);
	char img[PATH_MAX];
	PATH_CALL(unlinkat, dirfd, shim_image_path(dirfd, path, img), flags);
}

