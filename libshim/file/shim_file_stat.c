/*
 * shim_file_stat.c -- a view descriptor seen as its file: its stat, and
 * the link /proc/self/fd/N that names it
 *
 * The program's descriptor of an emulated file is its view's (a file of
 * the shim's, on tmpfs): fstat gave the view's device, inode, mode 0600,
 * no link and its times, where natively it gives the file's. A program
 * that compares fstat with stat of the path (a lock, a file replaced
 * behind it), copies the mode, or takes no link for a deleted file ran
 * another way under pmemu. So the answer is the media's (the file itself:
 * a deleted file has no link, as natively) but for its size, the view's
 * (which ftruncate and fallocate keep). Its /proc/self/fd link named the
 * view ("/dev/shm/pmemu-view-... (deleted)"): it names the file now.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

/* fd_of_link -- the N of /proc/self/fd/N, /proc/thread-self/fd/N,
 * /proc/PID/fd/N (this process) or /dev/fd/N; else -1 */
static int
fd_of_link(const char *path)
{
	static const char *const dirs[] = { "/proc/self/fd/",
		"/proc/thread-self/fd/", "/dev/fd/" };
	const char *n = NULL;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !n; i++)
		if (strncmp(path, dirs[i], strlen(dirs[i])) == 0)
			n = path + strlen(dirs[i]);
	if (n == NULL && strncmp(path, "/proc/", 6) == 0) { /* no getpid()
		system call for a readlink of any other path */
		char mine[32];
		int len = snprintf(mine, sizeof(mine), "/proc/%d/fd/",
			(int)getpid());
		if (strncmp(path, mine, (size_t)len) == 0)
			n = path + len;
	}
	if (n == NULL || *n < '0' || *n > '9')
		return -1;
	char *end;
	long fd = strtol(n, &end, 10);
	return *end == '\0' && fd <= 65535 ? (int)fd : -1;
}

bool
shim_file_fd_link(const char *path, char *target, size_t size)
{
	int fd = path != NULL ? fd_of_link(path) : -1;
	struct shim_region *r = fd >= 0 ? file_region(fd) : NULL;
	struct stat media;
	if (r == NULL || REAL(fstat)(r->media_fd, &media) != 0)
		return false;
	snprintf(target, size, "%s%s", r->path,
		media.st_nlink == 0 ? " (deleted)" : "");
	return true;
}
