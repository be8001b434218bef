/*
 * fork_proc.c -- libpmemu-fork.so: whether the check can become a fork
 * server at its first access to the image, from /proc/self
 *
 * Not when it has another thread (fork copies one), nor when it started
 * any process before (a child that ran `pmempool check` on the image
 * would not run again in the server's children: the minor faults of
 * reaped children, cminflt, count every child that ever ran; those not
 * reaped are still listed as children), nor when the image is already
 * open or mapped (opened where libpmemu-fork.so could not see it: a
 * constructor that ran before ours, a raw system call), nor with a
 * writable shared mapping (what one child writes there the next would
 * see).
 *
 * Runs in the fault handler too: open, read, readlink, no allocation.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fork_server.h"

#define BUF_SIZE 8192

/* read_file -- up to len - 1 bytes of path, NUL-terminated; -1 */
static ssize_t
read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* stat_field -- field k (1-based, as proc(5) numbers them) of
 * /proc/self/stat, or -1 */
static long
stat_field(const char *stat, int k)
{
	const char *p = strrchr(stat, ')'); /* the name may hold spaces */
	if (p == NULL)
		return -1;
	for (int f = 2; f < k && p; f++)
		p = strchr(p + 1, ' ');
	return p ? strtol(p + 1, NULL, 10) : -1;
}

/* has_children -- a child not reaped yet: in the children list */
static bool
has_children(void)
{
	char buf[64];
	ssize_t n = read_file("/proc/thread-self/children", buf, sizeof(buf));
	return n != 0; /* unreadable: as if it had some */
}

/* under -- whether s holds the directory's path followed by / or end */
static bool
names_image(const char *s)
{
	const char *dirs[2] = { fs_dir(), fs_real_dir() };
	for (int i = 0; i < 2; i++) {
		size_t l = strlen(dirs[i]);
		for (const char *p = strstr(s, dirs[i]); l && p;
				p = strstr(p + 1, dirs[i]))
			if (p[l] == '/' || p[l] == '\0' || p[l] == '\n' ||
					p[l] == ' ')
				return true;
	}
	return false;
}

/* image_open -- a descriptor of this process on the image directory */
static bool
image_open(void)
{
	int d = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return true;
	char buf[BUF_SIZE], link[PATH_MAX + 1];
	bool found = false;
	long n;
	while (!found && (n = syscall(SYS_getdents64, d, buf,
			sizeof(buf))) > 0) {
		for (long at = 0; at < n && !found;) {
			struct dirent64 *e = (struct dirent64 *)(buf + at);
			at += e->d_reclen;
			ssize_t l = readlinkat(d, e->d_name, link,
					sizeof(link) - 1);
			if (l <= 0)
				continue;
			link[l] = '\0';
			found = names_image(link);
		}
	}
	close(d);
	return found;
}

/* shared_writable -- a writable shared mapping in text from maps
 * ("rw-s", "-wxs"...): the server's children would share it */
static bool
shared_writable(const char *text)
{
	return strstr(text, "w-s ") != NULL || strstr(text, "wxs ") != NULL;
}

/* image_mapped -- a mapping of a file of the image directory, or a
 * writable shared mapping: 1 the image, 2 shared, 0 none */
static int
image_mapped(void)
{
	static char buf[BUF_SIZE + PATH_MAX + 1];
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	size_t keep = 0;
	int found = 0;
	ssize_t n;
	while (!found && (n = read(fd, buf + keep, BUF_SIZE)) > 0) {
		buf[keep + (size_t)n] = '\0';
		found = names_image(buf) ? 1 : shared_writable(buf) ? 2 : 0;
		/* a path cut at the end is whole in the next round */
		size_t len = keep + (size_t)n;
		keep = len < PATH_MAX ? len : PATH_MAX;
		memmove(buf, buf + len - keep, keep);
	}
	close(fd);
	return found;
}

const char *
fp_cannot_serve(void)
{
	char stat[1024];
	if (read_file("/proc/self/stat", stat, sizeof(stat)) <= 0)
		return "/proc/self/stat could not be read";
	if (stat_field(stat, 20) != 1)
		return "the check had more than one thread when it touched "
			"the image";
	if (stat_field(stat, 11) != 0 || has_children())
		return "the check started another process before it touched "
			"the image";
	int mapped = image_mapped();
	if (image_open() || mapped == 1)
		return "the check had the image open before libpmemu-fork.so "
			"could see it";
	if (mapped == 2)
		return "the check had a writable shared mapping (its children "
			"would share it)";
	return NULL;
}
