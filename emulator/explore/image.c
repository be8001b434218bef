/* image.c -- crash images, written line by line
 *
 * The base is the durable image at the current crash point: the pristine
 * media plus every line whose durable content the model changed. Its hash
 * is a sum of line hashes, so a change costs one line. Every change of the
 * base is appended to a log; a slot (one worker's image directory) knows
 * how far into the log it is and which state lines it wrote on top, so
 * moving a slot to the next state writes only the lines that differ:
 * cost per state ~ changed lines, not the pool size (issue 5).
 *
 * The check may write to its image (recovery). Before a check the slot
 * sets each file's mtime to a sentinel (1 s after the epoch); any write
 * through write(2) or a shared mapping moves mtime to now (the kernel's
 * file_update_time on write and on page_mkwrite). A moved mtime, a new
 * size or a replaced file makes the next set rebuild the slot from the
 * pristine media (copy_file_range), which is the only cost ~ pool size.
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
#include "linemap.h"
#include "media.h"
#include "usc.h"
#include "xalloc.h"

struct xp_base {
	struct xp_media *md;
	struct xp_linemap *durable;   /* line -> content */
	struct { uint32_t region; uint64_t off; } *log;
	size_t nlog, caplog;
	struct xp_hash hash;
};

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
};

struct xp_base *
xp_base_new(struct xp_media *md)
{
	struct xp_base *b = xcalloc(1, sizeof(*b), "xp_base_new: b");
	b->md = md;
	b->durable = xp_linemap_new();
	return b;
}

static void
free_value(void *ctx, uint32_t region, uint64_t off, void *value)
{
	(void)ctx;
	(void)region;
	(void)off;
	free(value);
}

void
xp_base_delete(struct xp_base *b)
{
	if (b == NULL)
		return;
	xp_linemap_each(b->durable, free_value, NULL);
	xp_linemap_delete(b->durable);
	free(b->log);
	free(b);
}

static uint32_t
line_len(const struct xp_base *b, uint32_t region)
{
	struct xp_region *r = xp_media_find(b->md, region);
	return r ? r->line_len : 64;
}

const uint8_t *
xp_base_line(struct xp_base *b, uint32_t region, uint64_t off)
{
	void **v = xp_linemap_find(b->durable, region, off);
	return v ? *v : xp_media_line(b->md, region, off);
}

/* line_term -- the line's share of an image hash: 0 when pristine */
static struct xp_hash
line_term(struct xp_base *b, uint32_t region, uint64_t off,
		const uint8_t *content)
{
	uint32_t len = line_len(b, region);
	struct xp_hash zero = { 0, 0 };
	if (memcmp(content, xp_media_line(b->md, region, off), len) == 0)
		return zero;
	return xp_line_hash(region, off, content, len);
}

/* set_durable -- the base's line becomes buf */
static void
set_durable(struct xp_base *b, uint32_t region, uint64_t off,
		const uint8_t *buf)
{
	uint32_t len = line_len(b, region);
	const uint8_t *old = xp_base_line(b, region, off);
	if (memcmp(old, buf, len) == 0)
		return;
	xp_hash_sub(&b->hash, line_term(b, region, off, old));
	xp_hash_add(&b->hash, line_term(b, region, off, buf));
	void **v = xp_linemap_get(b->durable, region, off);
	if (*v == NULL)
		*v = xmalloc(len, "set_durable: a durable line");
	memcpy(*v, buf, len);
	if (b->nlog == b->caplog) {
		b->caplog = b->caplog ? b->caplog * 2 : 1024;
		b->log = xrealloc(b->log, b->caplog * sizeof(*b->log),
				"set_durable: b->log");
	}
	b->log[b->nlog].region = region;
	b->log[b->nlog].off = off;
	b->nlog++;
}

void
xp_base_update(struct xp_base *b, const struct model *m, uint32_t region,
		uint64_t off)
{
	uint8_t buf[XP_LINE_MAX];
	if (model_line_durable(m, region, off, buf) == 0)
		set_durable(b, region, off, buf);
}

