/*
 * shim_open.c -- the bodies of open and close: opening a file under the
 * pmem dir gives the program a descriptor of its view, which the
 * descriptor table names until it is closed
 */
#include <errno.h>
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
 * linked_target -- (dirfd, path) is a link to an emulated file from
 * outside the pmem dir: a hard link (a regular file with another name
 * in the pmem dir), or, when follow, a symbolic link ending the path (to
 * a file in the dir, or /proc/self/fd/N (/dev/fd/N) of a view descriptor
 * or of an O_PATH one of an emulated file). The kernel would open the
 * media, or the view, behind the shim's back (its writes and mappings
 * unseen: no finding, the pool file without them). True, with the path
 * of the emulated file in abs, when the link names one.
 */
static bool
linked_target(int dirfd, const char *path, char *abs, bool follow)
{
	struct stat st;
	if (REAL(fstatat)(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return false;
	if (S_ISREG(st.st_mode))
		return shim_pmem_path_of_inode(&st, abs);
	if (!follow || !S_ISLNK(st.st_mode))
		return false;
	int fd = REAL(openat)(dirfd, path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return false;
	char link[64], target[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = REAL(readlink)(link, target, sizeof(target) - 1);
	bool found = REAL(fstat)(fd, &st) == 0 &&
		(shim_region_path_of_inode(&st, true, abs) ||
			shim_pmem_path_of_inode(&st, abs));
	REAL(close)(fd);
	if (found || n <= 0)
		return found;
	target[n] = '\0';
	return shim_path_resolve(AT_FDCWD, target, abs);
}

/*
 * emulated_target -- true when (*dirfd, *path) names a file the shim
 * emulates (abs: its absolute path); in a check of a crash image the
 * image's file is the media, and *dirfd, *path name it then. follow: a
 * symbolic link at the end of the path is followed (not with O_NOFOLLOW)
 */
static bool
emulated_target(int *dirfd, const char **path, char *abs, bool follow)
{
	struct stat st;
	if (shim_image_redirect(*dirfd, *path, abs))
		*dirfd = AT_FDCWD, *path = abs;
	else if (shim_path_resolve(*dirfd, *path, abs))
		;
	else if (linked_target(*dirfd, *path, abs, follow))
		*dirfd = AT_FDCWD, *path = abs;
	else
		return false;
	return REAL(stat)(abs, &st) != 0 || S_ISREG(st.st_mode);
}

bool
shim_file_emulated_at(int dirfd, const char *path, bool follow)
{
	char abs[PATH_MAX];
	return emulated_target(&dirfd, &path, abs, follow);
}

bool
shim_file_emulated(const char *path)
{
	return shim_file_emulated_at(AT_FDCWD, path, true);
}

/*
 * tmpfile_refused -- O_TMPFILE in the pmem dir makes a file with no name,
 * which the shim cannot give a view before linkat names it: the program
 * would write the media itself, unseen (an unsynced write no finding).
 * Refused as by a file system without O_TMPFILE (EOPNOTSUPP), which
 * programs that use it handle by creating a file by name; said.
 */
static bool
tmpfile_refused(int dirfd, const char *path, int flags)
{
	char in[PATH_MAX], abs[PATH_MAX];
	if ((flags & O_TMPFILE) != O_TMPFILE || path == NULL ||
			snprintf(in, sizeof(in), "%s/x", path) >=
				(int)sizeof(in) ||
			!shim_path_resolve(dirfd, in, abs))
		return false;
	shim_error("open(\"%s\", O_TMPFILE): a file with no name in the pmem "
		"dir is not emulated (create it by name); it fails with "
		"EOPNOTSUPP", path);
	errno = EOPNOTSUPP;
	return true;
}

int
shim_file_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	char abs[PATH_MAX];
	if (tmpfile_refused(dirfd, path, flags))
		return -1;
	if ((flags & (O_PATH | O_DIRECTORY)) ||
			!emulated_target(&dirfd, &path, abs,
				!(flags & O_NOFOLLOW)))
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
