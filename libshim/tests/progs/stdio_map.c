/*
 * stdio_map.c -- pmem files the program opens where open's interposer
 * does not see it: fopen (inside libc) and a raw openat system call (an
 * instruction of the program's own: glibc's syscall() is interposed), then
 * mapped (test_shim_stdio.py). argv[1] picks the case, argv[2] the file.
 * Built twice: -DFLUSHED msyncs the data store too.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../core/shim_syscall.h"

#define LEN 8192

static const char *outside; /* argv[3]: a file outside the pmem dir */

/* map -- fd's file made LEN bytes long and mapped shared */
static char *
map(int fd)
{
	if (ftruncate(fd, LEN) < 0)
		err(1, "ftruncate");
	char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	return p;
}

/* opened -- fopen of path, or the program stops */
static FILE *
opened(const char *path, const char *mode)
{
	FILE *f = fopen(path, mode);
	if (f == NULL)
		err(1, "fopen %s", path);
	return f;
}

/* data, then a flag that says the data is there, the flag persisted */
static void
data_then_flag(char *p)
{
	strcpy(p, "the data"); /* DATA */
#ifdef FLUSHED
	if (msync(p, 4096, MS_SYNC) < 0)
		err(1, "msync");
#endif
	p[4096] = 1;
	if (msync(p + 4096, 4096, MS_SYNC) < 0)
		err(1, "msync");
}

static int
fopen_map(const char *path)
{
	FILE *f = opened(path, "w+");
	data_then_flag(map(fileno(f)));
	printf("done\n");
	return 0;
}

/* check -- the flag is never without the data */
static int
check(const char *path)
{
	char buf[LEN] = { 0 };
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0; /* not created yet */
	size_t n = fread(buf, 1, LEN, f);
	fclose(f);
	if (n == LEN && buf[4096] == 1 && strcmp(buf, "the data") != 0) {
		printf("the flag without the data\n");
		return 1;
	}
	return 0;
}

/* rplus -- an existing file's bytes, by fread and through the mapping */
static int
rplus(const char *path)
{
	FILE *f = opened(path, "r+");
	char buf[32] = { 0 };
	if (fseek(f, 100, SEEK_SET) != 0 || fread(buf, 1, 16, f) != 16)
		err(1, "fread");
	char *p = map(fileno(f));
	printf("read [%s] mapped [%.16s]\n", buf, p + 100);
	p[200] = 'x'; /* RPLUS_STORE */
	return fclose(f) != 0;
}

static int
raw_open(const char *path, int flags)
{
	int fd = (int)shim_syscall(SYS_openat, AT_FDCWD, path, flags, 0644);
	if (fd < 0)
		err(1, "openat %s", path);
	return fd;
}

/* raw -- a raw openat, mapped: adopted, its store seen */
static int
raw(const char *path)
{
	int fd = raw_open(path, O_RDWR | O_CREAT | O_CLOEXEC);
	char *p = map(fd);
	p[64] = 7; /* RAW_STORE */
	printf("cloexec %s\n", fcntl(fd, F_GETFD) & FD_CLOEXEC ? "kept" :
		"lost");
	return 0;
}

/* rawoff -- the descriptor's offset and status flags survive adoption */
static int
rawoff(const char *path)
{
	int fd = raw_open(path, O_RDWR | O_APPEND);
	if (lseek(fd, 5000, SEEK_SET) != 5000)
		err(1, "lseek");
	char *p = map(fd);
	char buf[9] = { 0 };
	if (read(fd, buf, 8) != 8)
		err(1, "read");
	printf("read [%s] mapped [%.8s] append %s\n", buf, p + 5000,
		fcntl(fd, F_GETFL) & O_APPEND ? "kept" : "lost");
	p[300] = 'y'; /* RAWOFF_STORE */
	return 0;
}

/* deleted -- a raw openat of a file unlinked before its mmap: no path
 * to adopt it by, so the mapping fails rather than be the media's */
static int
deleted(const char *path)
{
	int fd = raw_open(path, O_RDWR | O_CREAT);
	if (ftruncate(fd, LEN) < 0 || unlink(path) < 0)
		err(1, "ftruncate, unlink");
	void *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("mmap %s errno %s\n", p == MAP_FAILED ? "failed" : "mapped",
		errno == ENODEV ? "ENODEV" : strerror(errno));
	return 0;
}

/* stale -- a view descriptor closed behind the shim (a raw close), its
 * number reused by a file outside the pmem dir: that file's own mapping */
static int
stale(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, LEN) < 0 || shim_syscall(SYS_close, fd) != 0)
		err(1, "open, ftruncate, close %s", path);
	int again = raw_open(outside, O_RDWR | O_CREAT);
	if (again != fd)
		errx(1, "descriptor %d, not %d", again, fd);
	map(fd)[0] = 's';
	printf("outside mapped\n");
	return 0;
}

/* names -- what fopen's descriptor of path names (fopen "w+", mapped,
 * a store) */
static void
names(const char *path)
{
	FILE *f = opened(path, "w+");
	char *p = map(fileno(f));
	p[0] = 'o';
	if (msync(p, 4096, MS_SYNC) < 0)
		err(1, "msync");
	char link[64], to[PATH_MAX] = { 0 };
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fileno(f));
	if (readlink(link, to, sizeof(to) - 1) < 0)
		err(1, "readlink");
	printf("%s: fd names %s\n", path, to);
	if (fclose(f) != 0)
		err(1, "fclose");
}

/* other -- the pool's stream is the view's; a file outside the pmem dir
 * (argv[3]) is the file's own */
static int
other(const char *path)
{
	names(path);
	names(outside);
	return 0;
}

/* badmode -- a mode pmemu does not know; freopen of an emulated file */
static int
badmode(const char *path)
{
	FILE *f = fopen(path, "r+,ccs=UTF-8");
	printf("fopen %s errno %s\n", f ? "opened" : "failed",
		errno == EINVAL ? "EINVAL" : strerror(errno));
	errno = 0;
	f = freopen(path, "r", stdin);
	printf("freopen %s errno %s\n", f ? "opened" : "failed",
		errno == ENOTSUP ? "ENOTSUP" : strerror(errno));
	return 0;
}

/* fwrite -- stdio writes, the stream left open at exit */
static int
fwrite_open(const char *path)
{
	fputs("written by stdio", opened(path, "w"));
	return 0;
}

/* fdopen -- a stream of a view descriptor: its writes are the
 * program's, flushed by it */
static int
fdopen_write(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "a");
	if (f == NULL)
		err(1, "open, fdopen %s", path);
	fputs("written by fdopen", f);
	if (fflush(f) != 0) /* FDOPEN_FLUSH */
		err(1, "fflush");
	printf("append %s\n", fcntl(fd, F_GETFL) & O_APPEND ? "set" : "not");
	return fclose(f) != 0;
}

int
main(int argc, char *argv[])
{
	static const struct {
		const char *name;
		int (*fn)(const char *);
	} cases[] = { { "fopen", fopen_map }, { "check", check },
		{ "rplus", rplus }, { "raw", raw }, { "rawoff", rawoff },
		{ "other", other }, { "badmode", badmode },
		{ "fwrite", fwrite_open }, { "deleted", deleted },
		{ "stale", stale }, { "fdopen", fdopen_write } };
	if (argc != 3 && argc != 4)
		errx(2, "usage: %s CASE FILE [OUTSIDE]", argv[0]);
	outside = argc == 4 ? argv[3] : "/dev/null";
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(argv[1], cases[i].name) == 0)
			return cases[i].fn(argv[2]);
	errx(2, "no case %s", argv[1]);
}
