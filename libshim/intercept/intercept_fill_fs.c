/*
 * intercept_fill_fs.c -- calls about files whose answer the kernel writes
 * into the caller's memory (statfs, getcwd, readlink, getdents64, the
 * extended attributes; stat's family is intercept_path.c's): a buffer in
 * emulated pmem is opened first (intercept_fill.h), else the call failed
 * with EFAULT under pmemu
 */
#include <dirent.h>
#include <stdint.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "intercept_fill.h"

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

SHIM_INTERCEPTOR(ssize_t, readlink, const char *path, char *buf,
		size_t size)
{
	FILL_CALL(ssize_t, readlink, SYS_readlink,
		(L(path), L(buf), (long)size), path, buf, size);
}

SHIM_INTERCEPTOR(ssize_t, __readlink_chk, const char *path, char *buf,
		size_t size, size_t buflen)
{
	FILL_CALL(ssize_t, __readlink_chk, SYS_readlink,
		(L(path), L(buf), (long)size), path, buf, size, buflen);
}

SHIM_INTERCEPTOR(ssize_t, readlinkat, int dirfd, const char *path,
		char *buf, size_t size)
{
	FILL_CALL(ssize_t, readlinkat, SYS_readlinkat,
		(dirfd, L(path), L(buf), (long)size), dirfd, path, buf, size);
}

SHIM_INTERCEPTOR(ssize_t, __readlinkat_chk, int dirfd, const char *path,
		char *buf, size_t size, size_t buflen)
{
	FILL_CALL(ssize_t, __readlinkat_chk, SYS_readlinkat,
		(dirfd, L(path), L(buf), (long)size), dirfd, path, buf, size,
		buflen);
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
