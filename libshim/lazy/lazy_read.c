/*
 * lazy_read.c -- libpmemu-lazy.so: the check's reads of the image through
 * file calls (read, pread, readv, preadv: the lines they cover, in the
 * order read), what it opens (O_DIRECT, stdio streams) and execs (a
 * static or set-id program cannot preload us). Mapped reads are
 * lazy_watch.c's; stores through file calls lazy_io.c's. The fortified
 * forms (_FORTIFY_SOURCE: __read_chk, __pread_chk, __open_2) are the
 * same calls: a check built with them reads as one built without.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lazy_io.h"

REAL_DECL(ssize_t, read, int, void *, size_t);
REAL_DECL(ssize_t, pread, int, void *, size_t, off_t);
REAL_DECL(ssize_t, readv, int, const struct iovec *, int);
REAL_DECL(ssize_t, preadv, int, const struct iovec *, int, off_t);
REAL_DECL(int, open, const char *, int, ...);
REAL_DECL(int, openat, int, const char *, int, ...);
REAL_DECL(FILE *, fopen, const char *, const char *);
REAL_DECL(FILE *, fdopen, int, const char *);
REAL_DECL(int, execve, const char *, char *const[], char *const[]);
REAL_DECL(off_t, lseek, int, off_t, int);
/* _FORTIFY_SOURCE's forms (a buffer of known size), preadv2's flags */
REAL_DECL(ssize_t, __read_chk, int, void *, size_t, size_t);
REAL_DECL(ssize_t, __pread_chk, int, void *, size_t, off_t, size_t);
REAL_DECL(ssize_t, preadv2, int, const struct iovec *, int, off_t, int);
REAL_DECL(int, __open_2, const char *, int);
REAL_DECL(int, __openat_2, int, const char *, int);

static void
read_at(int fd, uint64_t off, size_t len, char kind, uintptr_t pc)
{
	int saved = errno;
	long file = lw_watching() ? lw_image_file(fd) : -1;
	if (len > 0)
		lw_read_range(file, off, off + len, kind, pc);
	errno = saved;
}

size_t
lw_iov_len(const struct iovec *iov, int n)
{
	size_t len = 0;
	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	return len;
}

off_t
lw_image_pos(int fd)
{
	int saved = errno;
	RESOLVE(lseek);
	off_t at = lw_watching() && lw_image_file(fd) >= 0 ?
		real_lseek(fd, 0, SEEK_CUR) : -1;
	errno = saved;
	return at;
}

/* read_here -- a read at fd's file position */
static void
read_here(int fd, size_t len, uintptr_t pc)
{
	off_t at = lw_image_pos(fd);
	if (at >= 0)
		read_at(fd, (uint64_t)at, len, 'R', pc);
}

#define AT_POSITION ((off_t)-1) /* a read at the file position */
#define NOWHERE ((off_t)-2)     /* pread at a negative offset: EINVAL */

/* read_begin, iov_begin -- a read of len bytes of fd at off (AT_POSITION:
 * at its file position; another negative offset reads nothing: EINVAL)
 * into buf by the instruction pc: the lines are decided before the bytes
 * are read (the order of reads) */
static void
read_begin(int fd, void *buf, size_t len, off_t off, uintptr_t pc)
{
	if (off == AT_POSITION)
		read_here(fd, len, pc);
	else if (off >= 0)
		read_at(fd, (uint64_t)off, len, 'R', pc);
	lw_buffer_begin(buf, len, true, pc);
}

static void
iov_begin(int fd, const struct iovec *iov, int n, off_t off, uintptr_t pc)
{
	if (off == AT_POSITION)
		read_here(fd, lw_iov_len(iov, n), pc);
	else if (off >= 0)
		read_at(fd, (uint64_t)off, lw_iov_len(iov, n), 'R', pc);
	lw_iov_begin(iov, n, true, pc);
}

ssize_t
read(int fd, void *buf, size_t len)
{
	RESOLVE(read);
	read_begin(fd, buf, len, AT_POSITION, CALLER);
	ssize_t ret = real_read(fd, buf, len);
	lw_buffer_end(buf, len);
	return ret;
}

ssize_t
__read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	RESOLVE(__read_chk);
	read_begin(fd, buf, len, AT_POSITION, CALLER);
	ssize_t ret = real___read_chk(fd, buf, len, buflen);
	lw_buffer_end(buf, len);
	return ret;
}

ssize_t
pread(int fd, void *buf, size_t len, off_t off)
{
	RESOLVE(pread);
	read_begin(fd, buf, len, off < 0 ? NOWHERE : off, CALLER);
	ssize_t ret = real_pread(fd, buf, len, off);
	lw_buffer_end(buf, len);
	return ret;
}
ssize_t pread64(int, void *, size_t, off_t) __attribute__((alias("pread")));

ssize_t
__pread_chk(int fd, void *buf, size_t len, off_t off, size_t buflen)
{
	RESOLVE(__pread_chk);
	read_begin(fd, buf, len, off < 0 ? NOWHERE : off, CALLER);
	ssize_t ret = real___pread_chk(fd, buf, len, off, buflen);
	lw_buffer_end(buf, len);
	return ret;
}
ssize_t __pread64_chk(int, void *, size_t, off_t, size_t)
	__attribute__((alias("__pread_chk")));

