/*
 * persist_run.c -- model_apply_persist_run (model.h): a persist of a run
 * of lines, its stores, its flush and its fence, in one walk of the
 * range. A line the run stores goes to durable as the three events one
 * by one leave it (one version more, the flush's site and thread, not
 * dirty, closed), without a write-back issued and settled: what a
 * program that persists what it copied (pmem_persist after a memcpy)
 * costs per line.
 */
#include <errno.h>

#include "model_impl.h"

static bool
bit(const uint64_t *map, uint64_t i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

/* line_store -- the untraced STORE of the run's line i (line number n),
 * then what its exact site says */
static void
line_store(struct model *m, const struct model_persist_run *p,
		const struct region *r, uint64_t n, uint64_t i)
{
	struct model_event ev = { .kind = MODEL_EV_STORE, .tid = p->tid,
		.site = p->sites[i], .region = p->region,
		.off = n << r->line_shift, .len = r->line_len };
	(void)model_apply(m, &ev);
	if (bit(p->exact, i))
		model_store_site_exact(m, p->region, ev.off, p->sites[i]);
}

static struct model_event
flush_event(const struct model_persist_run *p)
{
	return (struct model_event){ .kind = p->flush, .tid = p->tid,
		.site = p->flush_site, .region = p->region, .off = p->off,
		.len = p->len };
}

static int
fence(struct model *m, const struct model_persist_run *p)
{
	struct model_event ev = { .kind = p->fence, .tid = p->tid,
		.site = p->fence_site, .region = MODEL_REGION_ALL };
	return model_apply(m, &ev);
}

/* one_by_one -- the run as its events, where the walk would differ */
static int
one_by_one(struct model *m, const struct model_persist_run *p,
		const struct region *r, uint64_t first, uint64_t nlines)
{
	for (uint64_t i = 0; i < nlines; i++)
		if (bit(p->stored, i))
			line_store(m, p, r, first + i, i);
	struct model_event fl = flush_event(p);
	int rc = model_apply(m, &fl);
	int rc_fence = fence(m, p);
	return rc != 0 ? rc : rc_fence;
}

bool
model_fence_walkable(struct model *m, enum model_ev fence, uint32_t tid)
{
#ifdef PMEMU_MODEL_MUTANT
	return false; /* its fence is not the thread's */
#endif
	if (fence != MODEL_EV_SFENCE && fence != MODEL_EV_MFENCE &&
			fence != MODEL_EV_LOCKED)
		return false;
	if (m->nthreads == 0)
		return true;
	uint32_t ti = model_thread(m, tid); /* may move m->threads */
	return m->threads[ti].strong == 0;
}

/*
 * walkable -- the walk gives what the events give: findings mode, a
 * domain where a flush writes lines back, a flush of a kind that takes
 * no other path, the range within the region, the flush visiting the
 * range's lines by number (for_each_touched: fewer than the table holds
 * already) and a fence that may end it (model_fence_walkable)
 */
static bool
walkable(struct model *m, const struct model_persist_run *p,
		const struct region *r, uint64_t span)
{
	if (m->cfg.contents || (r->domain != MODEL_DOMAIN_ADR &&
			r->domain != MODEL_DOMAIN_CXL))
		return false;
	if (p->flush != MODEL_EV_CLWB && p->flush != MODEL_EV_CLFLUSHOPT)
		return false;
	if (p->off + p->len > r->len || span >= m->nlines)
		return false;
	return model_fence_walkable(m, p->fence, p->tid);
}

/*
 * durable_again -- line li, stored by the run (its i-th line), then
 * flushed and fenced: as the three events leave it, one version more,
 * all of it durable (the write-backs in flight on it superseded, on any
 * thread), closed, not dirty, the flush's site; dirty_untraced as the
 * store and its exact site make it
 */
static void
durable_again(struct model *m, const struct model_persist_run *p,
		uint32_t li, uint64_t i)
{
	struct line_state *l = &m->lines[li];
	struct open_line *o = line_open_of(m, li);
	bool exact = bit(p->exact, i);
	if (!l->dirty)
		l->dirty_untraced = !exact;
	else if (exact && o->dirty_site == p->sites[i])
		l->dirty_untraced = 0;
	m->events++;
	l->vcount++;
	l->dirty = 0;
	l->flush_site = p->flush_site;
	l->flush_tid = p->tid;
	if (o != NULL)
		model_line_settle(m, li, l->vcount, o->stores + 1);
}

/* walk_line -- the store, if any, and the write-back of the run's line n
 * (its i-th); whether the flush finds it dirty */
static bool
walk_line(struct model *m, const struct model_persist_run *p,
		const struct region *r, uint64_t n, uint64_t i, uint32_t ti,
		const struct model_event *fl)
{
	bool stored = bit(p->stored, i);
	if (stored && (n + 1) << r->line_shift <= r->len) {
		uint32_t li = line_get(m, p->region, n); /* may move lines */
		if (m->lines[li].open_pos != 0 || !m->lines[li].dirty) {
			durable_again(m, p, li, i);
			return true;
		}
	}
	if (stored) /* a closed dirty line (content mode), or past the
	             * region's end (-ERANGE, as the event) */
		line_store(m, p, r, n, i);
	uint32_t li = line_find(m, p->region, n);
	return li != UINT32_MAX && model_line_write_back(m, li, ti, fl,
			false);
}

/*
 * walk_durable -- durable_again of each line from the run's line n (its
 * i-th) on, up to its last, while the line is stored, within the
 * region, the next one in the table (a range first touched in order:
 * line_get would find it there) and closed and clean, so that the three
 * events leave it as durable_again does without its tests: a line
 * persisted again after each pass over it. How many lines it took
 */
static uint64_t
walk_durable(struct model *m, const struct model_persist_run *p,
		const struct region *r, uint64_t n, uint64_t i, uint64_t last)
{
	uint64_t key = line_key(p->region, n);
	uint32_t li = line_near(m, key);
	if (li == UINT32_MAX)
		return 0;
	uint64_t end = last + 1, in_region = r->len >> r->line_shift;
	if (end > in_region)
		end = in_region; /* a short last line: walk_line's */
	if (end - n > m->nlines - li)
		end = n + (m->nlines - li);
	struct line_state *l = &m->lines[li];
	uint64_t k = 0;
	for (; n + k < end; k++, l++) {
		uint64_t j = i + k;
		uint64_t bits = p->stored[j / 64] >> (j % 64);
		if (!(bits & 1) || l->key != key + k || l->open_pos != 0 ||
				l->dirty)
			break;
		l->dirty_untraced = !((p->exact[j / 64] >> (j % 64)) & 1);
		l->vcount++;
		l->flush_site = p->flush_site;
		l->flush_tid = p->tid;
	}
	m->events += k;
	if (k != 0)
		m->last_line = li + (uint32_t)k; /* as line_get leaves it */
	return k;
}

int
model_apply_persist_run(struct model *m, const struct model_persist_run *p)
{
	const struct region *r = model_region(m, p->region);
	if (r == NULL || p->len == 0 || p->off + p->len < p->off)
		return -EINVAL;
	uint64_t first = p->off >> r->line_shift;
	uint64_t last = (p->off + p->len - 1) >> r->line_shift;
	if (!walkable(m, p, r, last - first))
		return one_by_one(m, p, r, first, last - first + 1);
	uint32_t ti = model_thread(m, p->tid);
	struct model_event fl = flush_event(p);
	bool any_dirty = false;
	for (uint64_t n = first; n <= last; n++) {
		uint64_t k = walk_durable(m, p, r, n, n - first, last);
		if (k != 0) {
			any_dirty = true;
			n += k - 1;
			continue;
		}
		any_dirty |= walk_line(m, p, r, n, n - first, ti, &fl);
	}
	m->events++; /* the flush */
	if (!any_dirty)
		finding_add(m, MODEL_FIND_REDUNDANT, p->flush_site, false, 1,
				0, p->region, p->off);
	return fence(m, p);
}
