/*
 * lazy_fork_proc.c -- libpmemu-lazy.so: what a child forked at a read
 * (lazy_fork.c) must own, and its parent get back when it ends: the
 * image files (a copy, restored page by page), the check's descriptors
 * on them (their own open file descriptions, flocks), its output, its
 * PMEMU_STATE; and the lazy-wait file the run's processes share
 * (lazy_wait.h), by pread and pwrite: no mapping of ours near the
 * check's (a stray access of its own faults as without us). System calls
 * only but setenv (in the child, after the fork).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lazy_fork_proc.h"
#include "lazy_io.h"

#define LF_CHUNK (64u << 10) /* bytes compared at a time in a restore */
#define LF_STATE_MAX 8192   /* a state id */
#define LF_FD_HIGH 900      /* ours, above what a check opens */

struct lf_files lfp = { .wait_fd = -1 };

/* io -- the whole of a pread (write: pwrite) of fd, raw (our hooks would
 * decide the lines it covers); 0 or -1 */
int
lf_io(bool write, int fd, void *buf, size_t len, off_t off)
{
	while (len > 0) {
		long n = syscall(write ? SYS_pwrite64 : SYS_pread64, fd, buf,
				len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return write || n < 0 ? -1 : (memset(buf, 0, len), 0);
		buf = (uint8_t *)buf + n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* the snapshot's memory, kept for the next (not in a child:
 * MADV_DONTFORK, no page tables to copy) */
static struct {
	uint8_t *mem;
	size_t cap;
} cache;

/* add_range -- [a, b) of file i holds data (at most LF_RANGES: the last
 * one then runs to the end) */
static void
add_range(struct lf_snap *s, size_t i, off_t a, off_t b)
{
	if (s->nr == LF_RANGES) {
		s->r[s->nr - 1].b = b;
		return;
	}
	s->r[s->nr++] = (struct lf_range){ i, a, b };
	s->len += (size_t)(b - a);
}

/* data_ranges -- the data of file i from off to end (lseek SEEK_DATA) */
static void
data_ranges(struct lf_snap *s, size_t i, off_t off, off_t end)
{
	int fd = lfp.fd[i];
	while (off < end) {
		off_t d = (off_t)syscall(SYS_lseek, fd, off, SEEK_DATA);
		if (d < 0 && errno != ENXIO) {
			add_range(s, i, off, end); /* no SEEK_DATA: all */
			return;
		}
		if (d < 0 || d >= end)
			return;
		off_t h = (off_t)syscall(SYS_lseek, fd, d, SEEK_HOLE);
		h = h < 0 || h > end ? end : h;
		add_range(s, i, d, h);
		off = h;
	}
}

int
lf_snapshot(struct lf_snap *s)
{
	struct stat st;
	s->len = s->nr = 0;
	for (size_t i = 0; i < lfp.nfiles; i++) {
		if (fstat(lfp.fd[i], &st) != 0)
			return -1;
		s->size[i] = st.st_size;
		data_ranges(s, i, 0, st.st_size);
	}
	if (s->len > cache.cap) {
		if (cache.mem != NULL)
			munmap(cache.mem, cache.cap);
		cache.cap = (s->len + (1u << 20)) & ~(size_t)((1u << 20) - 1);
		cache.mem = mmap(NULL, cache.cap, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (cache.mem == MAP_FAILED) {
			cache.mem = NULL;
			cache.cap = 0;
			return -1;
		}
		madvise(cache.mem, cache.cap, MADV_DONTFORK);
	}
	s->mem = cache.mem;
	uint8_t *p = s->mem;
	for (size_t k = 0; k < s->nr; p += s->r[k].b - s->r[k].a, k++)
		if (lf_io(false, lfp.fd[s->r[k].file], p,
				(size_t)(s->r[k].b - s->r[k].a), s->r[k].a) != 0)
			return -1;
	return 0;
}

void
lf_snap_free(struct lf_snap *s, bool child)
{
	(void)s;
	if (child) /* the parent's, not mapped here */
		cache.mem = NULL, cache.cap = 0;
}

/* restore_range -- [a, b) of file i as at p (NULL: zeros), each page
 * that differs written back */
static void
restore_range(size_t i, off_t a, off_t b, const uint8_t *p)
{
	static uint8_t buf[LF_CHUNK], zero[4096];
	for (off_t at = a; at < b; at += LF_CHUNK) {
		size_t n = b - at < LF_CHUNK ? (size_t)(b - at) : LF_CHUNK;
		if (lf_io(false, lfp.fd[i], buf, n, at) != 0)
			return;
		for (size_t pg = 0; pg < n; pg += 4096) {
			size_t m = n - pg < 4096 ? n - pg : 4096;
			const uint8_t *want = p ? p + (at - a) + pg : zero;
			if (memcmp(buf + pg, want, m) != 0)
				lf_io(true, lfp.fd[i], (void *)want, m,
						at + (off_t)pg);
		}
	}
}

/* restore_holes -- the data the child put in [a, b) of file i, a hole
 * in s: zeros again */
static void
restore_holes(size_t i, off_t a, off_t b)
{
	static struct lf_snap now; /* not on the stack: a handler's */
	now.nr = 0;
	data_ranges(&now, i, a, b);
	for (size_t k = 0; k < now.nr; k++)
		restore_range(i, now.r[k].a, now.r[k].b, NULL);
}

void
lf_restore(const struct lf_snap *s)
{
	const uint8_t *p = s->mem;
	size_t k = 0;
	for (size_t i = 0; i < lfp.nfiles; i++) {
		struct stat st;
		if (fstat(lfp.fd[i], &st) != 0 || st.st_size != s->size[i])
			if (ftruncate(lfp.fd[i], s->size[i]) != 0)
				continue;
		off_t hole = 0;
		for (; k < s->nr && s->r[k].file == i; k++) {
			restore_holes(i, hole, s->r[k].a);
			restore_range(i, s->r[k].a, s->r[k].b, p);
			p += s->r[k].b - s->r[k].a;
			hole = s->r[k].b;
		}
		restore_holes(i, hole, s->size[i]);
	}
}

/* own_output -- the child's stdout and stderr to a file of its own,
 * holding what the run printed so far */
void
lf_own_output(void)
{
	char path[4096 + 48];
	snprintf(path, sizeof(path), "%s.lazy-out-%ld", lfp.image,
			(long)getpid());
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY |
			O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	struct stat o1, o2;
	bool one = fstat(1, &o1) == 0, two = fstat(2, &o2) == 0;
	off_t end = one && S_ISREG(o1.st_mode) ?
		(off_t)syscall(SYS_lseek, 1, 0, SEEK_CUR) : 0;
	static uint8_t buf[4096];
	for (off_t at = 0; at < end; at += sizeof(buf)) {
		size_t n = end - at < (off_t)sizeof(buf) ? (size_t)(end - at) :
			sizeof(buf);
		if (lf_io(false, 1, buf, n, at) != 0 || lf_io(true, fd, buf, n, at))
			break;
	}
	syscall(SYS_lseek, fd, end, SEEK_SET);
	if (one)
		dup2(fd, 1);
	if (two && (!one || (o1.st_dev == o2.st_dev &&
			o1.st_ino == o2.st_ino)))
		dup2(fd, 2);
	syscall(SYS_close, fd);
}

/* image_fds -- the check's descriptors of image files (at most LF_FDS)
 * and their flocks, into v; their count */
size_t
lf_image_fds(struct lf_fd *v)
{
	size_t n = 0;
	char path[64], buf[1024];
	for (int fd = 0; fd < LF_FDS; fd++) {
		long file = lw_image_file(fd);
		if (file < 0 || fd == lfp.fd[file])
			continue;
		v[n] = (struct lf_fd){ fd, 0, file };
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		int in = (int)syscall(SYS_openat, AT_FDCWD, path,
				O_RDONLY | O_CLOEXEC);
		long len = in < 0 ? -1 :
			syscall(SYS_read, in, buf, sizeof(buf) - 1);
		if (in >= 0)
			syscall(SYS_close, in);
		buf[len > 0 ? len : 0] = '\0';
		const char *l = strstr(buf, "FLOCK");
		if (l != NULL)
			v[n].lock = strstr(l, "WRITE") ? LOCK_EX : LOCK_SH;
		n++;
	}
	return n;
}

/* own_fds -- the child's image descriptors on open file descriptions
 * of its own, as the parent's were (position, flags, flock): what it
 * closes, seeks or unlocks does not touch the parent's, and a program it
 * runs can lock the file as in a run of its own */
int
lf_own_fds(const struct lf_fd *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int fl = fcntl(v[i].fd, F_GETFL), fdfl = fcntl(v[i].fd, F_GETFD);
		off_t at = (off_t)syscall(SYS_lseek, v[i].fd, 0, SEEK_CUR);
		int nfd = fl < 0 || lfp.path[v[i].file] == NULL ? -1 :
			(int)syscall(SYS_openat, AT_FDCWD, lfp.path[v[i].file],
				fl & ~(O_CREAT | O_EXCL | O_TRUNC), 0);
		if (nfd < 0)
			return -1;
		if (at > 0)
			syscall(SYS_lseek, nfd, at, SEEK_SET);
		dup3(nfd, v[i].fd, fdfl & FD_CLOEXEC ? O_CLOEXEC : 0);
		syscall(SYS_close, nfd);
		if (v[i].lock && flock(v[i].fd, v[i].lock | LOCK_NB) != 0)
			return -1;
	}
	return 0;
}

/* lock_fds -- the parent's flocks off (lock false) or back on */
void
lf_lock_fds(const struct lf_fd *v, size_t n, bool lock)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].lock)
			flock(v[i].fd, lock ? v[i].lock | LOCK_NB : LOCK_UN);
}

