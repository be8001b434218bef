/*
 * shim_stdio.c -- fopen of an emulated file
 *
 * glibc's fopen opens and writes through its own internal calls, which no
 * interposer sees: the stream would be the media's, its stores and any
 * mapping of fileno() untraced. So the shim opens the view itself
 * (shim_file_openat) and makes the stream a fopencookie one whose read,
 * write, seek and close are the caller's (intercept_stdio.c: the
 * program's calls, its writes traced stores), fileno() giving the view
 * descriptor so that mmap, fsync and ftruncate of it are emulated as for
 * open.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "real.h"
#include "shim_core.h"
#include "shim_file.h"
#include "shim_stdio.h"

int
shim_fopen_flags(const char *mode)
{
	int flags;
	switch (mode[0]) {
	case 'r': flags = O_RDONLY; break;
	case 'w': flags = O_WRONLY | O_CREAT | O_TRUNC; break;
	case 'a': flags = O_WRONLY | O_CREAT | O_APPEND; break;
	default: return -1;
	}
	for (const char *c = mode + 1; *c != '\0'; c++) {
		switch (*c) {
		case '+':
			flags = (flags & ~O_ACCMODE) | O_RDWR;
			break;
		case 'x': flags |= O_EXCL; break;
		case 'e': flags |= O_CLOEXEC; break;
		case 'b': /* binary: no difference */
		case 'm': /* read through mmap: a read() does the same */
		case 'c': /* no cancellation point */
			break;
		default:
			return -1;
		}
	}
	return flags;
}

FILE *
shim_file_fopen(const char *path, const char *mode,
		cookie_io_functions_t io)
{
	int flags = shim_fopen_flags(mode);
	if (flags < 0) {
		shim_error("fopen(\"%s\", \"%s\"): a mode pmemu does not know "
			"on an emulated file (EINVAL)", path, mode);
		errno = EINVAL;
		return NULL;
	}
	int fd = shim_file_openat(AT_FDCWD, path, flags, 0666);
	if (fd < 0)
		return NULL;
	/* the stream's own mode: what it may do (the open did the rest) */
	char smode[3] = { mode[0], strchr(mode, '+') ? '+' : '\0', '\0' };
	FILE *f = fopencookie((void *)(intptr_t)fd, smode, io);
	if (f == NULL) {
		int e = errno;
		shim_file_close(fd);
		errno = e;
		return NULL;
	}
	f->_fileno = fd; /* fileno(): the view, which mmap emulates */
	return f;
}