ssize_t
readv(int fd, const struct iovec *iov, int n)
{
	RESOLVE(readv);
	iov_begin(fd, iov, n, AT_POSITION, CALLER);
	ssize_t ret = real_readv(fd, iov, n);
	lw_iov_end(iov, n);
	return ret;
}

ssize_t
preadv(int fd, const struct iovec *iov, int n, off_t off)
{
	RESOLVE(preadv);
	iov_begin(fd, iov, n, off < 0 ? NOWHERE : off, CALLER);
	ssize_t ret = real_preadv(fd, iov, n, off);
	lw_iov_end(iov, n);
	return ret;
}
ssize_t preadv64(int, const struct iovec *, int, off_t)
	__attribute__((alias("preadv")));

/* preadv2 -- off -1: at the file position, as readv */
ssize_t
preadv2(int fd, const struct iovec *iov, int n, off_t off, int flags)
{
	RESOLVE(preadv2);
	iov_begin(fd, iov, n, off, CALLER);
	ssize_t ret = real_preadv2(fd, iov, n, off, flags);
	lw_iov_end(iov, n);
	return ret;
}
ssize_t preadv64v2(int, const struct iovec *, int, off_t, int)
	__attribute__((alias("preadv2")));

/* opened -- O_DIRECT bypasses the page cache but not us; we do not see
 * the reads it makes into buffers, so name it */
static int
opened(int fd, int flags)
{
	if (fd >= 0 && (flags & O_DIRECT) && lw_image_file(fd) >= 0)
		lw_log_unseen("the check opened the image with O_DIRECT");
	return fd;
}

int
open(const char *path, int flags, ...)
{
	RESOLVE(open);
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	return opened(real_open(path, flags, mode), flags);
}
int open64(const char *, int, ...) __attribute__((alias("open")));

int
openat(int dir, const char *path, int flags, ...)
{
	RESOLVE(openat);
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	return opened(real_openat(dir, path, flags, mode), flags);
}
int openat64(int, const char *, int, ...) __attribute__((alias("openat")));

/* _FORTIFY_SOURCE's open and openat of flags without O_CREAT */
int
__open_2(const char *path, int flags)
{
	RESOLVE(__open_2);
	return opened(real___open_2(path, flags), flags);
}
int __open64_2(const char *, int) __attribute__((alias("__open_2")));

int
__openat_2(int dir, const char *path, int flags)
{
	RESOLVE(__openat_2);
	return opened(real___openat_2(dir, path, flags), flags);
}
int __openat64_2(int, const char *, int) __attribute__((alias("__openat_2")));

/* stream -- stdio reads inside libc: every line of the file is read */
static FILE *
stream(FILE *f)
{
	long file = f && lw_watching() ? lw_image_file(fileno(f)) : -1;
	lw_read_range(file, 0, UINT64_MAX, 'P', 0);
	return f;
}

FILE *
fopen(const char *path, const char *mode)
{
	RESOLVE(fopen);
	return stream(real_fopen(path, mode));
}
FILE *fopen64(const char *, const char *) __attribute__((alias("fopen")));

FILE *
fdopen(int fd, const char *mode)
{
	RESOLVE(fdopen);
	return stream(real_fdopen(fd, mode));
}

/* exec_seen -- false if path cannot preload us (static, setuid) */
static bool
exec_seen(const char *path, char *why, size_t whylen)
{
	struct stat st;
	RESOLVE(open);
	RESOLVE(pread);
	int fd = real_open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* execve fails, or a script: its interpreter */
	Elf64_Ehdr eh;
	bool seen = true;
	if (fstat(fd, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID))) {
		snprintf(why, whylen, "the check runs %s, a set-id program "
				"(no LD_PRELOAD)", path);
		seen = false;
	} else if (real_pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) &&
			memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
			eh.e_ident[EI_CLASS] == ELFCLASS64) {
		bool interp = false;
		for (unsigned i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;
			if (real_pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff +
					(uint64_t)i * eh.e_phentsize)) !=
					sizeof(ph))
				break;
			interp |= ph.p_type == PT_INTERP;
		}
		if (!interp) {
			snprintf(why, whylen, "the check runs %s, a static "
					"program (no LD_PRELOAD)", path);
			seen = false;
		}
	}
	close(fd);
	return seen;
}

int
execve(const char *path, char *const argv[], char *const envp[])
{
	RESOLVE(execve);
	char why[160];
	if (lw_watching() && !exec_seen(path, why, sizeof(why)))
		lw_log_unseen(why);
	return real_execve(path, argv, envp);
}

void
lw_read_resolve(void)
{
	RESOLVE(read);
	RESOLVE(pread);
	RESOLVE(readv);
	RESOLVE(preadv);
	RESOLVE(__read_chk);
	RESOLVE(__pread_chk);
	RESOLVE(preadv2);
	RESOLVE(open);
	RESOLVE(openat);
	RESOLVE(__open_2);
	RESOLVE(__openat_2);
	RESOLVE(fopen);
	RESOLVE(fdopen);
	RESOLVE(execve);
	RESOLVE(lseek);
}
