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
	struct stat st;
	if (!(mode & FALLOC_FL_KEEP_SIZE) && REAL(fstat)(fd, &st) == 0 &&
			st.st_size < off + len &&
			REAL(ftruncate)(fd, off + len) != 0)
		return errno;
	shim_file_resized(fd);
	return 0;
}
