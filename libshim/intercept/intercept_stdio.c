/*
 * intercept_stdio.c -- fopen, fdopen, freopen, fclose of emulated files
 *
 * glibc's stdio opens inside libc, where open's interposer never sees it:
 * fopen of a file under the pmem dir gives a stream of the view instead
 * (file/shim_stdio.c); other paths are the real fopen. fdopen of a view
 * descriptor gives the same stream: glibc's would write to it unseen.
 * So do stdout and stderr when they are a view's, and dprintf.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdio_ext.h>
#include <unistd.h>

#include "intercept_stdio.h"
#include "shim_core.h"
#include "shim_file.h"
#include "shim_intercept.h"
#include "shim_region.h"
#include "shim_stdio.h"

/* a stream of a view's calls: the program's own on the view descriptor
 * (the cookie), so its writes are traced as write(2)'s */
static ssize_t
stream_read(void *cookie, char *buf, size_t len)
{
	return read((int)(intptr_t)cookie, buf, len);
}

static ssize_t
stream_write(void *cookie, const char *buf, size_t len)
{
	ssize_t n = write((int)(intptr_t)cookie, buf, len);
	return n < 0 ? 0 : n; /* fopencookie: 0 is the error */
}

static int
stream_seek(void *cookie, off64_t *off, int whence)
{
	off64_t to = lseek64((int)(intptr_t)cookie, *off, whence);
	if (to < 0)
		return -1;
	*off = to;
	return 0;
}

static int
stream_close(void *cookie)
{
	return shim_file_close((int)(intptr_t)cookie);
}

static const cookie_io_functions_t stream_io = { stream_read, stream_write,
	stream_seek, stream_close };

#define FOPEN_BODY(name) \
	SHIM_ENTER(name, path, mode); \
	FILE *f = path != NULL && mode != NULL && shim_file_emulated(path) ? \
		shim_file_fopen(path, mode, stream_io) : \
		REAL(name)(path, mode); \
	SHIM_SAVE_ERRNO(); \
	SHIM_LEAVE(); \
	return f

SHIM_INTERCEPTOR(FILE *, fopen, const char *path, const char *mode)
{
	FOPEN_BODY(fopen);
}

SHIM_INTERCEPTOR(FILE *, fopen64, const char *path, const char *mode)
{
	FOPEN_BODY(fopen64);
}

/* fdopen -- a stream of a view descriptor is such a stream too */
SHIM_INTERCEPTOR(FILE *, fdopen, int fd, const char *mode)
{
	SHIM_ENTER(fdopen, fd, mode);
	FILE *f = mode != NULL && shim_fd_region(fd) != NULL ?
		shim_file_fdopen(fd, mode, stream_io) : REAL(fdopen)(fd, mode);
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return f;
}

/*
 * freopen_refused -- glibc reopens into the same FILE from inside libc,
 * where the shim cannot put a view under it; nor can a stream of a view
 * (fopen's, whose calls are the shim's) take another file. Either would
 * run unemulated or write where it should not: refused, said, ENOTSUP.
 */
static bool
freopen_refused(const char *path, FILE *f)
{
	int fd = f != NULL ? fileno(f) : -1;
	if (shim_fd_region(fd) == NULL &&
			(path == NULL || !shim_file_emulated(path)))
		return false;
	shim_error("freopen(\"%s\") of a stream of an emulated file, or of "
		"one to an emulated file: not supported (fclose and fopen "
		"it); it fails with ENOTSUP",
		path != NULL ? path : shim_fd_region(fd)->path);
	errno = ENOTSUP;
	return true;
}

#define FREOPEN_BODY(name) \
	SHIM_ENTER(name, path, mode, stream); \
	FILE *f = freopen_refused(path, stream) ? NULL : \
		REAL(name)(path, mode, stream); \
	SHIM_SAVE_ERRNO(); \
	SHIM_LEAVE(); \
	return f

SHIM_INTERCEPTOR(FILE *, freopen, const char *path, const char *mode,
		FILE *stream)
{
	FREOPEN_BODY(freopen);
}

SHIM_INTERCEPTOR(FILE *, freopen64, const char *path, const char *mode,
		FILE *stream)
{
	FREOPEN_BODY(freopen64);
}

static void std_forget(FILE *stream);

/* fclose -- the descriptor leaves the table before libc closes it (an
 * fdopen stream of a view); the bytes a stream holds are flushed first,
 * not nested in the shim, so that they are the program's traced writes */
SHIM_INTERCEPTOR(int, fclose, FILE *stream)
{
	if (stream != NULL && shim_depth == 0 && __fwriting(stream))
		(void)fflush(stream);
	SHIM_ENTER(fclose, stream);
	int fd = stream != NULL ? fileno(stream) : -1;
	if (shim_fd_region(fd) != NULL)
		shim_fd_set(fd, NULL);
	int ret = REAL(fclose)(stream);
	SHIM_SAVE_ERRNO();
	std_forget(stream);
	SHIM_LEAVE();
	return ret;
}

/* set while the shim closes its own standard stream to put glibc's back:
 * the program's descriptor stays open */
static __thread bool std_putting_back;