struct xp_hash
xp_base_hash(const struct xp_base *b)
{
	return b->hash;
}

struct xp_hash
xp_state_hash(struct xp_base *b, const struct xp_line_set *l, size_t n)
{
	struct xp_hash h = b->hash;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *base = xp_base_line(b, l[i].region, l[i].off);
		xp_hash_sub(&h, line_term(b, l[i].region, l[i].off, base));
		xp_hash_add(&h, line_term(b, l[i].region, l[i].off,
				l[i].content));
		if (l[i].poison)
			xp_hash_add(&h, xp_line_hash(l[i].region,
					l[i].off ^ XP_POISON_BIT, l[i].content,
					line_len(b, l[i].region)));
	}
	for (size_t i = 0; i < b->md->n; i++) {
		uint64_t len = b->md->regions[i].len;
		xp_hash_add(&h, xp_line_hash(UINT32_MAX - b->md->regions[i].id,
				0, (const uint8_t *)&len, 8));
	}
	return h;
}

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
	return s;
}

void
xp_slot_delete(struct xp_slot *s)
{
	if (s == NULL)
		return;
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
	uint64_t n = line_len(s->b, region);
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
	if (region != c->r->id || off >= c->r->len || c->rc != 0)
		return;
	size_t n = c->r->len - off < 4096 ? (size_t)(c->r->len - off) : 4096;
	c->rc = pwrite_all(c->f->fd, value, n, off);
}

/* copy_media -- the file becomes the pristine media, len bytes long: the
 * media file as it is, then the pages the run changed as they were */
static int
copy_media(struct xp_media *md, const struct xp_region *r,
		struct slot_file *f)
{
	if (ftruncate(f->fd, 0) != 0)
		return -errno;
	/* a region longer than the free space could not be written back
	 * by a check: no sparse file of a forged size (docs/trace-format.md) */
	struct statvfs vfs;
	if (fstatvfs(f->fd, &vfs) == 0 &&
			r->len / vfs.f_frsize > (uint64_t)vfs.f_bavail)
		return -ENOSPC;
	if (r->fd >= 0) {
		struct stat st;
		if (fstat(r->fd, &st) != 0)
			return -errno;
		uint64_t todo = (uint64_t)st.st_size < r->len ?
			(uint64_t)st.st_size : r->len;
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
	if (ftruncate(f->fd, (off_t)r->len) != 0)
		return -errno;
	f->len = r->len;
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
		if (f->fd < 0)
			f->fd = open(f->path, O_RDWR | O_CREAT | O_NOFOLLOW |
					O_CLOEXEC, 0600);
		if (f->fd < 0)
			return -errno;
		int rc = copy_media(md, r, f);
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
	size_t len = line_len(s->b, l->region);
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
	return rc;
}

int
xp_slot_restore(struct xp_slot *s)
{
	size_t n = s->nextra;
	if (s->seq != s->b->nlog)
		return -ESTALE; /* the base it was set on is gone */
	struct xp_line_set *l = xmalloc((n + 1) * sizeof(*l),
			"xp_slot_restore: l");
	uint8_t *bytes = xmalloc(s->nbytes + 1, "xp_slot_restore: bytes");
	memcpy(bytes, s->bytes, s->nbytes);
	for (size_t i = 0; i < n; i++) {
		l[i] = s->extra[i];
		l[i].content = bytes + s->extra_at[i];
	}
	xp_slot_after_check(s);
	int rc = xp_slot_set(s, l, n);
	free(l);
	free(bytes);
	return rc;
}

void
xp_slot_after_check(struct xp_slot *s)
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
}

static void
load_durable(void *ctx, uint32_t region, uint64_t off,
		const uint8_t *content, uint32_t len)
{
	(void)len;
	set_durable(ctx, region, off, content);
}

void
xp_base_load(struct xp_base *b, const struct model *m)
{
	model_for_each_durable(m, load_durable, b);
}
