/*
 * intercept_aio.c -- POSIX asynchronous I/O (aio_write, aio_read,
 * aio_fsync, lio_listio) on view descriptors
 *
 * glibc runs each request on a thread of its own with pwrite, pread and
 * fsync called inside libc, where no interposer sees them: an aio_write
 * to a pmem file reached the view but neither the model nor the media
 * (unsynced: "no findings"; the pool file after the run lacked it), and
 * an aio_fsync was unseen. So, at submission, a write to a view is made
 * here first, a traced pwrite of the request's bytes (glibc's own then
 * writes the same bytes at the same place: the program may not touch the
 * buffer until the request completes), and an fsync is made durable
 * here, as fsync is; glibc then runs the request as before, so its
 * results and notifications are glibc's. A read into emulated pmem has
 * its buffer's pages opened first, as read's (shim_read_buffer.c).
 * An aio_write on a descriptor with O_APPEND (where the second write
 * would append the bytes again) is refused: EINVAL, said.
 */
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "shim_core.h"
#include "shim_intercept.h"
#include "shim_read_buffer.h"
#include "shim_region.h"
#include "shim_sync.h"

/* submitted -- what cb asks of a view, done or prepared here; false: a
 * write the shim refuses (errno set) */
static bool
submitted(const struct aiocb *cb, int op)
{
	int fd = cb->aio_fildes;
	if (op == LIO_READ) {
		shim_read_buffer((void *)cb->aio_buf, cb->aio_nbytes);
		return true;
	}
	if (op != LIO_WRITE || shim_fd_region(fd) == NULL)
		return true;
	if (REAL(fcntl)(fd, F_GETFL) & O_APPEND) {
		shim_error("aio_write to an emulated file opened with O_APPEND "
			"(%s): not supported; it fails with EINVAL",
			shim_fd_region(fd)->path);
		errno = EINVAL;
		return false;
	}
	ssize_t n = REAL(pwrite)(fd, (const void *)cb->aio_buf,
		cb->aio_nbytes, cb->aio_offset);
	if (n > 0)
		shim_file_written(fd, (uint64_t)cb->aio_offset,
			(const void *)cb->aio_buf, (size_t)n);
	return true;
}

#define AIO_BODY(name, cb, op) \
	SHIM_ENTER(name, cb); \
	int ret = submitted((const struct aiocb *)cb, op) ? \
		REAL(name)(cb) : -1; \
	SHIM_SAVE_ERRNO(); \
	SHIM_LEAVE(); \
	return ret

SHIM_INTERCEPTOR(int, aio_write, struct aiocb *cb)
{
	AIO_BODY(aio_write, cb, LIO_WRITE);
}

SHIM_INTERCEPTOR(int, aio_write64, struct aiocb64 *cb)
{
	AIO_BODY(aio_write64, cb, LIO_WRITE);
}

SHIM_INTERCEPTOR(int, aio_read, struct aiocb *cb)
{
	AIO_BODY(aio_read, cb, LIO_READ);
}

SHIM_INTERCEPTOR(int, aio_read64, struct aiocb64 *cb)
{
	AIO_BODY(aio_read64, cb, LIO_READ);
}

/* fsync_now -- aio_fsync of a view: durable at submission, a little
 * before glibc's fsync completes it */
static void
fsync_now(const struct aiocb *cb)
{
	if (shim_fd_region(cb->aio_fildes) != NULL &&
			REAL(fsync)(cb->aio_fildes) == 0)
		shim_file_fsync(cb->aio_fildes, 0, 0);
}

#define AIO_FSYNC_BODY(name, op, cb) \
	SHIM_ENTER(name, op, cb); \
	fsync_now((const struct aiocb *)cb); \
	int ret = REAL(name)(op, cb); \
	SHIM_SAVE_ERRNO(); \
	SHIM_LEAVE(); \
	return ret

SHIM_INTERCEPTOR(int, aio_fsync, int op, struct aiocb *cb)
{
	AIO_FSYNC_BODY(aio_fsync, op, cb);
}

SHIM_INTERCEPTOR(int, aio_fsync64, int op, struct aiocb64 *cb)
{
	AIO_FSYNC_BODY(aio_fsync64, op, cb);
}

/* listed -- every request of the list submitted() */
static bool
listed(struct aiocb *const list[], int n)
{
	for (int i = 0; i < n; i++)
		if (list[i] != NULL && !submitted(list[i],
				list[i]->aio_lio_opcode))
			return false;
	return true;
}

#define LIO_BODY(name, mode, list, n, sev) \
	SHIM_ENTER(name, mode, list, n, sev); \
	int ret = listed((struct aiocb *const *)list, n) ? \
		REAL(name)(mode, list, n, sev) : -1; \
	SHIM_SAVE_ERRNO(); \
	SHIM_LEAVE(); \
	return ret

SHIM_INTERCEPTOR(int, lio_listio, int mode, struct aiocb *const list[],
		int n, struct sigevent *sev)
{
	LIO_BODY(lio_listio, mode, list, n, sev);
}

SHIM_INTERCEPTOR(int, lio_listio64, int mode, struct aiocb64 *const list[],
		int n, struct sigevent *sev)
{
	LIO_BODY(lio_listio64, mode, list, n, sev);
}
