/*
 * model.c -- MODEL.md's event table: stores, write-backs, fences and
 * clean shutdown, per line and per thread (docs/model.md)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"

/* ---- threads ---- */

/* thread_find -- thread_get past the last thread used */
static uint32_t
thread_find(struct model *m, uint32_t tid)
{
	for (uint32_t i = 0; i < m->nthreads; i++) {
		if (m->threads[i].tid == tid)
			return m->last_thread = i;
	}
	if (m->nthreads == m->threads_cap) {
		m->threads_cap = m->threads_cap ? m->threads_cap * 2 : 8;
		m->threads = realloc(m->threads,
				m->threads_cap * sizeof(*m->threads));
		MODEL_ASSERT(m->threads != NULL);
	}
	struct thread_state *t = &m->threads[m->nthreads];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	return m->last_thread = m->nthreads++;
}

static inline uint32_t
thread_get(struct model *m, uint32_t tid)
{
	if (m->last_thread < m->nthreads && m->threads[m->last_thread].tid == tid)
		return m->last_thread;
	return thread_find(m, tid);
}

uint32_t
model_thread(struct model *m, uint32_t tid)
{
	return thread_get(m, tid);
}

/* ---- write-backs ---- */

static uint32_t
wb_alloc(struct model *m)
{
	if (m->wb_free) {
		uint32_t w = m->wb_free;
		m->wb_free = m->wbs[w].next_line;
		return w;
	}
	if (m->nwbs >= m->wbs_cap) {
		m->wbs_cap = m->wbs_cap ? m->wbs_cap * 2 : 64;
		m->wbs = realloc(m->wbs, m->wbs_cap * sizeof(*m->wbs));
		MODEL_ASSERT(m->wbs != NULL);
	}
	return m->nwbs++;
}

/* wb_unlink_thread -- take w off its thread's in-flight list and free it */
static void
wb_release(struct model *m, uint32_t w)
{
	struct wb *b = &m->wbs[w];
	struct thread_state *t = &m->threads[b->thread];
	if (b->prev_thr)
		m->wbs[b->prev_thr].next_thr = b->next_thr;
	else
		t->head = b->next_thr;
	if (b->next_thr)
		m->wbs[b->next_thr].prev_thr = b->prev_thr;
	else
		t->tail = b->prev_thr;
	if (b->strong)
		t->strong--;
	b->used = 0;
	b->next_line = m->wb_free;
	m->wb_free = w;
}

static void
wb_issue(struct model *m, uint32_t li, uint32_t ti, uint32_t site,
		bool strong)
{
	uint32_t w = wb_alloc(m);
	struct line_state *l = &m->lines[li];
	struct open_line *o = line_open_of(m, li);
	MODEL_ASSERT(o != NULL);
	struct wb *b = &m->wbs[w];
	struct thread_state *t = &m->threads[ti];
	*b = (struct wb){ .line = li, .v = l->vcount, .site = site,
		.thread = ti, .stores = o->stores, .strong = strong, .used = 1 };
	/* line list: append (issue order = version order) */
	uint32_t *p = &o->wb_head;
	while (*p)
		p = &m->wbs[*p].next_line;
	*p = w;
	b->prev_thr = t->tail;
	if (t->tail)
		m->wbs[t->tail].next_thr = w;
	else
		t->head = w;
	t->tail = w;
	if (strong)
		t->strong++;
	if (m->cfg.contents)
		hist_mark_wb(m, li, l->vcount);
}

/* line_settle -- the media holds version v: drop what it supersedes */
static inline __attribute__((always_inline)) void
line_settle(struct model *m, uint32_t li, uint64_t v, uint32_t stores)
{
	struct open_line *o = line_open_of(m, li);
	MODEL_ASSERT(o != NULL);
	if (v > o->durable_v) {
		if (m->cfg.contents)
			hist_durable(m, li, v);
		o->durable_v = v;
		o->durable_stores = stores;
	}
	while (o->wb_head && m->wbs[o->wb_head].v <= o->durable_v) {
		uint32_t w = o->wb_head;
		o->wb_head = m->wbs[w].next_line;
		wb_release(m, w);
	}
	line_open_update(m, li);
}

