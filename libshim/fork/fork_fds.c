/*
 * fork_fds.c -- libpmemu-fork.so: the files the check opened before it
 * served. A forked child shares their open file descriptions (the file
 * offset) with the server and with every other child: a check that read
 * half a file before its first access to the image and the rest after
 * would read on where the previous child stopped. So the server notes
 * each regular file and directory descriptor and its offset, and each
 * child opens them anew (/proc/self/fd/N, same flags) at that offset.
 * stdin, stdout and stderr stay shared, as an exec'd check's are with
 * pmemu (the runner rewinds the output file per state).
 *
 * No allocation: the server runs in a fault handler too.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fork_server.h"

#define FDS_MAX 256
#define BUF_SIZE 4096

static struct {
	int fd[FDS_MAX];
	int flags[FDS_MAX];
	bool cloexec[FDS_MAX];
	off_t off[FDS_MAX];
	size_t n;
} fds;

bool
ff_record(int keep)
{
	int d = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return false;
	char buf[BUF_SIZE];
	long n;
	bool ok = true;
	fds.n = 0;
	while (ok && (n = syscall(SYS_getdents64, d, buf, sizeof(buf))) > 0) {
		for (long at = 0; at < n && ok;) {
			struct dirent64 *e = (struct dirent64 *)(buf + at);
			at += e->d_reclen;
			int fd = 0;
			for (const char *p = e->d_name; *p >= '0' && *p <= '9';
					p++)
				fd = fd * 10 + (*p - '0');
			struct stat st;
			if (e->d_name[0] == '.' || fd <= 2 || fd == d ||
					fd == keep || fstat(fd, &st) != 0 ||
					!(S_ISREG(st.st_mode) ||
					S_ISDIR(st.st_mode)))
				continue;
			if (fds.n == FDS_MAX) {
				ok = false;
				break;
			}
			fds.fd[fds.n] = fd;
			fds.flags[fds.n] = fcntl(fd, F_GETFL);
			fds.cloexec[fds.n] = fcntl(fd, F_GETFD) & FD_CLOEXEC;
			fds.off[fds.n] = lseek(fd, 0, SEEK_CUR);
			fds.n++;
		}
	}
	close(d);
	return ok;
}

bool
ff_private(void)
{
	for (size_t i = 0; i < fds.n; i++) {
		char path[40];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fds.fd[i]);
		int flags = fds.flags[i] & ~(O_CREAT | O_EXCL | O_TRUNC |
				O_NOCTTY);
		int nfd = open(path, flags | O_CLOEXEC);
		if (nfd < 0 || dup3(nfd, fds.fd[i],
				fds.cloexec[i] ? O_CLOEXEC : 0) < 0)
			return false;
		close(nfd);
		if (fds.off[i] >= 0 &&
				lseek(fds.fd[i], fds.off[i], SEEK_SET) < 0)
			return false;
	}
	return true;
}
