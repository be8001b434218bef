/*
 * shim_stdio.c -- fopen of an emulated file, fdopen of a view descriptor
 *
 * glibc's fopen opens and writes through its own internal calls, which no
 * interposer sees: the stream would be the media's, its stores and any
 * mapping of fileno() untraced. So the shim opens the view itself
 * (shim_file_openat) and makes the stream a fopencookie one whose read,
 * write, seek and close are the caller's (intercept_stdio.c: the
 * program's calls, its writes traced stores), fileno() giving the view
 * descriptor so that mmap, fsync and ftruncate of it are emulated as for
 * open. fdopen of a view descriptor makes the same stream: glibc's would
 * write to the view unseen, the model and the media never knowing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* stream_of -- the stream of view descriptor fd, io its calls; NULL
 * (errno) leaves fd open */
static FILE *
stream_of(int fd, const char *mode, cookie_io_functions_t io)
{
	/* the stream's own mode: what it may do (the open did the rest) */
	char smode[3] = { mode[0], strchr(mode, '+') ? '+' : '\0', '\0' };
	FILE *f = fopencookie((void *)(intptr_t)fd, smode, io);
	if (f != NULL)
		f->_fileno = fd; /* fileno(): the view, which mmap emulates */
	return f;
}

/* known_mode -- the flags of mode, else said (call names the call) and
 * -1, errno EINVAL */
static int
known_mode(const char *call, const char *mode)
{
	int flags = shim_fopen_flags(mode);
	if (flags < 0) {
		shim_error("%s, \"%s\"): a mode pmemu does not know on an "
			"emulated file (EINVAL)", call, mode);
		errno = EINVAL;
	}
	return flags;
}

FILE *
shim_file_fopen(const char *path, const char *mode,
		cookie_io_functions_t io)
{
	char call[PATH_MAX + 16];
	snprintf(call, sizeof(call), "fopen(\"%s\"", path);
	int flags = known_mode(call, mode);
	if (flags < 0)
		return NULL;
	int fd = shim_file_openat(AT_FDCWD, path, flags, 0666);
	if (fd < 0)
		return NULL;
	FILE *f = stream_of(fd, mode, io);
	if (f == NULL) {
		int e = errno;
		shim_file_close(fd);
		errno = e;
	}
	return f;
}

FILE *
shim_file_fdopen(int fd, const char *mode, cookie_io_functions_t io)
{
	char call[32];
	snprintf(call, sizeof(call), "fdopen(%d", fd);
	int flags = known_mode(call, mode);
	int fl = REAL(fcntl)(fd, F_GETFL);
	if (flags < 0 || fl < 0)
		return NULL;
	/* as glibc's: the descriptor must allow what the mode does, and
	 * "a" sets O_APPEND on it */
	int want = flags & O_ACCMODE, have = fl & O_ACCMODE;
	if (have != O_RDWR && want != have) {
		errno = EINVAL;
		return NULL;
	}
	if ((flags & O_APPEND) && !(fl & O_APPEND) &&
			REAL(fcntl)(fd, F_SETFL, fl | O_APPEND) < 0)
		return NULL;
	return stream_of(fd, mode, io);
}
