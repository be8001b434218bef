/*
 * model_ranges.c -- the events over a range of lines: msync/fsync (every
 * line written back, then the thread's fence), set-clean (lines declared
 * not needing persistence) and clean shutdown (what was not durable is
 * reported, then the caches drain). None is on a store-flush-fence
 * loop's path (model.c): they reach the write-backs through model_impl.h.
 */
#include "model_impl.h"

/* sync_fn -- thread *ti writes line li back (ev: its msync or fsync) */
struct sync_arg {
	uint32_t ti;
	const struct model_event *ev;
};

static bool
sync_fn(struct model *m, uint32_t li, void *arg)
{
	const struct sync_arg *a = arg;
	return model_line_write_back(m, li, a->ti, a->ev, false);
}

int
model_sync(struct model *m, uint32_t region, const struct region *r,
		const struct model_event *ev)
{
	struct sync_arg a = { model_thread(m, ev->tid), ev };
	if (r->domain == MODEL_DOMAIN_EADR) {
		model_thread_fence(m, a.ti); /* msync/fsync end with T's fence */
		return 0;
	}
	uint64_t off = 0, len = r->len;
	if (ev->kind == MODEL_EV_MSYNC) {
		off = ev->off & ~4095ull;
		len = ((ev->off + ev->len + 4095) & ~4095ull) - off;
	}
	for_each_touched(m, region, r, off, len, sync_fn, &a);
	model_thread_fence(m, a.ti);
	return 0;
}

/* set_clean_fn -- declared not needing persistence: durable, no finding */
static bool
set_clean_fn(struct model *m, uint32_t li, void *arg)
{
	(void)arg;
	struct line_state *l = &m->lines[li];
	const struct open_line *o = line_open_of(m, li);
	if (o == NULL && l->dirty)
		m->dirty_closed--;
	l->dirty = 0;
	if (o != NULL)
		model_line_settle(m, li, l->vcount, o->stores);
	return true;
}

/* set_clean -- set_clean_fn on each touched line of [off, off+len); with
 * no closed line dirty, only the open ones change: when fewer than the
 * range's lines (libpmemobj's run-time state: MiBs, at every END_TX), just
 * them, in for_each_touched's order (the same closes, the same m->open) */
void
model_set_clean(struct model *m, uint32_t region, const struct region *r,
		uint64_t off, uint64_t len)
{
	uint64_t first = off >> r->line_shift;
	uint64_t last = (off + len - 1) >> r->line_shift;
	if (len == 0 || m->dirty_closed != 0 || last - first < m->nopen) {
		for_each_touched(m, region, r, off, len, set_clean_fn, NULL);
		return;
	}
	uint32_t n = line_open_in(m, region, first, last);
	for (uint32_t i = 0; i < n; i++)
		set_clean_fn(m, m->pick[i], NULL);
}

static bool
shutdown_fn(struct model *m, uint32_t li, void *arg)
{
	(void)arg;
	struct line_state *l = &m->lines[li];
	const struct open_line *o = line_open_of(m, li);
	if (o == NULL)
		return false;
	uint32_t region = line_region(l);
	uint64_t off = line_number(l) << m->regions[region].line_shift;
	if (l->dirty)
		finding_add(m, MODEL_FIND_UNPERSISTED, o->dirty_site,
				l->dirty_untraced,
				o->stores - o->durable_stores, 1, region, off);
	for (uint32_t w = o->wb_head; w; w = m->wbs[w].next_line)
		if (!m->wbs[w].strong) /* clflush needs no fence (MODEL.md) */
			finding_add(m, MODEL_FIND_NO_FENCE, m->wbs[w].site,
					false, 1, 1, region, off);
	/* caches drain on a clean power-down */
	l->dirty = 0;
	model_line_settle(m, li, l->vcount, o->stores);
	return true;
}

int
model_shutdown(struct model *m, const struct model_event *ev)
{
	for (uint32_t id = 0; id < m->nregions; id++) {
		const struct region *r = &m->regions[id];
		if (!r->used || (ev->region != MODEL_REGION_ALL && ev->region != id))
			continue;
		uint64_t off = ev->region == MODEL_REGION_ALL ? 0 : ev->off;
		uint64_t len = ev->region == MODEL_REGION_ALL || ev->len == 0 ?
			UINT64_MAX >> 1 : ev->len;
		for_each_touched(m, id, r, off, len, shutdown_fn, NULL);
	}
	return 0;
}
