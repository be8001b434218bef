/*
 * intercept_fill_fs.c -- calls about files whose answer the kernel writes
 * into the caller's memory (statfs, getcwd, readlink, getdents64, the
 * extended attributes; stat's family is intercept_path.c's): a buffer in
 * emulated pmem is opened first (intercept_fill.h), else the call failed
 * with EFAULT under pmemu. readlink of /proc/self/fd/N names the file.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <stdint.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "intercept_fill.h"
#include "shim_file.h"

SHIM_INTERCEPTOR(int, statfs, const char *path, struct statfs *buf)
{
	FILL_CALL(int, statfs, SYS_statfs, (L(path), L(buf)), path, buf);
}

SHIM_INTERCEPTOR(int, statfs64, const char *path, struct statfs64 *buf)
{
	FILL_CALL(int, statfs64, SYS_statfs, (L(path), L(buf)), path, buf);
}

SHIM_INTERCEPTOR(int, fstatfs, int fd, struct statfs *buf)
{
	FILL_CALL(int, fstatfs, SYS_fstatfs, (fd, L(buf)), fd, buf);
}

SHIM_INTERCEPTOR(int, fstatfs64, int fd, struct statfs64 *buf)
{
	FILL_CALL(int, fstatfs64, SYS_fstatfs, (fd, L(buf)), fd, buf);
}

SHIM_INTERCEPTOR(char *, getcwd, char *buf, size_t size)
{
	FILL_CALL(char *, getcwd, SYS_getcwd, (L(buf), (long)size), buf,
		size);
}

/* the _FORTIFY_SOURCE variants: the same call, the buffer's size known */
SHIM_INTERCEPTOR(char *, __getcwd_chk, char *buf, size_t size,
		size_t buflen)
{
	FILL_CALL(char *, __getcwd_chk, SYS_getcwd, (L(buf), (long)size),
		buf, size, buflen);
}

/*
 * readlink's body: the buffer opened; a link /proc/self/fd/N of a view
 * descriptor answered with the file's path, not the view's (the link of
 * an emulated file's descriptor, as natively); else the real call
 */
#define READLINK_CALL(name, dirfd, path, buf, size, ...) \
	SHIM_ENTER(name, __VA_ARGS__); \
	long raw_[6] = { dirfd, L(path), L(buf), (long)(size) }; \
	shim_kernel_fill(SYS_readlinkat, raw_); \
	char link_[PATH_MAX + 16]; \
	ssize_t ret_; \
	if (shim_file_fd_link(path, link_, sizeof(link_))) { \
		ret_ = (ssize_t)strlen(link_); \
		if ((size_t)ret_ > (size)) \
			ret_ = (ssize_t)(size); \
		memcpy(buf, link_, (size_t)ret_); \
	} else { \
		ret_ = REAL(name)(__VA_ARGS__); \
	} \
	SHIM_SAVE_ERRNO(); \
	SHIM_LEAVE(); \
	return ret_

SHIM_INTERCEPTOR(ssize_t, readlink, const char *path, char *buf,
		size_t size)
{
	READLINK_CALL(readlink, AT_FDCWD, path, buf, size, path, buf, size);
}

SHIM_INTERCEPTOR(ssize_t, __readlink_chk, const char *path, char *buf,
		size_t size, size_t buflen)
{
	READLINK_CALL(__readlink_chk, AT_FDCWD, path, buf, size, path, buf,
		size, buflen);
}

SHIM_INTERCEPTOR(ssize_t, readlinkat, int dirfd, const char *path,
		char *buf, size_t size)
{
	READLINK_CALL(readlinkat, dirfd, path, buf, size, dirfd, path, buf,
		size);
}

SHIM_INTERCEPTOR(ssize_t, __readlinkat_chk, int dirfd, const char *path,
		char *buf, size_t size, size_t buflen)
{
	READLINK_CALL(__readlinkat_chk, dirfd, path, buf, size, dirfd, path,
		buf, size, buflen);
}

SHIM_INTERCEPTOR(ssize_t, getdents64, int fd, void *buf, size_t size)
{
	FILL_CALL(ssize_t, getdents64, SYS_getdents64,
		(fd, L(buf), (long)size), fd, buf, size);
}

SHIM_INTERCEPTOR(ssize_t, getxattr, const char *path, const char *name,
		void *value, size_t size)
{
	FILL_CALL(ssize_t, getxattr, SYS_getxattr,
		(L(path), L(name), L(value), (long)size), path, name, value,
		size);
}

SHIM_INTERCEPTOR(ssize_t, lgetxattr, const char *path, const char *name,
		void *value, size_t size)
{
	FILL_CALL(ssize_t, lgetxattr, SYS_lgetxattr,
		(L(path), L(name), L(value), (long)size), path, name, value,
		size);
}

SHIM_INTERCEPTOR(ssize_t, fgetxattr, int fd, const char *name, void *value,
		size_t size)
{
	FILL_CALL(ssize_t, fgetxattr, SYS_fgetxattr,
		(fd, L(name), L(value), (long)size), fd, name, value, size);
}

SHIM_INTERCEPTOR(ssize_t, listxattr, const char *path, char *list,
		size_t size)
{
	FILL_CALL(ssize_t, listxattr, SYS_listxattr,
		(L(path), L(list), (long)size), path, list, size);
}

SHIM_INTERCEPTOR(ssize_t, llistxattr, const char *path, char *list,
		size_t size)
{
	FILL_CALL(ssize_t, llistxattr, SYS_llistxattr,
		(L(path), L(list), (long)size), path, list, size);
}

SHIM_INTERCEPTOR(ssize_t, flistxattr, int fd, char *list, size_t size)
{
	FILL_CALL(ssize_t, flistxattr, SYS_flistxattr,
		(fd, L(list), (long)size), fd, list, size);
}
