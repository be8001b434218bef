/*
 * shim_allocate.c -- fallocate and posix_fallocate of an emulated file
 *
 * Allocating a file's blocks is about the file, so it is the media's: the
 * user's file gets them as it would natively (its file system's space,
 * its ENOSPC). The view is a sparse shadow on tmpfs (shim_view.c): it only
 * grows to the new size, and its pages come at their first touch. Before,
 * the call went to the view, which allocated and cleared every page of
 * the pool in memory (a 1 GiB libpmemobj pool: 1 GiB of tmpfs, ~0.5 s)
 * while the media stayed sparse. Punching, zeroing, collapsing and
 * inserting change content: they stay the view's (intercept_fileio.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "real.h"
#include "shim_core.h"
#include "shim_file.h"
#include "shim_region.h"

/* grow_view -- the view at least len bytes long, never shorter: under
 * the lock, so that two threads' calls cannot shrink it (0 or errno) */
static int
grow_view(int fd, off_t len)
{
	struct stat st;
	int err = 0;
	shim_lock();
	if (REAL(fstat)(fd, &st) != 0)
		err = errno;
	else if (st.st_size < len && REAL(ftruncate)(fd, len) != 0)
		err = errno;
	shim_unlock();
	return err;
}

int
shim_file_allocate(int fd, int mode, off_t off, off_t len, bool posix)
{
	if ((mode & ~FALLOC_FL_KEEP_SIZE) != 0)
		return -1;
	struct shim_region *r = shim_fd_region(fd);
	if (r == NULL || r->media_fd < 0)
		return -1;
	int fl = REAL(fcntl)(fd, F_GETFL);
	if (fl < 0)
		return errno;
	if ((fl & O_ACCMODE) == O_RDONLY)
		return EBADF; /* the media is open for writing; fd is not */
	int err = posix ? REAL(posix_fallocate)(r->media_fd, off, len) :
		REAL(fallocate)(r->media_fd, mode, off, len) == 0 ? 0 : errno;
	if (err != 0)
		return err;
	if (!(mode & FALLOC_FL_KEEP_SIZE) && (err = grow_view(fd, off + len)))
		return err;
	shim_file_resized(fd);
	return 0;
}
