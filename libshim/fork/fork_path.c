/*
 * fork_path.c -- libpmemu-fork.so: whether a path the check passes to a
 * file call names the image directory or a file in it
 *
 * The path is made absolute (the cwd, or the directory dirfd is open on)
 * and cleaned of // and /./; a path with .. is taken as the image (a
 * server that starts too early only saves less), as is one we cannot
 * resolve. Both the directory as given and its real path count.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fork_server.h"

/* absolute -- dirfd/path as an absolute path in buf; false: unknown */
static bool
absolute(int dirfd, const char *path, char *buf, size_t len)
{
	size_t n;
	if (path[0] == '/') {
		n = 0;
	} else if (dirfd == AT_FDCWD) {
		if (syscall(SYS_getcwd, buf, len) <= 0)
			return false;
		n = strlen(buf);
	} else {
		char fdpath[40];
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", dirfd);
		ssize_t l = readlink(fdpath, buf, len - 1);
		if (l <= 0)
			return false;
		n = (size_t)l;
	}
	if (n > 0)
		buf[n++] = '/';
	size_t pl = strlen(path);
	if (n + pl + 1 > len)
		return false;
	memcpy(buf + n, path, pl + 1);
	return true;
}

bool
fs_clean_path(char *p)
{
	char *out = p;
	for (const char *in = p; *in;) {
		if (in[0] == '/' && (in[1] == '/' || in[1] == '\0') &&
				out != p) {
			in++;
			continue;
		}
		if (in[0] == '/' && in[1] == '.' && (in[2] == '/' ||
				in[2] == '\0')) {
			in += 2;
			continue;
		}
		if (in[0] == '/' && in[1] == '.' && in[2] == '.' &&
				(in[3] == '/' || in[3] == '\0'))
			return false;
		*out++ = *in++;
	}
	if (out > p + 1 && out[-1] == '/')
		out--;
	*out = '\0';
	return true;
}

static bool
under(const char *p, const char *dir)
{
	size_t l = strlen(dir);
	return l > 0 && strncmp(p, dir, l) == 0 &&
		(p[l] == '\0' || p[l] == '/');
}

bool
fs_is_image(int dirfd, const char *path)
{
	if (path == NULL || !fs_watching())
		return false;
	char buf[2 * PATH_MAX + 2];
	if (!absolute(dirfd, path, buf, sizeof(buf)) || !fs_clean_path(buf))
		return true;
	return under(buf, fs_dir()) || under(buf, fs_real_dir());
}