/* id_key -- the line a part of a state id names, "<region>.<off hex>" */
static bool
id_key(const char *part, unsigned long long *region, unsigned long long *off)
{
	return sscanf(part, "%llu.%llx=", region, off) == 2;
}

/* own_state -- PMEMU_STATE of the run with part (of its id) for its
 * line: the parts in the order of their lines (stateid.c), "=-" none */
void
lf_own_state(const char *part)
{
	static char id[LF_STATE_MAX];
	const char *cur = getenv("PMEMU_STATE");
	unsigned long long r, o, pr, po;
	if (cur == NULL || !id_key(part, &pr, &po))
		return;
	bool lost = strstr(part, "=-") != NULL, put = lost;
	const char *p = strchr(cur, ':');
	size_t n = p ? (size_t)(p - cur) : strlen(cur), at = n;
	if (n >= sizeof(id))
		return;
	memcpy(id, cur, n);
	char sep = ':';
	while (p != NULL) {
		const char *q = p + 1, *end = strchr(q, ',');
		size_t len = end ? (size_t)(end - q) : strlen(q);
		p = end;
		bool ok = id_key(q, &r, &o);
		if (!put && (!ok || r > pr || (r == pr && o > po))) {
			at += (size_t)snprintf(id + at, sizeof(id) - at, "%c%s",
					sep, part);
			sep = ',';
			put = true;
		}
		if (ok && r == pr && o == po)
			continue;
		at += (size_t)snprintf(id + at, sizeof(id) - at, "%c%.*s", sep,
				(int)len, q);
		sep = ',';
		if (at >= sizeof(id))
			return;
	}
	if (!put)
		at += (size_t)snprintf(id + at, sizeof(id) - at, "%c%s", sep,
				part);
	if (at < sizeof(id))
		setenv("PMEMU_STATE", id, 1);
}