static void
thread_fence(struct model *m, uint32_t ti)
{
	struct thread_state *t = &m->threads[ti];
	while (t->head) {
		struct wb *b = &m->wbs[t->head];
		line_settle(m, b->line, b->v, b->stores);
	}
}

/* thread_settle_strong -- T's clflushes are durable before T goes on */
static void
thread_settle_strong(struct model *m, uint32_t ti)
{
	struct thread_state *t = &m->threads[ti];
	while (t->strong) {
		uint32_t w = t->head;
		while (!m->wbs[w].strong)
			w = m->wbs[w].next_thr;
		line_settle(m, m->wbs[w].line, m->wbs[w].v, m->wbs[w].stores);
	}
}

/* ---- stores ---- */

/* store_part -- one store's bytes within one line */
static void
store_part(struct model *m, const struct region *r, uint32_t li,
		const struct model_event *ev, uint64_t off, uint32_t len,
		const uint8_t *data, uint32_t count)
{
	struct line_state *l = &m->lines[li];
	uint32_t in_line = (uint32_t)(off & (r->line_len - 1));
	bool nt = ev->kind != MODEL_EV_STORE;
	if (r->domain == MODEL_DOMAIN_EADR) {
		/* the caches are persistent: durable once performed; an
		 * untraced store is known only from the next snapshot */
		if (m->cfg.contents && data)
			hist_store(m, li, in_line, len, ev->site, data, false);
		return;
	}
	if (m->cfg.contents) {
		if (data)
			hist_store(m, li, in_line, len, ev->site, data,
					ev->kind != MODEL_EV_MOVDIR64B);
		else
			hist_untraced(m, li, ev->site);
	}
	struct open_line *o = line_open(m, li);
	if (!m->cfg.contents)
		l->vcount += count;
	if (o->stores == o->durable_stores) /* the first not durable */
		o->undurable_site = ev->site;
	o->stores += count;
	if (nt && r->domain != MODEL_DOMAIN_PAGECACHE) {
		/* bypasses the cache: a write-back of the line on T
		 * (docs/model.md, Refinement 2) */
		wb_issue(m, li, thread_get(m, ev->tid), ev->site, false);
		l->dirty = 0;
		return;
	}
	if (!l->dirty) {
		l->dirty = 1;
		o->dirty_site = ev->site;
		l->dirty_untraced = data == NULL;
	}
}

/* do_store -- count: the stores ev stands for (model_apply_stores) */
static int
do_store(struct model *m, const struct region *r, const struct model_event *ev,
		uint32_t count)
{
	if (ev->kind == MODEL_EV_MOVDIR64B && (ev->off % 64 || ev->len != 64))
		return -EINVAL;
	if (count > 1 && (m->cfg.contents || ev->len == 0 ||
			ev->off >> r->line_shift !=
			(ev->off + ev->len - 1) >> r->line_shift))
		return -EINVAL;
	uint64_t off = ev->off, end = ev->off + ev->len;
	while (off < end) {
		uint64_t lineno = off >> r->line_shift;
		uint64_t line_end = (lineno + 1) << r->line_shift;
		uint32_t n = (uint32_t)((end < line_end ? end : line_end) - off);
		uint32_t li = line_get(m, ev->region, lineno);
		store_part(m, r, li, ev, off,  n,
				ev->data ? ev->data + (off - ev->off) : NULL,
				count);
		line_open_update(m, li);
		off += n;
	}
	return 0;
}

static int
do_snapshot(struct model *m, const struct region *r,
		const struct model_event *ev)
{
	if (ev->off & (r->line_len - 1) || ev->data == NULL)
		return -EINVAL;
	if (!m->cfg.contents)
		return 0;
	uint32_t li = line_get(m, ev->region, ev->off >> r->line_shift);
	hist_snapshot(m, li, ev->data);
	line_open_update(m, li);
	return 0;
}

/* ---- flushes ---- */

/* line_write_back -- T writes line li back if anything is not durable */
static inline __attribute__((always_inline)) bool
line_write_back(struct model *m, uint32_t li, uint32_t ti,
		const struct model_event *ev, bool strong)
{
	struct line_state *l = &m->lines[li];
	bool was_dirty = l->dirty;
	l->flush_site = ev->site;
	l->flush_tid = ev->tid;
	if (l->vcount == line_durable_v(m, li))
		return was_dirty;
	/* even a clean line: an earlier write-back may never be fenced */
	wb_issue(m, li, ti, ev->site, strong);
	l->dirty = 0;
	line_open_of(m, li)->dirty_site = 0;
	return was_dirty;
}

