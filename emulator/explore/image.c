/* image.c -- crash images, written line by line
 *
 * The base (image_base.c) is the durable image at the current crash
 * point; every change of the base is appended to a log. A slot (one
 * worker's image directory) knows how far into the log it is and which
 * state lines it wrote on top, so
 * moving a slot to the next state writes only the lines that differ:
 * cost per state ~ changed lines, not the pool size (issue 5).
 *
 * The check may write to its image (recovery). Before a check the slot
 * sets each file's mtime to a sentinel (1 s after the epoch); any write
 * through write(2) or a shared mapping moves mtime to now (the kernel's
 * file_update_time on write and on page_mkwrite). A moved mtime, a new
 * size or a replaced file makes the next set rebuild the slot from the
 * pristine media (copy_file_range), which is the only cost ~ pool size.
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
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "badblocks.h"
#include "explore_common.h"
#include "image.h"
#include "image_impl.h"
#include "linemap.h"
#include "media.h"
#include "usc.h"
#include "xalloc.h"

struct slot_file {
	uint32_t region;
	int fd;
	uint64_t len;
	char path[PATH_MAX];
};

struct xp_slot {
	struct xp_base *b;
	char dir[PATH_MAX];
	char pmem[PATH_MAX];
	struct slot_file *files;
	size_t nfiles;
	size_t seq;                   /* base log entries applied */
	struct xp_line_set *extra;    /* state lines written over the base */
	size_t nextra, capextra;
	size_t *extra_at;             /* ... where their content is in bytes */
	uint8_t *bytes;               /* their content (xp_slot_restore) */
	size_t nbytes, capbytes;
	bool rebuild;
	bool keep;                    /* delete leaves the files */
	bool poisoned;                /* its bad-block list has lines */
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
	return s;
}

