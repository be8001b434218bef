/*
 * shim_adopt.c -- the net at mmap under the opens the shim sees
 *
 * Only open/openat/creat and fopen are interposed; a descriptor may come
 * from elsewhere: a raw openat or openat2 system call, an open inside a
 * library's own code, one received over a socket. Mapped as it is, it
 * would be the media's mapping, its stores untraced and written to the
 * media behind the view: a false pass. So every shared mapping of a
 * descriptor the shim does not know costs an fstat: a regular file on the
 * pmem dir's device whose path (/proc/self/fd) is under the pmem dir is
 * opened as open would open it, and the view descriptor replaces the
 * program's (dup3), before the mapping is made as usual. A descriptor of
 * a view (unlinked: an fstat says) names it (shim_inherit.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "real.h"
#include "shim_adopt.h"
#include "shim_core.h"
#include "shim_file.h"
#include "shim_options.h"

/* the pmem dir: its device and its path, symlinks resolved (once) */
static struct {
	int state; /* 0: not looked, 1: known, 2: none */
	dev_t dev;
	size_t len;
	char path[PATH_MAX];
} root;

/* pmem_root -- the pmem dir, or NULL when there is none to adopt from */
static const char *
pmem_root(void)
{
	int s = __atomic_load_n(&root.state, __ATOMIC_ACQUIRE);
	if (s == 0) {
		const char *dir = shim_opts()->pmem_dir;
		struct stat st;
		s = 2;
		if (dir != NULL && REAL(realpath)(dir, root.path) != NULL &&
				REAL(stat)(root.path, &st) == 0) {
			root.dev = st.st_dev;
			root.len = strlen(root.path);
			s = 1;
		}
		__atomic_store_n(&root.state, s, __ATOMIC_RELEASE);
	}
	return s == 1 ? root.path : NULL;
}

/* is_view -- fd still names r's view (no close behind the shim: a raw
 * close system call, a close inside a library, and the number reused) */
static bool
is_view(int fd, const struct shim_region *r)
{
	struct stat a, b;
	return REAL(fstat)(fd, &a) == 0 && REAL(fstat)(r->view_fd, &b) == 0 &&
		a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* emulated_path -- the path of fd, a regular file, in path (PATH_MAX)
 * when it is under the pmem dir */
static bool
emulated_path(int fd, const struct stat *st, char *path)
{
	const char *dir = pmem_root();
	if (!S_ISREG(st->st_mode) || dir == NULL || st->st_dev != root.dev)
		return false;
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = REAL(readlink)(link, path, PATH_MAX - 1);
	if (n <= 0)
		return false;
	path[n] = '\0';
	/* the kernel's path has no symlink: a file elsewhere on the pmem
	 * dir's file system costs no realpath */
	if (strncmp(path, dir, root.len) != 0 || path[root.len] != '/')
		return false;
	return shim_path_is_pmem(path);
}

/* replace -- a view descriptor of path where fd is, fd's open file
 * description kept in all the program sees of it; its region */
static struct shim_region *
replace(int fd, const struct stat *st, const char *path)
{
	int fl = REAL(fcntl)(fd, F_GETFL);
	int fdfl = REAL(fcntl)(fd, F_GETFD);
	off_t pos = lseek(fd, 0, SEEK_CUR);
	if (fl < 0 || fdfl < 0 || pos < 0)
		return NULL;
	int nfd = shim_file_openat(AT_FDCWD, path, fl & ~O_CLOEXEC, 0);
	if (nfd < 0)
		return NULL;
	struct shim_region *r = shim_fd_region(nfd);
	/* the file at path now is fd's (no rename or unlink since), but a
	 * check of an image opens the image's file in its place */
	bool same = r != NULL && (shim_opts()->image_dir != NULL ||
		(r->media_dev == st->st_dev && r->media_ino == st->st_ino));
	if (!same || REAL(dup3)(nfd, fd,
			(fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0 ||
			lseek(fd, pos, SEEK_SET) != pos) {
		shim_file_close(nfd);
		errno = same ? errno : ESTALE;
		return NULL;
	}
	shim_fd_set(fd, r);
	shim_file_close(nfd);
	return r;
}

int
shim_file_adopt(int fd, struct shim_region **r)
{
	if (*r != NULL && is_view(fd, *r))
		return 0;
	if (*r != NULL)
		shim_fd_set(fd, NULL);
	*r = NULL;
	struct stat st;
	char path[PATH_MAX];
	if (REAL(fstat)(fd, &st) != 0)
		return 0;
	/* a view's descriptor the shim did not give (views are unlinked) */
	if (st.st_nlink == 0 && S_ISREG(st.st_mode) &&
			shim_file_inherit_fd(fd)) {
		*r = shim_fd_region(fd);
		return 0;
	}
	if (!emulated_path(fd, &st, path))
		return 0;
	*r = replace(fd, &st, path);
	if (*r != NULL)
		return 0;
	shim_error("%s: cannot emulate descriptor %d, which pmemu did not "
		"see opened (%s): its mmap fails", path, fd, strerror(errno));
	errno = ENODEV;
	return -1;
}