/* the two for persist_run.c (model_impl.h); the static ones inline here */
void
model_line_settle(struct model *m, uint32_t li, uint64_t v, uint32_t stores)
{
	line_settle(m, li, v, stores);
}

bool
model_line_write_back(struct model *m, uint32_t li, uint32_t ti,
		const struct model_event *ev, bool strong)
{
	return line_write_back(m, li, ti, ev, strong);
}

typedef bool (*line_fn)(struct model *m, uint32_t li, void *arg);

/* for_each_touched -- fn on every touched line of [off, off+len) of a
 * region, by range or by table, whichever is shorter */
static inline __attribute__((always_inline)) bool
for_each_touched(struct model *m, uint32_t region, const struct region *r,
		uint64_t off, uint64_t len, line_fn fn, void *arg)
{
	bool any = false;
	if (len == 0)
		return false;
	uint64_t first = off >> r->line_shift;
	uint64_t last = (off + len - 1) >> r->line_shift;
	if (last - first < m->nlines) {
		for (uint64_t n = first; n <= last; n++) {
			uint32_t li = line_find(m, region, n);
			if (li != UINT32_MAX)
				any |= fn(m, li, arg);
		}
		return any;
	}
	for (uint32_t li = 0; li < m->nlines; li++) {
		struct line_state *l = &m->lines[li];
		if (line_region(l) == region && line_number(l) >= first &&
				line_number(l) <= last)
			any |= fn(m, li, arg);
	}
	return any;
}

struct write_back_arg {
	uint32_t ti;
	const struct model_event *ev;
	bool strong;
};

static bool
write_back_fn(struct model *m, uint32_t li, void *arg)
{
	struct write_back_arg *a = arg;
	return line_write_back(m, li, a->ti, a->ev, a->strong);
}

static int
do_flush(struct model *m, const struct region *r, const struct model_event *ev)
{
	if (r->domain == MODEL_DOMAIN_PAGECACHE) {
		/* a CPU flush does not reach a file's page cache backing */
		finding_add(m, MODEL_FIND_PAGECACHE_FLUSH, ev->site, false,
				1, 0, ev->region, ev->off);
		return 0;
	}
	if (r->domain == MODEL_DOMAIN_EADR) {
		finding_add(m, MODEL_FIND_REDUNDANT, ev->site, false, 1, 0,
				ev->region, ev->off);
		return 0;
	}
	struct write_back_arg a = { thread_get(m, ev->tid), ev,
		ev->kind == MODEL_EV_CLFLUSH && !m->cfg.clflush_weak };
	bool any_dirty = for_each_touched(m, ev->region, r, ev->off,
			ev->len ? ev->len : 1, write_back_fn, &a);
	/* a program that flushes line n writes line n + 1 next, often */
	line_prefetch(m, ev->region, (ev->off + (ev->len ? ev->len : 1) - 1 +
			r->line_len) >> r->line_shift);
	if (!any_dirty)
		finding_add(m, MODEL_FIND_REDUNDANT, ev->site, false, 1, 0,
				ev->region, ev->off);
	return 0;
}

/* do_sync -- msync/fsync: write back every line of the range, then fence */
static int
do_sync(struct model *m, uint32_t region, const struct region *r,
		const struct model_event *ev)
{
	struct write_back_arg a = { thread_get(m, ev->tid), ev, false };
	if (r->domain == MODEL_DOMAIN_EADR) {
		thread_fence(m, a.ti); /* msync/fsync end with T's fence */
		return 0;
	}
	uint64_t off = 0, len = r->len;
	if (ev->kind == MODEL_EV_MSYNC) {
		off = ev->off & ~4095ull;
		len = ((ev->off + ev->len + 4095) & ~4095ull) - off;
	}
	for_each_touched(m, region, r, off, len, write_back_fn, &a);
	thread_fence(m, a.ti);
	return 0;
}

/* ---- clean shutdown ---- */

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
		line_settle(m, li, l->vcount, o->stores);
	return true;
}

