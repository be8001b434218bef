/*
 * line_persists.c -- model_apply_line_persists (model.h): a window of
 * one thread's stores and flushes, line by line, then its fence, in one
 * call. A line that was durable (closed, clean: no write-back in flight
 * on it, of any thread) goes to durable again as its store, flush and
 * the fence leave it (its versions counted, the flush's site and
 * thread, clean, closed) without a write-back issued and settled or an
 * open line made and dropped; any other line takes its events one by
 * one, and the fence settles what they issued. What the raw loop's
 * store-flush-fence windows cost per line (docs/performance.md).
 */
#include <errno.h>

#include "model_impl.h"

static struct model_event
store_event(uint32_t tid, const struct model_line_persist *l)
{
	return (struct model_event){ .kind = MODEL_EV_STORE, .tid = tid,
		.site = l->site, .region = l->region, .off = l->off,
		.len = l->len, .data = l->data };
}

static struct model_event
flush_event(const struct model *m, uint32_t tid,
		const struct model_line_persist *l)
{
	const struct region *r = model_region(m, l->region);
	return (struct model_event){ .kind = l->flush, .tid = tid,
		.site = l->flush_site, .region = l->region,
		.off = l->flush_off, .len = r != NULL ? r->line_len : 1 };
}

/* line_events -- line l's store and flush as events; the first error */
static int
line_events(struct model *m, uint32_t tid, const struct model_line_persist *l)
{
	int rc = 0;
	if (l->count != 0) {
		struct model_event st = store_event(tid, l);
		rc = model_apply_stores(m, &st, l->count);
	}
	struct model_event fl = flush_event(m, tid, l);
	int rc_flush = model_apply(m, &fl);
	return rc != 0 ? rc : rc_flush;
}

/* walkable -- the window's lines may take the short path: findings
 * mode, a fence that may end a walk (model_fence_walkable) */
static bool
walkable(struct model *m, const struct model_line_persists *p)
{
	return !m->cfg.contents &&
		model_fence_walkable(m, p->fence, p->tid);
}

/*
 * line_short -- line l may go to durable again: stores, within its line
 * of a region of adr or cxl, the whole line within the region (no
 * clamp), flushed by clwb or clflushopt; its line index, else UINT32_MAX
 */
static uint32_t
line_short(struct model *m, const struct model_line_persist *l)
{
	const struct region *r = model_region(m, l->region);
	if (r == NULL || (r->domain != MODEL_DOMAIN_ADR &&
			r->domain != MODEL_DOMAIN_CXL) || l->count == 0 ||
			l->len == 0 || (l->flush != MODEL_EV_CLWB &&
			l->flush != MODEL_EV_CLFLUSHOPT))
		return UINT32_MAX;
	uint64_t line_end = l->flush_off + r->line_len;
	if ((l->flush_off & (r->line_len - 1)) != 0 || line_end > r->len ||
			l->off < l->flush_off || l->off + l->len > line_end ||
			l->off + l->len < l->off)
		return UINT32_MAX;
	uint32_t li = line_get(m, l->region, l->flush_off >> r->line_shift);
	const struct line_state *s = &m->lines[li];
	return s->open_pos == 0 && !s->dirty ? li : UINT32_MAX;
}

/* durable_again -- closed clean line li after l's stores, its flush and
 * the fence: as those events leave it */
static void
durable_again(struct model *m, uint32_t tid, uint32_t li,
		const struct model_line_persist *l)
{
	struct line_state *s = &m->lines[li];
	s->vcount += l->count;
	s->dirty_untraced = l->data == NULL;
	s->flush_site = l->flush_site;
	s->flush_tid = tid;
	m->events += (uint64_t)l->count + 1;
	m->last_line = li + 1; /* as the flush's line_find leaves it */
}

int
model_apply_line_persists(struct model *m, const struct model_line_persists *p)
{
	bool walk = walkable(m, p);
	int rc = 0;
	for (uint32_t i = 0; i < p->n; i++) {
		const struct model_line_persist *l = &p->lines[i];
		uint32_t li = walk ? line_short(m, l) : UINT32_MAX;
		if (li != UINT32_MAX) {
			durable_again(m, p->tid, li, l);
			continue;
		}
		int rc_line = line_events(m, p->tid, l);
		rc = rc != 0 ? rc : rc_line;
	}
	struct model_event fe = { .kind = p->fence, .tid = p->tid,
		.site = p->fence_site, .region = MODEL_REGION_ALL };
	int rc_fence = model_apply(m, &fe);
	return rc != 0 ? rc : rc_fence;
}
