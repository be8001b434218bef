/* image_sync.c -- a slot's file made to hold an image, page by page
 *
 * The image a file must hold (the target) is the pristine media, the base's
 * durable lines over it, and a few lines over those (a state's lines, or
 * the content the base's changes since a point replaced: image.c). A page
 * of the target is built only where it has such lines (the base keeps a
 * mask of its durable lines per page); elsewhere it is the media's page.
 * The file is read through a shared mapping. After a check wrote it
 * (recovery) every page is compared and only the pages that differ are
 * written: restoring it costs one memcmp of the image plus what the check
 * changed, not a copy of the pool and a write per durable line. Otherwise
 * only the lines that changed since the file's last image are compared.
 * A run of adjacent bytes to write is one pwrite.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image_impl.h"
#include "linemap.h"
#include "media.h"
#include "xalloc.h"

#define RUN_MAX (64 * XP_PAGE) /* the most one pwrite writes */

void
xp_sync_init(struct xp_sync *y)
{
	memset(y, 0, sizeof(*y));
	y->run = xmalloc(RUN_MAX, "xp_sync_init: y->run");
	y->page = xmalloc(XP_PAGE, "xp_sync_init: y->page");
	y->have = xmalloc(XP_PAGE, "xp_sync_init: y->have");
}

void
xp_sync_fini(struct xp_sync *y)
{
	free(y->over);
	free(y->changed);
	free(y->run);
	free(y->page);
	free(y->have);
	memset(y, 0, sizeof(*y));
}

void
xp_sync_clear(struct xp_sync *y)
{
	y->nover = 0;
	y->nchanged = 0;
}

/* push -- an entry at the end of v */
static void
push(struct xp_sync_line **v, size_t *n, size_t *cap, uint32_t region,
		uint64_t off, const uint8_t *content, size_t rank)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*v = xrealloc(*v, *cap * sizeof(**v), "push: a sync's lines");
	}
	struct xp_sync_line *l = &(*v)[(*n)++];
	l->region = region;
	l->off = off;
	l->content = content;
	l->rank = rank;
}

void
xp_sync_over(struct xp_sync *y, uint32_t region, uint64_t off,
		const uint8_t *content, size_t rank)
{
	push(&y->over, &y->nover, &y->capover, region, off, content, rank);
}

void
xp_sync_changed(struct xp_sync *y, uint32_t region, uint64_t off)
{
	push(&y->changed, &y->nchanged, &y->capchanged, region, off, NULL, 0);
}

static int
by_line(const void *pa, const void *pb)
{
	const struct xp_sync_line *a = pa, *b = pb;
	if (a->region != b->region)
		return a->region < b->region ? -1 : 1;
	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	return (a->rank > b->rank) - (a->rank < b->rank);
}

/* sort_unique -- in file order, one entry a key: the lowest rank's */
static size_t
sort_unique(struct xp_sync_line *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), by_line);
	size_t k = 1;
	for (size_t i = 1; i < n; i++)
		if (v[i].region != v[k - 1].region || v[i].off != v[k - 1].off)
			v[k++] = v[i];
	return k;
}

