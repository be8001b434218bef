/*
 * image_watch.c -- whether a check wrote a slot's file where a moved mtime
 * does not say it
 *
 * image.c sets each file's mtime to a sentinel before a check and takes a
 * moved mtime for "the check wrote it": the kernel moves it on write(2),
 * truncate and on the write fault of a shared mapping's page
 * (page_mkwrite, or file_update_time at the fault). On tmpfs a page read
 * through a shared mapping is mapped writable at once: the write that
 * follows takes no fault and moves no mtime (Linux 6.18; the slot would
 * keep what a recovery wrote, and the next state's check would see it).
 * Where that is so (probed once per file system), the slot's files are
 * watched with inotify too: writing a file's pages needs a file opened for
 * writing (write(2), a writable shared mapping, fallocate), and the kernel
 * reports its last close (IN_CLOSE_WRITE; a process's files are closed
 * before its parent can wait for it). A file opened and not closed yet
 * (more IN_OPEN than closes) may still be written. Either, a lost event
 * (IN_Q_OVERFLOW) or no watch at all counts as written: every page is
 * compared at the next set, as after a moved mtime (image_sync.c).
 *
 * One inotify instance per process, made at the first watch (a process
 * forked after it makes its own).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_watch.h"
#include "xalloc.h"

#define PROBE_FS 16  /* file systems probed (the slots use one or two) */
#define WATCH_MASK (IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | \
		IN_DONT_FOLLOW)

struct watched {
	long open;       /* IN_OPEN less the closes */
	bool wrote;      /* IN_CLOSE_WRITE since xp_watch_start */
};

static int ifd = -1;
static pid_t owner;
static struct watched *tab;   /* by wd */
static size_t ntab;
static bool lost;             /* IN_Q_OVERFLOW: the counts are unknown */

static struct {
	dev_t dev;
	bool needed;
} probed[PROBE_FS];
static size_t nprobed;

int
xp_probe_file(const char *dir, char *path, size_t len)
{
	if (snprintf(path, len, "%s/.pmemu-probe.XXXXXX", dir) >= (int)len)
		return -1;
	return mkostemp(path, O_CLOEXEC);
}

/* mtime_moves -- a page written through a mapping after a read moved the
 * file's mtime */
static bool
mtime_moves(const char *dir)
{
	char path[PATH_MAX];
	int fd = xp_probe_file(dir, path, sizeof(path));
	if (fd < 0)
		return false;
	unlink(path);
	const struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1, 0 } };
	struct stat st;
	bool moved = false;
	char *p = MAP_FAILED;
	if (pwrite(fd, "p", 1, 0) == 1 && futimens(fd, ts) == 0)
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED) {
		volatile char *v = p;
		char c = v[0];
		v[0] = (char)(c + 1);
		moved = fstat(fd, &st) == 0 && (st.st_mtim.tv_sec != 1 ||
				st.st_mtim.tv_nsec != 0);
		munmap(p, 4096);
	}
	close(fd);
	return moved;
}

bool
xp_watch_needed(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return true;
	for (size_t i = 0; i < nprobed; i++)
		if (probed[i].dev == st.st_dev)
			return probed[i].needed;
	bool needed = !mtime_moves(dir);
	if (nprobed < PROBE_FS) {
		probed[nprobed].dev = st.st_dev;
		probed[nprobed++].needed = needed;
	}
	return needed;
}

/* drain -- every event queued, counted by wd */
static void
drain(void)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct
			inotify_event))));
	ssize_t n;
	if (ifd >= 0 && owner != getpid()) {
		lost = true; /* forked: the queue is the parent's to read */
		return;
	}
	while (ifd >= 0 && (n = read(ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;
			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW)
				lost = true;
			if (ev->wd < 0 || (size_t)ev->wd >= ntab)
				continue;
			struct watched *w = &tab[ev->wd];
			if (ev->mask & IN_OPEN)
				w->open++;
			if (ev->mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE))
				w->open--;
			if (ev->mask & IN_CLOSE_WRITE)
				w->wrote = true;
		}
	}
}

int
xp_watch_add(const char *path)
{
	if (ifd >= 0 && owner != getpid()) {
		/* forked: the parent's queue is the parent's */
		close(ifd);
		ifd = -1;
	}
	if (ifd < 0) {
		ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (ifd < 0)
			return -1;
		owner = getpid();
		lost = false;
		for (size_t i = 0; i < ntab; i++)
			tab[i] = (struct watched){ 0, false };
	}
	drain();
	int wd = inotify_add_watch(ifd, path, WATCH_MASK);
	if (wd < 0)
		return -1;
	if ((size_t)wd >= ntab) {
		size_t n = 2 * (size_t)wd + 16;
		tab = xrealloc(tab, n * sizeof(*tab), "xp_watch_add: tab");
		memset(tab + ntab, 0, (n - ntab) * sizeof(*tab));
		ntab = n;
	}
	tab[wd] = (struct watched){ 0, false };
	return wd;
}

void
xp_watch_start(int wd)
{
	drain();
	if (wd >= 0)
		tab[wd].wrote = false;
}

bool
xp_watch_written(int wd)
{
	drain();
	return wd < 0 || lost || tab[wd].wrote || tab[wd].open > 0;
}

void
xp_watch_remove(int wd)
{
	if (wd < 0 || ifd < 0 || owner != getpid())
		return;
	drain();
	inotify_rm_watch(ifd, wd);
	tab[wd] = (struct watched){ 0, false };
}
