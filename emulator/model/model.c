/*
 * model.c -- MODEL.md's event table: stores, write-backs and fences, per
 * line and per thread (docs/model.md); the events over ranges of lines
 * (msync/fsync, set-clean, clean shutdown) are model_ranges.c's. The
 * event paths here inline their helpers (the write-backs, the fence's
 * walk, the line's settle): a store-flush-fence loop's events are the
 * model's hot path (docs/performance.md, "The raw loop's events on short
 * paths").
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

/* wb_new -- a write-back entry past the free ones */
static __attribute__((noinline)) uint32_t
wb_new(struct model *m)
{
	if (m->nwbs >= m->wbs_cap) {
		m->wbs_cap = m->wbs_cap ? m->wbs_cap * 2 : 64;
		m->wbs = realloc(m->wbs, m->wbs_cap * sizeof(*m->wbs));
		MODEL_ASSERT(m->wbs != NULL);
	}
	return m->nwbs++;
}

static inline __attribute__((always_inline)) uint32_t
wb_alloc(struct model *m)
{
	if (m->wb_free) {
		uint32_t w = m->wb_free;
		m->wb_free = m->wbs[w].next_line;
		return w;
	}
	return wb_new(m);
}

/* wb_release -- take w off its thread's in-flight list and free it */
static inline __attribute__((always_inline)) void
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

/* wb_issue -- thread index ti writes back open line li (o: its open
 * state) */
