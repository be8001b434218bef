/* image.c -- crash images, written line by line
 *
 * The base (image_base.c) is the durable image at the current crash
 * point; every change of the base is appended to a log. A slot (one
 * worker's image directory) knows how far into the log it is and which
 * state lines it wrote on top, so
 * moving a slot to the next state writes only the lines that differ:
 * cost per state ~ changed lines, not the pool size (issue 5).
 *
 * The lines are written by the pages holding them (image_sync.c): a
 * page that differs from the image, one pwrite a run of such pages.
 *
 * The check may write to its image (recovery). Before a check the slot
 * sets each file's mtime to a sentinel (1 s after the epoch); any write
 * through write(2) or a shared mapping moves mtime to now (the kernel's
 * file_update_time on write and on page_mkwrite). A moved mtime makes the
 * next set compare every page of the slot's files with the image it
 * wants, writing back those the check changed: ~ one memcmp of the image
 * plus what the check wrote. A new size or a replaced file makes it
 * rebuild the slot from the pristine media (copy_file_range) first.
 * Where mtime misses writes through a mapping (tmpfs), each file is
 * watched too (image_watch.c).
 * A check that wrote its image and failed in a child of the fork server
 * runs again on the image as it was set (xp_slot_restore): the pristine
 * media, the base rewound by the log to where the slot was, its lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "badblocks.h"
#include "explore_common.h"
#include "image.h"
#include "image_impl.h"
#include "image_watch.h"
#include "linemap.h"
#include "media.h"
#include "usc.h"
#include "xalloc.h"

struct xp_slot {
	struct xp_base *b;
	char dir[PATH_MAX];
	char pmem[PATH_MAX];
	struct xp_slot_file *files;
	size_t nfiles;
	size_t seq;                   /* base log entries applied */
	struct xp_line_set *extra;    /* state lines written over the base */
	size_t nextra, capextra;
	size_t *extra_at;             /* ... where their content is in bytes */
	uint8_t *bytes;               /* their content (xp_slot_restore) */
	size_t nbytes, capbytes;
	struct xp_sync sync;          /* the lines and pages of a set */
	bool rebuild;                 /* copy the media again */
	bool written;                 /* a check wrote: compare every page */
	bool keep;                    /* delete leaves the files */
	bool poisoned;                /* its bad-block list has lines */
	bool watched;                 /* mtime is not enough (tmpfs) */
	uint64_t rebuilds;
	size_t pin;                   /* its pin in the base */
};

struct xp_slot *
xp_slot_new(struct xp_base *b, const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "image directory %s: %s", dir,
				strerror(errno));
		return NULL;
	}
	struct xp_slot *s = xcalloc(1, sizeof(*s), "xp_slot_new: s");
	s->b = b;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->rebuild = true;
	s->poisoned = true; /* an earlier image's list goes at the first set */
	s->pin = xp_base_pin_new(b);
	s->watched = xp_watch_needed(dir);
	xp_sync_init(&s->sync);
	return s;
}

/* unmap -- the file's mapping goes (closed, replaced or resized) */
static void
unmap(struct xp_slot_file *f)
{
	if (f->map != NULL)
		munmap((void *)f->map, f->len);
	f->map = NULL;
}

void
xp_slot_delete(struct xp_slot *s)
{
	if (s == NULL)
		return;
	s->b->pins[s->pin] = SIZE_MAX;
	for (size_t i = 0; i < s->nfiles; i++) {
		unmap(&s->files[i]);
		xp_watch_remove(s->files[i].wd);
		if (s->files[i].fd >= 0 && s->keep)
			futimens(s->files[i].fd, NULL); /* not the sentinel */
		if (s->files[i].fd >= 0)
			close(s->files[i].fd);
		if (!s->keep)
			unlink(s->files[i].path);
	}
	if (!s->keep) {
		xp_usc_remove(s->dir); /* a check's DIMM (check.c) */
		xp_badblocks_remove(s->dir);
		rmdir(s->dir);
	}
	xp_sync_fini(&s->sync);
	free(s->files);
	free(s->extra);
	free(s->extra_at);
	free(s->bytes);
	free(s);
}

