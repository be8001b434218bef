/*
 * shim_open.c -- the bodies of open and close: opening a file under the
 * pmem dir gives the program a descriptor of its view, which the
 * descriptor table names until it is closed
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "real.h"
#include "shim_core.h"
#include "shim_file.h"
#include "shim_image.h"
#include "shim_region.h"
#include "shim_view.h"

/*
 * emulated_target -- true when (*dirfd, *path) names a file the shim
 * emulates (abs: its absolute path); in a check of a crash image the
 * image's file is the media, and *dirfd, *path name it then
 */
static bool
emulated_target(int *dirfd, const char **path, char *abs)
{
	struct stat st;
	if (shim_image_redirect(*dirfd, *path, abs))
		*dirfd = AT_FDCWD, *path = abs;
	else if (!shim_path_resolve(*dirfd, *path, abs))
		return false;
	return REAL(stat)(abs, &st) != 0 || S_ISREG(st.st_mode);
}

bool
shim_file_emulated(const char *path)
{
	char abs[PATH_MAX];
	int dirfd = AT_FDCWD;
	return emulated_target(&dirfd, &path, abs);
}

int
shim_file_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	char abs[PATH_MAX];
	if ((flags & (O_PATH | O_DIRECTORY)) ||
			!emulated_target(&dirfd, &path, abs))
		return REAL(openat)(dirfd, path, flags, mode);
	shim_lock();
	struct shim_region *r = shim_region_of_path(abs, flags, mode);
	shim_unlock();
	if (r == NULL)
		return -1;
	char view[64];
	snprintf(view, sizeof(view), "/proc/self/fd/%d", r->view_fd);
	/* tmpfs has no O_DIRECT; the creation flags were the media's */
	int vflags = flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_DIRECT |
			O_NOFOLLOW);
	int fd = REAL(open)(view, vflags);
	if (fd < 0)
		return -1;
	if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY) {
		shim_lock();
		if (REAL(ftruncate)(fd, 0) == 0)
			shim_region_resized(r);
		shim_unlock();
	}
	shim_fd_set(fd, r);
	return fd;
}

int
shim_file_close(int fd)
{
	shim_fd_set(fd, NULL);
	return REAL(close)(fd);
}
