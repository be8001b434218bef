/*
 * resolve.c -- openat2's RESOLVE_* restrictions on a pmem file, through
 * glibc's syscall() (glibc 2.36 has no wrapper): each case prints its
 * name and "ok" or the errno's name, which under pmemu must be what the
 * kernel says natively. Before, the shim opened an emulated file as
 * openat does and dropped the restriction: RESOLVE_BENEATH let "../pool"
 * out of its directory, RESOLVE_NO_SYMLINKS followed a symbolic link on
 * the way, and a mode without O_CREAT was taken. The opens that succeed
 * write 64 bytes, never synced: pmemu
 * reports them (the open was the view's).
 *   resolve DIR    (DIR: the pmem dir; DIR/pool exists)
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char line[64];

/* try -- openat2(dirfd, path, flags, resolve); "ok" and a write when it
 * opens */
static int
try(const char *name, int dirfd, const char *path, int flags,
		unsigned long long resolve)
{
	struct open_how how = { .flags = (unsigned)flags,
		.mode = (flags & O_CREAT) ? 0644 : 0, .resolve = resolve };
	int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	if (fd < 0) {
		printf("%s: %s\n", name, strerrorname_np(errno));
		return -1;
	}
	printf("%s: ok\n", name);
	return fd;
}

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s DIR", argv[0]);
	char path[4096];
	snprintf(path, sizeof(path), "%s/sub", argv[1]);
	mkdir(path, 0755);
	int sub = open(path, O_RDONLY | O_DIRECTORY);
	int dir = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (sub < 0 || dir < 0)
		err(1, "%s", argv[1]);
	snprintf(path, sizeof(path), "%s/link", argv[1]);
	if (symlink("pool", path) != 0)
		err(1, "symlink");
	snprintf(path, sizeof(path), "%s/ldir", argv[1]);
	if (symlink(".", path) != 0)
		err(1, "symlink");
	memset(line, 'r', sizeof(line));
	try("beneath_up", sub, "../pool", O_RDWR, RESOLVE_BENEATH);
	try("creat_beneath_up", sub, "../new", O_RDWR | O_CREAT,
		RESOLVE_BENEATH);
	try("nosym_last", dir, "link", O_RDWR, RESOLVE_NO_SYMLINKS);
	try("nosym_dir", dir, "ldir/pool", O_RDWR, RESOLVE_NO_SYMLINKS);
	struct open_how moded = { .flags = O_RDWR, .mode = 0644 };
	errno = 0;
	long bad = syscall(SYS_openat2, dir, "pool", &moded, sizeof(moded));
	printf("mode_without_creat: %s\n", bad >= 0 ? "ok" :
		strerrorname_np(errno));
	int fd = try("beneath", dir, "pool", O_RDWR, RESOLVE_BENEATH);
	if (fd >= 0 && pwrite(fd, line, 64, 0) != 64) /* BENEATH */
		err(1, "pwrite");
	fd = try("in_root", dir, "/pool", O_RDWR, RESOLVE_IN_ROOT);
	if (fd >= 0 && pwrite(fd, line, 64, 4096) != 64) /* IN_ROOT */
		err(1, "pwrite");
	return 0;
}