void
xp_slot_keep(struct xp_slot *s)
{
	s->keep = true;
}

const char *
xp_slot_dir(const struct xp_slot *s)
{
	return s->dir;
}

const char *
xp_slot_pmem(const struct xp_slot *s)
{
	return s->pmem;
}

uint64_t
xp_slot_full_restores(const struct xp_slot *s)
{
	return s->rebuilds;
}

static struct xp_slot_file *
slot_file(struct xp_slot *s, uint32_t region)
{
	for (size_t i = 0; i < s->nfiles; i++)
		if (s->files[i].region == region)
			return &s->files[i];
	return NULL;
}

/* copy_media -- the file becomes the media file as it is, len bytes long
 * (zeros past its end and past the region's initial length), mapped; the
 * pages the run changed (BASE records) are the sync's */
static int
copy_media(const struct xp_region *r, struct xp_slot_file *f, uint64_t len)
{
	unmap(f);
	if (f->fd < 0)
		f->fd = open(f->path, O_RDWR | O_CREAT | O_NOFOLLOW |
				O_CLOEXEC, 0600);
	if (f->fd < 0)
		return -errno;
	if (ftruncate(f->fd, 0) != 0)
		return -errno;
	/* a region longer than the free space could not be written back
	 * by a check: no sparse file of a forged size (docs/trace-format.md) */
	struct statvfs vfs;
	if (fstatvfs(f->fd, &vfs) == 0 &&
			len / vfs.f_frsize > (uint64_t)vfs.f_bavail)
		return -ENOSPC;
	if (r->fd >= 0) {
		struct stat st;
		if (fstat(r->fd, &st) != 0)
			return -errno;
		uint64_t todo = (uint64_t)st.st_size < len ?
			(uint64_t)st.st_size : len;
		if (todo > r->initial_len) /* grown in the run: zeros */
			todo = r->initial_len;
		loff_t in = 0, out = 0;
		bool copy = true;
		while (todo > 0) {
			ssize_t n = copy ? copy_file_range(r->fd, &in, f->fd,
					&out, todo, 0) : sendfile(f->fd, r->fd,
					&in, todo);
			if (n < 0 && copy && out == 0 && (errno == EXDEV ||
					errno == EOPNOTSUPP || errno == ENOSYS ||
					errno == EINVAL)) {
				/* another file system (images on tmpfs):
				 * sendfile copies through the page cache */
				copy = false;
				if (lseek(f->fd, 0, SEEK_SET) != 0)
					return -errno;
				continue;
			}
			if (n <= 0) /* 0: the source ended early */
				return n < 0 ? -errno : -EIO;
			todo -= (uint64_t)n;
		}
	}
	if (ftruncate(f->fd, (off_t)len) != 0)
		return -errno;
	f->len = len;
	void *map = len ? mmap(NULL, len, PROT_READ, MAP_SHARED, f->fd, 0) :
		MAP_FAILED;
	f->map = map == MAP_FAILED ? NULL : map; /* else pread */
	return 0;
}

/* rebuild -- every file from the pristine media, as long as its region
 * (the sync that follows writes the base and the lines) */
static int
rebuild(struct xp_slot *s)
{
	struct xp_media *md = s->b->md;
	s->files = xrealloc(s->files, (md->n + 1) * sizeof(*s->files),
			"rebuild: s->files");
	for (size_t i = 0; i < md->n; i++) {
		struct xp_region *r = &md->regions[i];
		struct xp_slot_file *f = slot_file(s, r->id);
		if (f == NULL) {
			f = &s->files[s->nfiles++];
			memset(f, 0, sizeof(*f));
			f->region = r->id;
			f->fd = -1;
			f->wd = -1;
			if ((size_t)snprintf(f->path, sizeof(f->path), "%s/%s",
					s->dir, r->file) >= sizeof(f->path))
				return -ENAMETOOLONG;
		}
		int rc = copy_media(r, f, r->len);
		if (rc != 0)
			return rc;
		if (s->watched && f->wd < 0)
			f->wd = xp_watch_add(f->path);
	}
	s->rebuild = false;
	s->rebuilds++;
	if (md->n == 1)
		snprintf(s->pmem, sizeof(s->pmem), "%s", s->files[0].path);
	else
		snprintf(s->pmem, sizeof(s->pmem), "%s", s->dir);
	return 0;
}

