/*
 * reopen.c -- a pmem file opened by a path that is not its own, then
 * 4096 bytes written at offset 4096 (or 64 stored through a mapping) and
 * fsync'd (msync'd). argv[2]: "symlink" (argv[3], a link outside the
 * pmem dir to the file), "opath" (/proc/self/fd/N of an O_PATH
 * descriptor), "procfd" and "procfd_map" (/dev/fd/N of the program's own
 * descriptor, a view's under pmemu), "tmpfile" (O_TMPFILE in the pmem
 * dir, then linkat; where that fails with EOPNOTSUPP, the file by name),
 * "hardlink" (argv[3], a hard link outside the pmem dir made before the
 * run), "link" (the program links the file to argv[3], outside), "rename"
 * (the program moves it to argv[3]; where that fails with EXDEV, the file
 * by name).
 * Under pmemu each descriptor was the media's or the view's behind the
 * shim: unseen writes. -DFORGET_FSYNC leaves them unsynced (reported).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define N 4096

/* by_fd -- fd opened again through its /proc (or /dev/fd) entry */
static int
by_fd(const char *dir, int fd)
{
	char path[64];
	snprintf(path, sizeof(path), "%s/%d", dir, fd);
	return open(path, O_RDWR);
}

static int
open_pool(const char *pool, const char *how, const char *other)
{
	if (strcmp(how, "symlink") == 0 || strcmp(how, "hardlink") == 0)
		return open(other, O_RDWR);
	if (strcmp(how, "link") == 0) {
		if (link(pool, other) != 0)
			err(1, "link");
		return open(other, O_RDWR);
	}
	if (strcmp(how, "rename") == 0) {
		if (rename(pool, other) == 0)
			return open(other, O_RDWR);
		if (errno != EXDEV)
			err(1, "rename");
		printf("by name\n");
		return open(pool, O_RDWR);
	}
	if (strcmp(how, "opath") == 0)
		return by_fd("/proc/self/fd", open(pool, O_PATH));
	if (strcmp(how, "procfd") == 0 || strcmp(how, "procfd_map") == 0)
		return by_fd("/dev/fd", open(pool, O_RDWR));
	if (strcmp(how, "tmpfile") == 0) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s", pool);
		int fd = open(dirname(dir), O_TMPFILE | O_RDWR, 0644);
		if (fd >= 0 || errno != EOPNOTSUPP)
			return fd;
		printf("by name\n");
		return open(pool, O_CREAT | O_RDWR, 0644);
	}
	errx(2, "unknown way '%s'", how);
}

static void
sync_pool(int fd, char *map)
{
#ifndef FORGET_FSYNC
	if (map != NULL ? msync(map, 2 * N, MS_SYNC) : fsync(fd))
		err(1, "sync");
#else
	(void)fd, (void)map;
#endif
}

int
main(int argc, char *argv[])
{
	if (argc < 3)
		errx(2, "usage: %s POOL HOW [LINK]", argv[0]);
	int fd = open_pool(argv[1], argv[2], argc > 3 ? argv[3] : NULL);
	if (fd < 0 || ftruncate(fd, 2 * N) != 0)
		err(1, "open %s", argv[2]);
	static char buf[N];
	memset(buf, 'x', sizeof(buf));
	char *map = NULL;
	if (strcmp(argv[2], "procfd_map") == 0) {
		map = mmap(NULL, 2 * N, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			0);
		if (map == MAP_FAILED)
			err(1, "mmap");
		memset(map + N, 'x', 64); /* STORE */
	} else if (pwrite(fd, buf, N, N) != N) { /* WRITE */
		err(1, "pwrite");
	}
	sync_pool(fd, map);
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (strcmp(argv[2], "tmpfile") == 0 && access(argv[1], F_OK) != 0 &&
			linkat(AT_FDCWD, self, AT_FDCWD, argv[1],
				AT_SYMLINK_FOLLOW) != 0)
		err(1, "linkat");
	printf("%s done\n", argv[2]);
	return 0;
}