void
xp_sync_ready(struct xp_sync *y)
{
	y->nover = sort_unique(y->over, y->nover);
	y->nchanged = sort_unique(y->changed, y->nchanged);
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

struct file_sync {
	struct xp_sync *y;
	struct xp_base *b;
	struct xp_region *r;
	const struct xp_slot_file *f;
	size_t over;            /* the next line of y->over in the file */
};

/* put -- len bytes of content at off in page (at page_off), clipped */
static void
put(uint8_t *page, uint64_t page_off, uint32_t n, uint64_t off,
		const uint8_t *content, uint32_t len)
{
	if (off >= page_off + n)
		return;
	if (len > page_off + n - off)
		len = (uint32_t)(page_off + n - off);
	memcpy(page + (off - page_off), content, len);
}

/* over_from -- the first line over the base at off or past it, in the
 * file's region, or NULL */
static const struct xp_sync_line *
over_from(struct file_sync *c, uint64_t off)
{
	struct xp_sync *y = c->y;
	uint32_t id = c->r->id;
	while (c->over < y->nover && (y->over[c->over].region < id ||
			(y->over[c->over].region == id &&
			 y->over[c->over].off < off)))
		c->over++;
	return c->over < y->nover && y->over[c->over].region == id ?
		&y->over[c->over] : NULL;
}

/* target -- the page at p (n bytes) of the image the file must hold */
static const uint8_t *
target(struct file_sync *c, uint64_t p, uint32_t n)
{
	struct xp_sync *y = c->y;
	uint32_t id = c->r->id, len = c->r->line_len;
	const uint8_t *pristine = xp_media_page(c->b->md, c->r, p, y->page, n);
	uint64_t lines = xp_base_page_lines(c->b, id, p);
	const struct xp_sync_line *o = over_from(c, p);
	bool over = o != NULL && o->off < p + XP_PAGE;
	if (lines == 0 && !over)
		return pristine;
	if (pristine != y->page)
		memcpy(y->page, pristine, n);
	for (uint32_t i = 0; lines != 0; i++, lines >>= 1) {
		if (!(lines & 1))
			continue;
		uint64_t off = p + (uint64_t)i * len;
		void **v = xp_linemap_find(c->b->durable, id, off);
		put(y->page, p, n, off, *v, len);
	}
	for (; c->over < y->nover && y->over[c->over].region == id &&
			y->over[c->over].off < p + XP_PAGE; c->over++)
		put(y->page, p, n, y->over[c->over].off,
				y->over[c->over].content, len);
	return y->page;
}

/* current -- n bytes at p (a page at most) as the file holds them, NULL
 * if they could not be read (then written) */
static const uint8_t *
current(struct file_sync *c, uint64_t p, uint32_t n)
{
	if (c->f->map != NULL)
		return c->f->map + p;
	size_t done = 0;
	while (done < n) {
		ssize_t got = pread(c->f->fd, c->y->have + done, n - done,
				(off_t)(p + done));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return NULL;
		done += (size_t)got;
	}
	return c->y->have;
}

static int
flush(struct file_sync *c)
{
	struct xp_sync *y = c->y;
	int rc = y->nrun ? pwrite_all(c->f->fd, y->run, y->nrun, y->run_off) :
		0;
	y->nrun = 0;
	return rc;
}

/* differs -- n bytes at p join the run to write */
static int
differs(struct file_sync *c, uint64_t p, const uint8_t *want, uint32_t n)
{
	struct xp_sync *y = c->y;
	int rc = 0;
	if (y->nrun != 0 && (y->run_off + y->nrun != p ||
			y->nrun + n > RUN_MAX))
		rc = flush(c);
	if (y->nrun == 0)
		y->run_off = p;
	memcpy(y->run + y->nrun, want, n);
	y->nrun += n;
	return rc;
}

/* sync_page -- the page at p written if it differs from the target */
static int
sync_page(struct file_sync *c, uint64_t p)
{
	uint64_t left = c->f->len - p;
	uint32_t n = left < XP_PAGE ? (uint32_t)left : XP_PAGE;
	const uint8_t *want = target(c, p, n);
	const uint8_t *have = current(c, p, n);
	if (have != NULL && memcmp(have, want, n) == 0)
		return 0;
	return differs(c, p, want, n);
}

/* sync_line -- the line at off written if it differs from the target: its
 * line over the base, else the base's */
static int
sync_line(struct file_sync *c, uint64_t off)
{
	uint64_t left = c->f->len - off;
	uint32_t n = left < c->r->line_len ? (uint32_t)left : c->r->line_len;
	const struct xp_sync_line *o = over_from(c, off);
	const uint8_t *want = o != NULL && o->off == off ? o->content :
		xp_base_line(c->b, c->r->id, off);
	const uint8_t *have = current(c, off, n);
	if (have != NULL && memcmp(have, want, n) == 0)
		return 0;
	return differs(c, off, want, n);
}

int
xp_sync_file(struct xp_sync *y, struct xp_base *b,
		const struct xp_slot_file *f, bool every_page)
{
	struct xp_region *r = xp_media_find(b->md, f->region);
	if (r == NULL)
		return -ESTALE;
	struct file_sync cs = { y, b, r, f, 0 }, *c = &cs;
	y->nrun = 0;
	int rc = 0;
	if (every_page) {
		for (uint64_t p = 0; p < f->len && rc == 0; p += XP_PAGE)
			rc = sync_page(c, p);
	} else {
		for (size_t i = 0; i < y->nchanged && rc == 0; i++)
			if (y->changed[i].region == f->region &&
					y->changed[i].off < f->len)
				rc = sync_line(c, y->changed[i].off);
	}
	if (rc == 0)
		rc = flush(c);
	return rc;
}