/* needs_rebuild -- a region appeared or changed length since last time */
static bool
needs_rebuild(struct xp_slot *s)
{
	if (s->rebuild || s->nfiles != s->b->md->n)
		return true;
	for (size_t i = 0; i < s->nfiles; i++) {
		struct xp_region *r = xp_media_find(s->b->md,
				s->files[i].region);
		if (r == NULL || r->len != s->files[i].len)
			return true;
	}
	return false;
}

/* sync_files -- every file to the image of the sync's lines over the base:
 * every page compared, or the sync's pages only; 0 or -errno */
static int
sync_files(struct xp_slot *s, bool every_page)
{
	xp_sync_ready(&s->sync);
	int rc = 0;
	for (size_t i = 0; i < s->nfiles && rc == 0; i++)
		rc = xp_sync_file(&s->sync, s->b, &s->files[i], every_page);
	xp_sync_clear(&s->sync);
	return rc;
}

static void
remember_extra(struct xp_slot *s, const struct xp_line_set *l)
{
	if (s->nextra == 0)
		s->nbytes = 0;
	if (s->nextra == s->capextra) {
		s->capextra = s->capextra ? s->capextra * 2 : 16;
		s->extra = xrealloc(s->extra, s->capextra * sizeof(*s->extra),
				"remember_extra: s->extra");
		s->extra_at = xrealloc(s->extra_at, s->capextra *
				sizeof(*s->extra_at),
				"remember_extra: s->extra_at");
	}
	size_t len = xp_base_line_len(s->b, l->region);
	if (s->nbytes + len > s->capbytes) {
		s->capbytes = 2 * (s->nbytes + len);
		s->bytes = xrealloc(s->bytes, s->capbytes,
				"remember_extra: s->bytes");
	}
	memcpy(s->bytes + s->nbytes, l->content, len);
	s->extra_at[s->nextra] = s->nbytes;
	s->nbytes += len;
	s->extra[s->nextra] = *l;
	s->extra[s->nextra++].content = NULL; /* base on undo; bytes: restore */
}

static int
mark_sentinel(struct xp_slot *s)
{
	const struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1, 0 } };
	for (size_t i = 0; i < s->nfiles; i++) {
		if (futimens(s->files[i].fd, ts) != 0)
			return -errno;
		if (s->watched)
			xp_watch_start(s->files[i].wd);
	}
	return 0;
}

/* set_badblocks -- the image's poisoned lines, written when it has some
 * or had some (a state without poison costs nothing); 0 or -errno */
static int
set_badblocks(struct xp_slot *s, const struct xp_line_set *lines, size_t n)
{
	bool any = false;
	for (size_t i = 0; i < n && !any; i++)
		any = lines[i].poison;
	if (!any && !s->poisoned)
		return 0;
	int rc = xp_badblocks_write(s->dir, s->b->md, lines, n);
	s->poisoned = rc == 1;
	return rc < 0 ? rc : 0;
}

/* written -- whether a check wrote the files (every page is compared at
 * the next sync), resized or replaced one (the slot is rebuilt) */