/* set_clean -- set_clean_fn on each touched line of [off, off+len); with
 * no closed line dirty, only the open ones change: when fewer than the
 * range's lines (libpmemobj's run-time state: MiBs, at every END_TX), just
 * them, in for_each_touched's order (the same closes, the same m->open) */
static void
set_clean(struct model *m, uint32_t region, const struct region *r,
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
	line_settle(m, li, l->vcount, o->stores);
	return true;
}

static int
do_shutdown(struct model *m, const struct model_event *ev)
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

static int
do_fence(struct model *m, const struct model_event *ev)
{
#ifdef PMEMU_MODEL_MUTANT
	/* the deliberate mistake the differential test must catch */
	(void)ev;
	for (uint32_t ti = 0; ti < m->nthreads; ti++)
		thread_fence(m, ti);
#else
	thread_fence(m, thread_get(m, ev->tid));
#endif
	return 0;
}

static bool
event_has_thread(enum model_ev k)
{
	return k != MODEL_EV_SNAPSHOT && k != MODEL_EV_SHUTDOWN &&
		k != MODEL_EV_SET_CLEAN;
}

/* apply -- count: the stores a STORE event stands for, else 1 */
static int
apply(struct model *m, const struct model_event *ev, uint32_t count)
{
	m->events += count;
	if ((unsigned)ev->kind >= MODEL_EV_MAX || ev->kind == 0)
		return -EINVAL;
	if (event_has_thread(ev->kind) && m->nthreads) {
		uint32_t ti = thread_get(m, ev->tid);
		if (m->threads[ti].strong)
			thread_settle_strong(m, ti);
	}
	switch (ev->kind) {
	case MODEL_EV_SFENCE:
	case MODEL_EV_MFENCE:
	case MODEL_EV_LOCKED:
		return do_fence(m, ev);
	case MODEL_EV_SHUTDOWN:
		return do_shutdown(m, ev);
	case MODEL_EV_FLUSH_OUTSIDE:
		finding_add(m, MODEL_FIND_OUTSIDE, ev->site, false, 1, 0, 0,
				ev->off);
		return 0;
	case MODEL_EV_FSYNC:
		if (ev->region == MODEL_REGION_ALL) {
			for (uint32_t id = 0; id < m->nregions; id++)
				if (m->regions[id].used)
					do_sync(m, id, &m->regions[id], ev);
			return 0;
		}
		break;
	default:
		break;
	}
	const struct region *r = model_region(m, ev->region);
	if (r == NULL)
		return -EINVAL;
	struct model_event clamped;
	if (ev->kind != MODEL_EV_FSYNC && ev->off + ev->len > r->len) {
		/* a flush or sync of whole lines may reach past the end of a
		 * file whose size is not a multiple of the line: only the
		 * bytes of the file count; a store past it is malformed */
		bool ranged = ev->kind >= MODEL_EV_CLWB &&
			ev->kind <= MODEL_EV_CLFLUSH;
		ranged |= ev->kind == MODEL_EV_MSYNC ||
			ev->kind == MODEL_EV_SET_CLEAN;
		if (!ranged || ev->off >= r->len)
			return -ERANGE;
		clamped = *ev;
		clamped.len = r->len - ev->off;
		ev = &clamped;
	}
	switch (ev->kind) {
	case MODEL_EV_STORE:
	case MODEL_EV_NT_STORE:
	case MODEL_EV_MOVDIR64B:
		return do_store(m, r, ev, count);
	case MODEL_EV_SNAPSHOT:
		return do_snapshot(m, r, ev);
	case MODEL_EV_CLWB:
	case MODEL_EV_CLFLUSHOPT:
	case MODEL_EV_CLFLUSH:
		return do_flush(m, r, ev);
	case MODEL_EV_MSYNC:
	case MODEL_EV_FSYNC:
		return do_sync(m, ev->region, r, ev);
	case MODEL_EV_SET_CLEAN:
		/* the shim snapshots dirty untraced lines before it */
		set_clean(m, ev->region, r, ev->off, ev->len);
		return 0;
	default:
		return -EINVAL;
	}
}

int
model_apply(struct model *m, const struct model_event *ev)
{
	return apply(m, ev, 1);
}

int
model_apply_stores(struct model *m, const struct model_event *ev,
		uint32_t count)
{
	if (ev->kind != MODEL_EV_STORE || count == 0)
		return -EINVAL;
	return apply(m, ev, count);
}