static inline __attribute__((always_inline)) void
wb_issue(struct model *m, uint32_t li, struct open_line *o, uint32_t ti,
		uint32_t site, bool strong)
{
	uint32_t w = wb_alloc(m);
	struct line_state *l = &m->lines[li];
	struct wb *b = &m->wbs[w];
	struct thread_state *t = &m->threads[ti];
	/* field by field: a compound literal is zeroed, then copied */
	b->v = l->vcount;
	b->line = li;
	b->site = site;
	b->thread = ti;
	b->stores = o->stores;
	b->next_line = 0;
	b->next_thr = 0;
	b->strong = strong;
	b->used = 1;
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

/* open_durable -- open line li (o) has version v (its count of stores
 * then: stores) on the media, if newer than what it had */
static inline __attribute__((always_inline)) void
open_durable(struct model *m, uint32_t li, struct open_line *o, uint64_t v,
		uint32_t stores, bool contents)
{
	if (v > o->durable_v) {
		if (contents)
			hist_durable(m, li, v);
		o->durable_v = v;
		o->durable_stores = stores;
	}
}

/* line_settle -- the media holds version v: drop what it supersedes */
static inline __attribute__((always_inline)) void
line_settle(struct model *m, uint32_t li, uint64_t v, uint32_t stores)
{
	struct open_line *o = line_open_of(m, li);
	MODEL_ASSERT(o != NULL);
	open_durable(m, li, o, v, stores, m->cfg.contents);
	while (o->wb_head && m->wbs[o->wb_head].v <= o->durable_v) {
		uint32_t w = o->wb_head;
		o->wb_head = m->wbs[w].next_line;
		wb_release(m, w);
	}
	if (o->durable_v == m->lines[li].vcount) /* line_open_update */
		line_close(m, li);
}

/* fence_walk -- T's write-backs settle, in issue order; contents: the
 * model's mode, a constant where it is inlined (thread_fence) */
static inline __attribute__((always_inline)) void
fence_walk(struct model *m, struct thread_state *t, bool contents)
{
	while (t->head) {
		uint32_t w = t->head;
		const struct wb *b = &m->wbs[w];
		uint32_t li = b->line;
		struct open_line *o = line_open_of(m, li);
		MODEL_ASSERT(o != NULL);
		if (contents || !m->short_paths || o->wb_head != w ||
				b->next_line != 0) {
			line_settle(m, li, b->v, b->stores);
			continue;
		}
		/* findings mode, w its line's only write-back in flight:
		 * line_settle's work without its loop */
		open_durable(m, li, o, b->v, b->stores, false);
		o->wb_head = 0;
		wb_release(m, w);
		if (o->durable_v == m->lines[li].vcount) /* line_open_update */
			line_close(m, li);
	}
}

static void
thread_fence(struct model *m, uint32_t ti)
{
	struct thread_state *t = &m->threads[ti];
	if (m->cfg.contents)
		fence_walk(m, t, true);
	else
		fence_walk(m, t, false);
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

/* store_count -- count stores of site to line li, outside eadr: the
 * line open, its versions (findings mode) and stores counted */
static inline __attribute__((always_inline)) struct open_line *
store_count(struct model *m, uint32_t li, uint32_t site, uint32_t count,
		bool contents)
{
	struct open_line *o = line_open(m, li);
	if (!contents)
		m->lines[li].vcount += count;
	if (o->stores == o->durable_stores) /* the first not durable */
		o->undurable_site = site;
	o->stores += count;
	return o;
}

/* store_dirty -- a store of site stays in the cache: the line dirty */
static inline __attribute__((always_inline)) void
store_dirty(struct line_state *l, struct open_line *o, uint32_t site,
		bool untraced)
{
	if (!l->dirty) {
		l->dirty = 1;
		o->dirty_site = site;
		l->dirty_untraced = untraced;
	}
}

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
	struct open_line *o = store_count(m, li, ev->site, count,
			m->cfg.contents);
	if (nt && r->domain != MODEL_DOMAIN_PAGECACHE) {
		/* bypasses the cache: a write-back of the line on T
		 * (docs/model.md, Refinement 2) */
		wb_issue(m, li, o, thread_get(m, ev->tid), ev->site, false);
		l->dirty = 0;
		return;
	}
	store_dirty(l, o, ev->site, data == NULL);
}

/*
 * store_fast -- findings mode: a STORE within one line of a region that
 * is not eadr (every store of the shim's raw loops) as do_store applies
 * it, without its other cases; false when it is not one. The line stays
 * open (its vcount passes durable_v): no line_open_update.
 */
static inline __attribute__((always_inline)) bool
store_fast(struct model *m, const struct model_event *ev, uint32_t count)
{
	const struct region *r = model_region(m, ev->region);
	if (r == NULL || r->domain == MODEL_DOMAIN_EADR || ev->len == 0 ||
			ev->off + ev->len > r->len ||
			ev->off >> r->line_shift !=
			(ev->off + ev->len - 1) >> r->line_shift)
		return false;
	uint32_t li = line_get(m, ev->region, ev->off >> r->line_shift);
	struct open_line *o = store_count(m, li, ev->site, count, false);
	store_dirty(&m->lines[li], o, ev->site, ev->data == NULL);
	return true;
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
	struct open_line *o = line_open_of(m, li);
	if (o == NULL || l->vcount == o->durable_v) /* line_durable_v */
		return was_dirty;
	/* even a clean line: an earlier write-back may never be fenced */
	wb_issue(m, li, o, ti, ev->site, strong);
	l->dirty = 0;
	o->dirty_site = 0;
	return was_dirty;
}

/* the three for persist_run.c and model_ranges.c (model_impl.h); the
 * static ones inline here */
void
model_thread_fence(struct model *m, uint32_t ti)
{
	thread_fence(m, ti);
}

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

/* flush_range -- do_flush's lines past one: for_each_touched out of the
 * one-line path (its frame is large) */
static __attribute__((noinline)) bool
flush_range(struct model *m, const struct region *r,
		const struct model_event *ev, uint64_t len,
		struct write_back_arg *a)
{
	return for_each_touched(m, ev->region, r, ev->off, len, write_back_fn,
			a);
}

/* do_flush -- ti: the flushing thread's index, UINT32_MAX when not
 * looked up yet (it is made here, not before the domain's findings) */
static int
do_flush(struct model *m, const struct region *r, const struct model_event *ev,
		uint32_t ti)
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
	if (ti == UINT32_MAX)
		ti = thread_get(m, ev->tid);
	struct write_back_arg a = { ti, ev,
		ev->kind == MODEL_EV_CLFLUSH && !m->cfg.clflush_weak };
	uint64_t len = ev->len ? ev->len : 1;
	uint64_t first = ev->off >> r->line_shift;
	uint64_t last = (ev->off + len - 1) >> r->line_shift;
	bool any_dirty;
	if (first == last && m->nlines && m->short_paths) {
		/* for_each_touched's one line */
		uint32_t li = line_find(m, ev->region, first);
		any_dirty = li != UINT32_MAX &&
			line_write_back(m, li, ti, ev, a.strong);
	} else {
		any_dirty = flush_range(m, r, ev, len, &a);
	}
	/* a program that flushes line n writes line n + 1 next, often */
	line_prefetch(m, ev->region, last + 1);
	if (!any_dirty)
		finding_add(m, MODEL_FIND_REDUNDANT, ev->site, false, 1, 0,
				ev->region, ev->off);
	return 0;
}