void
xp_slot_delete(struct xp_slot *s)
{
	if (s == NULL)
		return;
	s->b->pins[s->pin] = SIZE_MAX;
	for (size_t i = 0; i < s->nfiles; i++) {
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

static struct slot_file *
slot_file(struct xp_slot *s, uint32_t region)
{
	for (size_t i = 0; i < s->nfiles; i++)
		if (s->files[i].region == region)
			return &s->files[i];
	return NULL;
}

/* pwrite_all -- n bytes at off, through short writes; 0 or -errno (a full
 * disk is -ENOSPC, never a bare -EIO) */
static int
pwrite_all(int fd, const void *buf, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, buf, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -ENOSPC;
		buf = (const uint8_t *)buf + w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* write_line -- a line's content into the slot's file, clipped to len */
static int
write_line(struct xp_slot *s, uint32_t region, uint64_t off,
		const uint8_t *content)
{
	struct slot_file *f = slot_file(s, region);
	if (f == NULL || f->fd < 0 || off >= f->len)
		return 0;
	uint64_t n = xp_base_line_len(s->b, region);
	if (off + n > f->len)
		n = f->len - off;
	return pwrite_all(f->fd, content, n, off);
}

struct base_ctx {
	const struct xp_region *r;
	struct slot_file *f;
	int rc;
};

/* restore_base -- a page the run changed gets its original content back */
static void
restore_base(void *ctx, uint32_t region, uint64_t off, void *value)
{
	struct base_ctx *c = ctx;
	if (region != c->r->id || off >= c->f->len || c->rc != 0)
		return;
	size_t n = c->f->len - off < 4096 ? (size_t)(c->f->len - off) : 4096;
	c->rc = pwrite_all(c->f->fd, value, n, off);
}

/* copy_media -- the file becomes the pristine media, len bytes long: the
 * media file as it is, then the pages the run changed as they were */
static int
copy_media(struct xp_media *md, const struct xp_region *r,
		struct slot_file *f, uint64_t len)
{
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
		while (todo > 0) {
			ssize_t n = copy_file_range(r->fd, &in, f->fd, &out,
					todo, 0);
			if (n <= 0) /* 0: the source ended early */
				return n < 0 ? -errno : -EIO;
			todo -= (uint64_t)n;
		}
	}
	if (ftruncate(f->fd, (off_t)len) != 0)
		return -errno;
	f->len = len;
	struct base_ctx c = { r, f, 0 };
	xp_linemap_each(md->base, restore_base, &c);
	return c.rc;
}

struct rebuild_ctx {
	struct xp_slot *s;
	int rc;
};

static void
rewrite_durable(void *ctx, uint32_t region, uint64_t off, void *value)
{
	struct rebuild_ctx *c = ctx;
	int rc = write_line(c->s, region, off, value);
	if (rc != 0 && c->rc == 0)
		c->rc = rc;
}

/* rebuild -- every file from the pristine media, then the base lines */
static int
rebuild(struct xp_slot *s)
{
	struct xp_media *md = s->b->md;
	s->files = xrealloc(s->files, (md->n + 1) * sizeof(*s->files),
			"rebuild: s->files");
	for (size_t i = 0; i < md->n; i++) {
		struct xp_region *r = &md->regions[i];
		struct slot_file *f = slot_file(s, r->id);
		if (f == NULL) {
			f = &s->files[s->nfiles++];
			f->region = r->id;
			f->fd = -1;
			if ((size_t)snprintf(f->path, sizeof(f->path), "%s/%s",
					s->dir, r->file) >= sizeof(f->path))
				return -ENAMETOOLONG;
		}
		int rc = copy_media(md, r, f, r->len);
		if (rc != 0)
			return rc;
	}
	struct rebuild_ctx c = { s, 0 };
	xp_linemap_each(s->b->durable, rewrite_durable, &c);
	s->seq = s->b->nlog;
	s->nextra = 0;
	s->rebuild = false;
	s->rebuilds++;
	if (md->n == 1)
		snprintf(s->pmem, sizeof(s->pmem), "%s", s->files[0].path);
	else
		snprintf(s->pmem, sizeof(s->pmem), "%s", s->dir);
	return c.rc;
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
	for (size_t i = 0; i < s->nfiles; i++)
		if (futimens(s->files[i].fd, ts) != 0)
			return -errno;
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

int
xp_slot_set(struct xp_slot *s, const struct xp_line_set *lines, size_t n)
{
	struct xp_base *b = s->b;
	int rc = 0;
	if (needs_rebuild(s)) {
		rc = rebuild(s);
	} else {
		/* undo the previous state's lines, then catch up the base */
		for (size_t i = 0; i < s->nextra && rc == 0; i++)
			rc = write_line(s, s->extra[i].region, s->extra[i].off,
				xp_base_line(b, s->extra[i].region,
					s->extra[i].off));
		for (; s->seq < b->nlog && rc == 0; s->seq++)
			rc = write_line(s, b->log[s->seq].region,
				b->log[s->seq].off, xp_base_line(b,
					b->log[s->seq].region,
					b->log[s->seq].off));
		s->nextra = 0;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = write_line(s, lines[i].region, lines[i].off,
				lines[i].content);
		remember_extra(s, &lines[i]);
	}
	if (rc == 0)
		rc = mark_sentinel(s);
	if (rc == 0)
		rc = set_badblocks(s, lines, n);
	if (rc != 0)
		s->rebuild = true;
	else
		b->pins[s->pin] = s->seq; /* until after_check */
	return rc;
}

/* rewind_slot -- the files as the last set wrote them, after a check wrote
 * to them: the pristine media in the lengths they had, the base lines of
 * now, the changes since undone newest first, the state's lines */
static int
rewind_slot(struct xp_slot *s)
{
	struct xp_base *b = s->b;
	if (s->seq < b->undo_from)
		return -ESTALE; /* not pinned: cannot happen */
	int rc = 0;
	for (size_t i = 0; i < s->nfiles && rc == 0; i++) {
		struct slot_file *f = &s->files[i];
		struct xp_region *r = xp_media_find(b->md, f->region);
		rc = r ? copy_media(b->md, r, f, f->len) : -ESTALE;
	}
	struct rebuild_ctx c = { s, rc };
	if (rc == 0)
		xp_linemap_each(b->durable, rewrite_durable, &c);
	for (size_t k = b->nlog; k-- > s->seq && c.rc == 0;)
		c.rc = write_line(s, b->log[k].region, b->log[k].off,
				xp_base_undo(b, k));
	for (size_t i = 0; i < s->nextra && c.rc == 0; i++)
		c.rc = write_line(s, s->extra[i].region, s->extra[i].off,
				s->bytes + s->extra_at[i]);
	s->rebuilds++;
	return c.rc;
}

/* written -- whether the check wrote the files: the next set rebuilds */
static bool
written(struct xp_slot *s)
{
	for (size_t i = 0; i < s->nfiles; i++) {
		struct slot_file *f = &s->files[i];
		struct stat fst, pst;
		if (fstat(f->fd, &fst) != 0 || fst.st_mtim.tv_sec != 1 ||
				fst.st_mtim.tv_nsec != 0 ||
				(uint64_t)fst.st_size != f->len)
			s->rebuild = true;
		if (stat(f->path, &pst) != 0 || pst.st_ino != fst.st_ino) {
			/* replaced or removed: start a new file */
			close(f->fd);
			f->fd = -1;
			unlink(f->path);
			s->rebuild = true;
		}
	}
	return s->rebuild;
}

int
xp_slot_restore(struct xp_slot *s)
{
	if (!written(s))
		return 0; /* as it was set */
	int rc = rewind_slot(s);
	if (rc == 0)
		rc = mark_sentinel(s);
	s->rebuild = rc != 0;
	return rc;
}

void
xp_slot_after_check(struct xp_slot *s)
{
	written(s);
	s->b->pins[s->pin] = SIZE_MAX;
}
