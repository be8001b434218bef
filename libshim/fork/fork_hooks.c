/*
 * fork_hooks.c -- libpmemu-fork.so: the file calls that can touch the
 * image by its path (open, stat, access, truncate, opendir, chdir...): the
 * first one naming the image directory or a file in it is the trigger
 * (fork_server.c), before the call is made
 *
 * The fortified entry points (__open_2...) and the 64-bit names are
 * hooked too; libc's own calls inside fopen or opendir are not
 * interposable, hence fopen and opendir themselves.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <utime.h>
#include <unistd.h>

#include "fork_server.h"

/* WATCH -- the trigger when dirfd/path names the image */
#define WATCH(dirfd, path) \
	do { \
		if (fs_watching() && fs_is_image((dirfd), (path))) \
			fs_trigger(); \
	} while (0)

/* MODE -- the mode argument of an open that creates */
#define MODE(flags, last) ({ \
	mode_t m_ = 0; \
	if ((flags) & (O_CREAT | O_TMPFILE)) { \
		va_list ap_; \
		va_start(ap_, last); \
		m_ = va_arg(ap_, mode_t); \
		va_end(ap_); \
	} \
	m_; })

/* HOOK_PATH -- ret name(const char *path, A2 a2): one path first */
#define HOOK_PATH(ret, name, t2) \
	ret name(const char *path, t2 a2) \
	{ \
		REAL(name); \
		WATCH(AT_FDCWD, path); \
		return real(path, a2); \
	}
#define HOOK_PATH3(ret, name, t2, t3) \
	ret name(const char *path, t2 a2, t3 a3) \
	{ \
		REAL(name); \
		WATCH(AT_FDCWD, path); \
		return real(path, a2, a3); \
	}
#define HOOK_AT3(ret, name, t3) \
	ret name(int dirfd, const char *path, t3 a3) \
	{ \
		REAL(name); \
		WATCH(dirfd, path); \
		return real(dirfd, path, a3); \
	}
#define HOOK_AT(ret, name, t3, t4) \
	ret name(int dirfd, const char *path, t3 a3, t4 a4) \
	{ \
		REAL(name); \
		WATCH(dirfd, path); \
		return real(dirfd, path, a3, a4); \
	}

int
open(const char *path, int flags, ...)
{
	REAL(open);
	mode_t mode = MODE(flags, flags);
	WATCH(AT_FDCWD, path);
	return real(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	REAL(open64);
	mode_t mode = MODE(flags, flags);
	WATCH(AT_FDCWD, path);
	return real(path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	REAL(openat);
	mode_t mode = MODE(flags, flags);
	WATCH(dirfd, path);
	return real(dirfd, path, flags, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	REAL(openat64);
	mode_t mode = MODE(flags, flags);
	WATCH(dirfd, path);
	return real(dirfd, path, flags, mode);
}

int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
HOOK_PATH(int, __open_2, int)
HOOK_PATH(int, __open64_2, int)
HOOK_PATH(int, creat, mode_t)
HOOK_PATH(int, creat64, mode_t)
HOOK_PATH(FILE *, fopen, const char *)
HOOK_PATH(FILE *, fopen64, const char *)
HOOK_PATH(int, stat, struct stat *)
HOOK_PATH(int, stat64, struct stat64 *)
HOOK_PATH(int, lstat, struct stat *)
HOOK_PATH(int, lstat64, struct stat64 *)
HOOK_PATH(int, access, int)
HOOK_PATH(int, euidaccess, int)
HOOK_PATH(int, eaccess, int)
HOOK_PATH(int, truncate, off_t)
HOOK_PATH(int, truncate64, off64_t)
HOOK_PATH(int, statfs, struct statfs *)
HOOK_PATH(int, statfs64, struct statfs64 *)
HOOK_PATH(int, statvfs, struct statvfs *)
HOOK_PATH(int, statvfs64, struct statvfs64 *)
HOOK_PATH(int, mkdir, mode_t)
HOOK_PATH(int, chmod, mode_t)
HOOK_PATH(char *, realpath, char *)
HOOK_PATH(long, pathconf, int)
HOOK_PATH(int, utime, const struct utimbuf *)
HOOK_PATH3(ssize_t, listxattr, char *, size_t)
HOOK_PATH3(ssize_t, llistxattr, char *, size_t)
HOOK_PATH3(ssize_t, readlink, char *, size_t)
HOOK_AT3(int, unlinkat, int)
HOOK_AT3(int, mkdirat, mode_t)
HOOK_AT(int, fstatat, struct stat *, int)
HOOK_AT(int, fchmodat, mode_t, int)
HOOK_AT(ssize_t, readlinkat, char *, size_t)
HOOK_AT(int, fstatat64, struct stat64 *, int)
HOOK_AT(int, faccessat, int, int)

int
__openat_2(int dirfd, const char *path, int flags)
{
	REAL(__openat_2);
	WATCH(dirfd, path);
	return real(dirfd, path, flags);
}

int
__openat64_2(int dirfd, const char *path, int flags)
{
	REAL(__openat64_2);
	WATCH(dirfd, path);
	return real(dirfd, path, flags);
}

int
statx(int dirfd, const char *path, int flags, unsigned mask,
		struct statx *buf)
{
	REAL(statx);
	WATCH(dirfd, path);
	return real(dirfd, path, flags, mask, buf);
}

FILE *
freopen(const char *path, const char *mode, FILE *f)
{
	REAL(freopen);
	WATCH(AT_FDCWD, path);
	return real(path, mode, f);
}

FILE *
freopen64(const char *path, const char *mode, FILE *f)
{
	REAL(freopen64);
	WATCH(AT_FDCWD, path);
	return real(path, mode, f);
}

DIR *
opendir(const char *path)
{
	REAL(opendir);
	WATCH(AT_FDCWD, path);
	return real(path);
}

int
chdir(const char *path)
{
	REAL(chdir);
	WATCH(AT_FDCWD, path);
	return real(path);
}

int
unlink(const char *path)
{
	REAL(unlink);
	WATCH(AT_FDCWD, path);
	return real(path);
}

int
rename(const char *from, const char *to)
{
	REAL(rename);
	WATCH(AT_FDCWD, from);
	WATCH(AT_FDCWD, to);
	return real(from, to);
}

int
utimes(const char *path, const struct timeval tv[2])
{
	REAL(utimes);
	WATCH(AT_FDCWD, path);
	return real(path, tv);
}

int
utimensat(int dirfd, const char *path, const struct timespec ts[2],
		int flags)
{
	REAL(utimensat);
	WATCH(dirfd, path);
	return real(dirfd, path, ts, flags);
}

int
rmdir(const char *path)
{
	REAL(rmdir);
	WATCH(AT_FDCWD, path);
	return real(path);
}

int
renameat(int from_dir, const char *from, int to_dir, const char *to)
{
	REAL(renameat);
	WATCH(from_dir, from);
	WATCH(to_dir, to);
	return real(from_dir, from, to_dir, to);
}

int
link(const char *from, const char *to)
{
	REAL(link);
	WATCH(AT_FDCWD, from);
	WATCH(AT_FDCWD, to);
	return real(from, to);
}
