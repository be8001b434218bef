/* image_base.c -- the base image: the durable image at the current crash
 * point (image.c has its slots)
 *
 * The base is the pristine media plus every line whose durable content
 * the model changed. Its hash is a sum of line hashes, so a change costs
 * one line. Every change is appended to a log, with the content it
 * replaced: a slot catches up by the log, and a slot whose check wrote its
 * image is rewound by it to the point it was set at (xp_slot_restore),
 * however far the engine went on meanwhile. That content is kept only
 * from the oldest change a pinned slot (a check in flight) may need.
 */
#include <stdlib.h>
#include <string.h>

#include "explore_common.h"
#include "image_impl.h"
#include "linemap.h"
#include "media.h"
#include "xalloc.h"

struct xp_base *
xp_base_new(struct xp_media *md)
{
	struct xp_base *b = xcalloc(1, sizeof(*b), "xp_base_new: b");
	b->md = md;
	b->durable = xp_linemap_new();
	b->pages = xp_linemap_new();
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
	xp_linemap_delete(b->pages);
	free(b->log);
	free(b->undo);
	free(b->pins);
	free(b);
}

uint32_t
xp_base_line_len(const struct xp_base *b, uint32_t region)
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

/* a page's mask of lines is the value of its key in b->pages */
_Static_assert(sizeof(uintptr_t) * 8 >= XP_PAGE / 64,
		"a page's lines fit a pointer's bits");

uint64_t
xp_base_page_lines(const struct xp_base *b, uint32_t region, uint64_t page)
{
	void **v = xp_linemap_find(b->pages, region, page);
	return v ? (uint64_t)(uintptr_t)*v : 0;
}

/* page_line_add -- the line at off joins durable */
static void
page_line_add(struct xp_base *b, uint32_t region, uint64_t off,
		uint32_t len)
{
	void **v = xp_linemap_get(b->pages, region, off / XP_PAGE * XP_PAGE);
	*v = (void *)((uintptr_t)*v | (uintptr_t)1 << (off % XP_PAGE / len));
}

size_t
xp_base_pin_new(struct xp_base *b)
{
	if (b->npins == b->cappins) {
		b->cappins = b->cappins ? b->cappins * 2 : 8;
		b->pins = xrealloc(b->pins, b->cappins * sizeof(*b->pins),
				"xp_base_pin_new: b->pins");
	}
	b->pins[b->npins] = SIZE_MAX;
	return b->npins++;
}

const uint8_t *
xp_base_undo(const struct xp_base *b, size_t k)
{
	if (k < b->undo_from || k >= b->nlog)
		return NULL;
	return b->undo + (b->log[k].undo - b->undo_shift);
}

/* trim_undo -- drops the content no pinned slot can need, when that frees
 * half the buffer at least (each byte is moved O(1) times) */
static void
trim_undo(struct xp_base *b)
{
	size_t from = b->nlog;
	for (size_t i = 0; i < b->npins; i++)
		if (b->pins[i] < from)
			from = b->pins[i];
	if (from <= b->undo_from)
		return;
	size_t cut = from < b->nlog ? b->log[from].undo - b->undo_shift :
		b->nundo;
	if (cut < b->capundo / 2)
		return;
	memmove(b->undo, b->undo + cut, b->nundo - cut);
	b->nundo -= cut;
	b->undo_shift += cut;
	b->undo_from = from;
}

/* log_change -- the line's change into the log, with what it replaced */
static void
log_change(struct xp_base *b, uint32_t region, uint64_t off,
		const uint8_t *old, uint32_t len)
{
	if (b->nlog == b->caplog) {
		b->caplog = b->caplog ? b->caplog * 2 : 1024;
		b->log = xrealloc(b->log, b->caplog * sizeof(*b->log),
				"log_change: b->log");
	}
	if (b->nundo + len > b->capundo)
		trim_undo(b);
	if (b->nundo + len > b->capundo) {
		b->capundo = 2 * (b->nundo + len);
		b->undo = xrealloc(b->undo, b->capundo, "log_change: b->undo");
	}
	memcpy(b->undo + b->nundo, old, len);
	b->log[b->nlog].region = region;
	b->log[b->nlog].off = off;
	b->log[b->nlog].undo = b->undo_shift + b->nundo;
	b->nundo += len;
	b->nlog++;
}

/* line_term -- the line's share of an image hash: 0 when pristine */
static struct xp_hash
line_term(struct xp_base *b, uint32_t region, uint64_t off,
		const uint8_t *content)
{
	uint32_t len = xp_base_line_len(b, region);
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
	uint32_t len = xp_base_line_len(b, region);
	const uint8_t *old = xp_base_line(b, region, off);
	if (memcmp(old, buf, len) == 0)
		return;
	xp_hash_sub(&b->hash, line_term(b, region, off, old));
	xp_hash_add(&b->hash, line_term(b, region, off, buf));
	log_change(b, region, off, old, len);
	void **v = xp_linemap_get(b->durable, region, off);
	if (*v == NULL) {
		*v = xmalloc(len, "set_durable: a durable line");
		page_line_add(b, region, off, len);
	}
	memcpy(*v, buf, len);
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
					xp_base_line_len(b, l[i].region)));
	}
	for (size_t i = 0; i < b->md->n; i++) {
		uint64_t len = b->md->regions[i].len;
		xp_hash_add(&h, xp_line_hash(UINT32_MAX - b->md->regions[i].id,
				0, (const uint8_t *)&len, 8));
	}
	return h;
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