static bool
written(struct xp_slot *s)
{
	for (size_t i = 0; i < s->nfiles; i++) {
		struct xp_slot_file *f = &s->files[i];
		struct stat fst, pst;
		if (fstat(f->fd, &fst) != 0 ||
				(uint64_t)fst.st_size != f->len)
			s->rebuild = true;
		else if (fst.st_mtim.tv_sec != 1 || fst.st_mtim.tv_nsec != 0 ||
				(s->watched && xp_watch_written(f->wd)))
			s->written = true;
		if (f->fd >= 0 && (stat(f->path, &pst) != 0 ||
				pst.st_ino != fst.st_ino)) {
			/* replaced or removed: start a new file */
			unmap(f);
			xp_watch_remove(f->wd);
			f->wd = -1;
			close(f->fd);
			f->fd = -1;
			unlink(f->path);
			s->rebuild = true;
		}
	}
	return s->rebuild || s->written;
}

int
xp_slot_set(struct xp_slot *s, const struct xp_line_set *lines, size_t n)
{
	struct xp_base *b = s->b;
	int rc = 0;
	/* what the last check did, xp_slot_after_check noticed (a file
	 * resized: rebuilt, never read past its end through its mapping) */
	bool every_page = s->written;
	if (needs_rebuild(s)) {
		rc = rebuild(s);
		every_page = true;
	} else if (!every_page) {
		/* the previous state's lines, the base's changes since */
		for (size_t i = 0; i < s->nextra; i++)
			xp_sync_changed(&s->sync, s->extra[i].region,
					s->extra[i].off);
		for (size_t k = s->seq; k < b->nlog; k++)
			xp_sync_changed(&s->sync, b->log[k].region,
					b->log[k].off);
	}
	s->nextra = 0;
	for (size_t i = 0; i < n; i++) {
		xp_sync_over(&s->sync, lines[i].region, lines[i].off,
				lines[i].content, n - i); /* the last wins */
		xp_sync_changed(&s->sync, lines[i].region, lines[i].off);
		remember_extra(s, &lines[i]);
	}
	if (rc == 0)
		rc = sync_files(s, every_page);
	xp_sync_clear(&s->sync);
	s->seq = b->nlog;
	if (rc == 0)
		rc = mark_sentinel(s);
	if (rc == 0)
		rc = set_badblocks(s, lines, n);
	if (rc != 0) {
		s->rebuild = true;
	} else {
		s->written = false;
		b->pins[s->pin] = s->seq; /* until after_check */
	}
	return rc;
}

/* rewind_slot -- the files as the last set wrote them, after a check wrote
 * to them: the base of now, the changes since undone (the oldest's undo
 * wins), the state's lines over them; the media copied again first when a
 * file was resized or replaced */
static int
rewind_slot(struct xp_slot *s)
{
	struct xp_base *b = s->b;
	if (s->seq < b->undo_from)
		return -ESTALE; /* not pinned: cannot happen */
	int rc = 0;
	for (size_t i = 0; i < s->nfiles && rc == 0 && s->rebuild; i++) {
		struct xp_slot_file *f = &s->files[i];
		struct xp_region *r = xp_media_find(b->md, f->region);
		rc = r ? copy_media(r, f, f->len) : -ESTALE;
	}
	if (s->rebuild)
		s->rebuilds++;
	for (size_t i = 0; i < s->nextra; i++)
		xp_sync_over(&s->sync, s->extra[i].region, s->extra[i].off,
				s->bytes + s->extra_at[i], s->nextra - i);
	for (size_t k = s->seq; k < b->nlog; k++)
		xp_sync_over(&s->sync, b->log[k].region, b->log[k].off,
				xp_base_undo(b, k), s->nextra + 1 + k - s->seq);
	return rc == 0 ? sync_files(s, true) : rc;
}

int
xp_slot_restore(struct xp_slot *s)
{
	if (!written(s))
		return 0; /* as it was set */
	int rc = rewind_slot(s);
	xp_sync_clear(&s->sync);
	if (rc == 0)
		rc = mark_sentinel(s);
	s->rebuild = rc != 0;
	s->written = false;
	return rc;
}

void
xp_slot_after_check(struct xp_slot *s)
{
	written(s);
	s->b->pins[s->pin] = SIZE_MAX;
}
