/*
 * view_stat.c -- a file's descriptor and its path stat alike: fstat,
 * fstatat(AT_EMPTY_PATH) and statx(AT_EMPTY_PATH) of the descriptor
 * against stat of the path (device, inode, mode, links, owner, size),
 * and its link /proc/self/fd/N against the path, then again once the
 * file is unlinked (no link; the link says "(deleted)"). Under pmemu the
 * descriptor was the view's: another device and inode, mode 0600, no
 * link, its link the view's path. Prints one line a comparison; the same
 * natively and under pmemu.
 */
#include <err.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void
same(const char *what, const struct stat *a, const struct stat *b)
{
	printf("%s: dev %s ino %s mode %o/%o nlink %lu/%lu uid %s size %ld/%ld\n",
		what, a->st_dev == b->st_dev ? "same" : "DIFFERS",
		a->st_ino == b->st_ino ? "same" : "DIFFERS",
		(unsigned)a->st_mode, (unsigned)b->st_mode,
		(unsigned long)a->st_nlink, (unsigned long)b->st_nlink,
		a->st_uid == b->st_uid ? "same" : "DIFFERS",
		(long)a->st_size, (long)b->st_size);
}

/* the descriptor's link against the path (abs), and what follows it */
static void
link_of(int fd, const char *abs)
{
	char link[64], target[PATH_MAX + 16] = "";
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	size_t len = strlen(abs);
	for (int raw = 0; raw < 2; raw++) {
		memset(target, 0, sizeof(target));
		ssize_t n = raw ? syscall(SYS_readlink, link, target,
				sizeof(target) - 1) :
			readlink(link, target, sizeof(target) - 1);
		printf("%s: %s%s\n", raw ? "raw link" : "link",
			n >= (ssize_t)len && strncmp(target, abs, len) == 0 ?
				"the path" : "ANOTHER PATH",
			n > (ssize_t)len ? target + len : "");
	}
}

static void
compare(int fd, const struct stat *path, const char *abs)
{
	link_of(fd, abs);
	struct stat st;
	struct statx stx;
	if (fstat(fd, &st) != 0)
		err(1, "fstat");
	same("fstat", &st, path);
	if (fstatat(fd, "", &st, AT_EMPTY_PATH) != 0)
		err(1, "fstatat");
	same("fstatat", &st, path);
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) != 0)
		err(1, "statx");
	printf("statx: ino %s mode %o nlink %u size %lld\n",
		stx.stx_ino == path->st_ino ? "same" : "DIFFERS",
		(unsigned)stx.stx_mode, (unsigned)stx.stx_nlink,
		(long long)stx.stx_size);
}

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s POOL", argv[0]);
	int fd = open(argv[1], O_CREAT | O_RDWR, 0640);
	if (fd < 0 || ftruncate(fd, 8192) != 0)
		err(1, "%s", argv[1]);
	void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	struct stat path;
	char abs[PATH_MAX];
	if (stat(argv[1], &path) != 0 || realpath(argv[1], abs) == NULL)
		err(1, "stat");
	compare(fd, &path, abs);
	if (unlink(argv[1]) != 0)
		err(1, "unlink");
	path.st_nlink = 0;
	compare(fd, &path, abs);
	return 0;
}