/* std_close -- the program's fclose of its stdout closes descriptor 1,
 * as glibc's would; the shim's own (put back) leaves it */
static int
std_close(void *cookie)
{
	return std_putting_back ? 0 : stream_close(cookie);
}

static const cookie_io_functions_t std_io = { stream_read, stream_write,
	stream_seek, std_close };

/* glibc's stdout and stderr, and the shim's streams in their place
 * (buf: the buffer given to ours, or NULL) */
struct std_slot {
	FILE **s;
	int fd;
	FILE *glibc, *ours;
	char *buf;
};

static struct std_slot std_slots[2] = { { &stdout, 1, NULL, NULL, NULL },
	{ &stderr, 2, NULL, NULL, NULL } };

/*
 * std_take_pending -- the bytes glibc's stream still buffers (printed
 * before a dup2 made the descriptor a view's) move into ours, in a
 * buffer that holds them: written when glibc would have written them (at
 * the program's next flush or exit), through the traced write. Before,
 * glibc's flush wrote them to the view from inside the shim, unseen (the
 * pool lacked them; unsynced, no finding). Flushing them at the swap
 * instead would make a later fsync cover bytes glibc writes after it.
 */
static void
std_take_pending(struct std_slot *sl, FILE *glibc, FILE *ours)
{
	size_t n = __fpending(glibc);
	if (n == 0)
		return;
	size_t size = n + BUFSIZ;
	sl->buf = malloc(size);
	if (sl->buf == NULL ||
			setvbuf(ours, sl->buf, _IOFBF, size) != 0 ||
			fwrite(glibc->_IO_write_base, 1, n, ours) != n)
		shim_fatal("cannot move %zu bytes of the program's standard "
			"stream %d", n, sl->fd);
	__fpurge(glibc);
}

/* std_release -- the slot's stream is gone: its buffer too */
static void
std_release(struct std_slot *sl)
{
	sl->ours = NULL;
	free(sl->buf);
	sl->buf = NULL;
}

/* std_stream -- the slot's stream is the shim's while its descriptor is
 * a view's, glibc's again once it is not (a shell's builtin puts its
 * standard output back after a redirection) */
static void
std_stream(struct std_slot *sl)
{
	FILE *cur = *sl->s;
	bool view = shim_fd_region(sl->fd) != NULL;
	if (cur != NULL && cur == sl->ours && !view) {
		std_putting_back = true;
		(void)fclose(sl->ours);
		std_putting_back = false;
		*sl->s = sl->glibc;
		std_release(sl);
		return;
	}
	if (cur == NULL || cur == sl->ours || !view || fileno(cur) != sl->fd)
		return;
	int fl = REAL(fcntl)(sl->fd, F_GETFL);
	int acc = fl & O_ACCMODE;
	if (fl < 0 || acc == O_RDONLY)
		return;
	FILE *f = shim_file_fdopen(sl->fd, (fl & O_APPEND) ? "a" :
		acc == O_RDWR ? "r+" : "w", std_io);
	if (f == NULL)
		return;
	std_take_pending(sl, cur, f);
	if (sl->fd == 2 && sl->buf == NULL)
		(void)setvbuf(f, NULL, _IONBF, 0);
	sl->glibc = cur;
	*sl->s = sl->ours = f;
}

/* std_forget -- the program closed the shim's stream: the slot holds
 * none (stdout names a closed stream, as after glibc's fclose) */
static void
std_forget(FILE *stream)
{
	for (size_t i = 0; i < 2; i++)
		if (stream != NULL && std_slots[i].ours == stream)
			std_release(&std_slots[i]);
}

/*
 * shim_std_streams -- stdout and stderr on a view descriptor (a shell's
 * `prog > /mnt/pm/out`, a dup2 onto 1) are streams of the view as fdopen
 * gives: glibc's write what printf and puts hold through a write inside
 * libc, unseen (the file after the run lacked them, "no findings"
 * unsynced). At start, and after an open, dup or close of 0 to 2; a
 * program that kept the old stream's address (`FILE *out = stdout`
 * before, C++'s cout if libstdc++ started first) still writes unseen.
 */
void
shim_std_streams(void)
{
	std_stream(&std_slots[0]);
	std_stream(&std_slots[1]);
}

/* vdprintf, dprintf -- glibc writes them from inside libc: on a view
 * descriptor, formatted here and written by the traced write */
SHIM_INTERCEPTOR(int, vdprintf, int fd, const char *fmt, va_list ap)
{
	SHIM_REAL_ENSURE();
	char *text;
	if (shim_depth != 0 || !shim_active || shim_fd_region(fd) == NULL)
		return REAL(vdprintf)(fd, fmt, ap);
	int n = vasprintf(&text, fmt, ap);
	if (n < 0)
		return -1;
	ssize_t done = 0;
	while (done < n) {
		ssize_t k = write(fd, text + done, (size_t)(n - done));
		if (k <= 0)
			break;
		done += k;
	}
	free(text);
	return done == n ? n : -1;
}

SHIM_INTERCEPTOR(int, dprintf, int fd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vdprintf(fd, fmt, ap);
	va_end(ap);
	return n;
}