/* keep -- fd moved high (closed), as slot k of our files; -1 or it */
static int
keep(int fd, size_t k)
{
	struct stat st;
	int high = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, LF_FD_HIGH);
	if (fd >= 0)
		syscall(SYS_close, fd);
	if (high < 0 || fstat(high, &st) != 0)
		return -1;
	lfp.dev[k] = st.st_dev;
	lfp.ino[k] = st.st_ino;
	return high;
}

int
lf_open_files(void)
{
	for (size_t i = 0; i < lfp.nfiles; i++) {
		lfp.fd[i] = lfp.path[i] == NULL ? -1 : keep((int)syscall(
				SYS_openat, AT_FDCWD, lfp.path[i],
				O_RDWR | O_CLOEXEC), i);
		if (lfp.fd[i] < 0)
			return -1;
	}
	return 0;
}

bool
lf_fds_ours(void)
{
	struct stat st;
	for (size_t i = 0; i <= lfp.nfiles; i++) {
		size_t k = i < lfp.nfiles ? i : LF_FILES_MAX;
		int fd = i < lfp.nfiles ? lfp.fd[i] : lfp.wait_fd;
		if (fstat(fd, &st) != 0 || st.st_dev != lfp.dev[k] ||
				st.st_ino != lfp.ino[k])
			return false;
	}
	return true;
}

int
lf_wait_create(void)
{
	char path[sizeof(lfp.image) + 16];
	snprintf(path, sizeof(path), "%s.lazy-wait", lfp.image);
	/* the first process of the run creates it: the root */
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path,
			O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	int high = keep(fd, LF_FILES_MAX);
	if (high < 0 || ftruncate(high, sizeof(struct lw_wait)) != 0)
		return -1;
	lfp.wait_fd = high;
	return 0;
}

struct lw_wait_level
lf_wait_level(unsigned d)
{
	struct lw_wait_level l = { 0, 0, 0, 0 };
	if (lf_io(false, lfp.wait_fd, &l, sizeof(l),
			(off_t)offsetof(struct lw_wait, lvl[d])) != 0)
		memset(&l, 0, sizeof(l));
	return l;
}

void
lf_wait_set(unsigned d, const struct lw_wait_level *l)
{
	lf_io(true, lfp.wait_fd, (void *)l, sizeof(*l),
			(off_t)offsetof(struct lw_wait, lvl[d]));
}

uint64_t
lf_wait_forks(bool add)
{
	uint64_t n = 0;
	lf_io(false, lfp.wait_fd, &n, sizeof(n), 0);
	if (add) {
		n++;
		lf_io(true, lfp.wait_fd, &n, sizeof(n), 0);
	}
	return n;
}