/* do_fence -- ti: the fencing thread's index */
static int
do_fence(struct model *m, uint32_t ti)
{
#ifdef PMEMU_MODEL_MUTANT
	/* the deliberate mistake the differential test must catch */
	(void)ti;
	for (uint32_t t = 0; t < m->nthreads; t++)
		thread_fence(m, t);
#else
	thread_fence(m, ti);
#endif
	return 0;
}

/* the event kinds a thread does (a snapshot, a shutdown and a set-clean
 * are no thread's), by bit */
#define THREAD_KINDS (((1u << MODEL_EV_MAX) - 2) & ~(1u << MODEL_EV_SNAPSHOT | \
		1u << MODEL_EV_SHUTDOWN | 1u << MODEL_EV_SET_CLEAN))

static int apply_rest(struct model *m, const struct model_event *ev,
		uint32_t count);

/*
 * apply -- count: the stores a STORE event stands for, else 1. The kinds
 * of a store-flush-fence loop are applied here, the rest by apply_rest
 * out of line: this path saves few registers.
 */
static inline __attribute__((always_inline)) int
apply(struct model *m, const struct model_event *ev, uint32_t count)
{
	m->events += count;
	if ((unsigned)ev->kind >= MODEL_EV_MAX || ev->kind == 0)
		return -EINVAL;
	uint32_t ti = UINT32_MAX; /* the thread's index, once looked up */
	if ((THREAD_KINDS >> ev->kind & 1) && m->nthreads) {
		ti = thread_get(m, ev->tid);
		if (m->threads[ti].strong)
			thread_settle_strong(m, ti);
	}
	const struct region *r;
	switch (ev->kind) {
	case MODEL_EV_SFENCE:
	case MODEL_EV_MFENCE:
	case MODEL_EV_LOCKED:
		return do_fence(m, ti != UINT32_MAX ? ti :
				thread_get(m, ev->tid));
	case MODEL_EV_STORE:
		if (m->short_paths && !m->cfg.contents &&
				store_fast(m, ev, count))
			return 0;
		break;
	case MODEL_EV_CLWB:
	case MODEL_EV_CLFLUSHOPT:
	case MODEL_EV_CLFLUSH:
		r = model_region(m, ev->region);
		if (r != NULL && ev->off + ev->len <= r->len) /* no clamp */
			return do_flush(m, r, ev, ti);
		break;
	default:
		break;
	}
	return apply_rest(m, ev, count);
}

/* apply_rest -- apply's event past its strong write-backs' settling */
static __attribute__((noinline)) int
apply_rest(struct model *m, const struct model_event *ev, uint32_t count)
{
	switch (ev->kind) {
	case MODEL_EV_SHUTDOWN:
		return model_shutdown(m, ev);
	case MODEL_EV_FLUSH_OUTSIDE:
		finding_add(m, MODEL_FIND_OUTSIDE, ev->site, false, 1, 0, 0,
				ev->off);
		return 0;
	case MODEL_EV_FSYNC:
		if (ev->region == MODEL_REGION_ALL) {
			for (uint32_t id = 0; id < m->nregions; id++)
				if (m->regions[id].used)
					model_sync(m, id, &m->regions[id], ev);
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
		return do_flush(m, r, ev, UINT32_MAX);
	case MODEL_EV_MSYNC:
	case MODEL_EV_FSYNC:
		return model_sync(m, ev->region, r, ev);
	case MODEL_EV_SET_CLEAN:
		/* the shim snapshots dirty untraced lines before it */
		model_set_clean(m, ev->region, r, ev->off, ev->len);
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
