/*
 * shim_file_stat.c -- the stat of a view descriptor, as the file's
 *
 * The program's descriptor of an emulated file is its view's (a file of
 * the shim's, on tmpfs): fstat gave the view's device, inode, mode 0600,
 * no link and its times, where natively it gives the file's. A program
 * that compares fstat with stat of the path (a lock, a file replaced
 * behind it), copies the mode, or takes no link for a deleted file ran
 * another way under pmemu. So the answer is the media's (the file itself:
 * a deleted file has no link, as natively) but for its size, the view's
 * (which ftruncate and fallocate keep).
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "real.h"
#include "shim_core.h"
#include "shim_devdax.h"
#include "shim_file.h"
#include "shim_region.h"

/* the media of fd, a view descriptor not of a device DAX; else NULL */
static struct shim_region *
file_region(int fd)
{
	struct shim_region *r = shim_fd_region(fd);
	return r != NULL && !shim_devdax_region(r) && r->media_fd >= 0 ? r :
		NULL;
}

void
shim_file_stat(int fd, struct stat *st)
{
	struct shim_region *r = file_region(fd);
	struct stat media;
	if (r == NULL || REAL(fstat)(r->media_fd, &media) != 0)
		return;
	media.st_size = st->st_size;
	*st = media;
}

void
shim_file_statx(int fd, unsigned mask, struct statx *stx)
{
	struct shim_region *r = file_region(fd);
	struct statx media;
	if (r == NULL || REAL(statx)(r->media_fd, "", AT_EMPTY_PATH, mask,
			&media) != 0)
		return;
	media.stx_size = stx->stx_size;
	*stx = media;
}
