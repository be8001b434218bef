/*
 * shim_window.c -- the store log's window before its owner's fence, in
 * one model call. The raw loop (store a line, clwb it, sfence every few
 * lines) leaves the log holding, at the owner's fence, groups of "stores
 * within line L, then the flush of L". Drained one by one, each line
 * costs a merged store event that opens the line, a flush event that
 * issues a write-back and queues a copy of the line, and the fence's
 * settling of both. When the fence follows under the same lock hold and
 * nothing but the model sees the events, model_apply_line_persists takes
 * the window and the fence at once (a durable line goes to durable again
 * without a write-back), and the lines' copies go to the media now, as a
 * persist's do (shim_events.c, shim_ev_persist): the fence follows and
 * the thread has no older write-back in flight.
 *
 * Why the model's result is the one-by-one result: the fence's page
 * settle (fence_locked) would emit the untraced stores of open pages
 * between the window and the fence; the window is taken only when no
 * page is open, so that settle finds none but a page another thread
 * opens meanwhile, whose store is as much after this fence as before it.
 */
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_pending.h"
#include "shim_poison.h"
#include "shim_region.h"
#include "shim_view.h"
#include "shim_window.h"

#define WINDOW_LINE 64             /* the store log's flushed line */

static __thread struct {
	bool next;                 /* a fence follows the drain */
	bool taken;                /* the drain gave it to the model */
	enum model_ev kind;
	uint32_t site;
} fence_req __attribute__((tls_model("initial-exec")));

void
shim_window_fence_next(enum model_ev kind, uint32_t site)
{
	fence_req.kind = kind;
	fence_req.site = site;
	fence_req.taken = false;
	fence_req.next = true;
}

bool
shim_window_wanted(void)
{
	return fence_req.next && !fence_req.taken;
}

bool
shim_window_fence_taken(void)
{
	bool taken = fence_req.taken;
	fence_req.next = fence_req.taken = false;
	return taken;
}

/* under the lock */
static struct model_line_persist lines[SHIM_WINDOW_LINES];
static struct shim_mapping *maps[SHIM_WINDOW_LINES];

/* window_line -- w's model line, its mapping m (a line of adr or cxl
 * pmem within m, the stores within it): true */
static bool
window_line(const struct shim_window_line *w, struct shim_mapping *m,
		struct model_line_persist *l)
{
	const struct shim_region *r = m->region;
	uintptr_t a = w->flush_addr;
	uintptr_t lo = shim_mapping_line64(m, a);
	if (r->line_len != WINDOW_LINE || (r->domain != MODEL_DOMAIN_ADR &&
			r->domain != MODEL_DOMAIN_CXL) || lo < m->base ||
			lo + WINDOW_LINE > m->base + m->len ||
			w->addr < lo || w->addr + w->len > lo + WINDOW_LINE)
		return false;
	*l = (struct model_line_persist){ .region = r->id,
		.off = m->file_off + (w->addr - m->base), .len = w->len,
		.data = w->bytes, .count = w->count, .site = w->site,
		.flush = w->flush, .flush_off = m->file_off + (lo - m->base),
		.flush_site = w->flush_site };
	return true;
}

bool
shim_window_apply(const struct shim_window_line *w, uint32_t n, uint32_t tid)
{
	if (!shim_window_wanted() || n == 0 || n > SHIM_WINDOW_LINES ||
			__atomic_load_n(&shim_poison_count, __ATOMIC_ACQUIRE) ||
			!shim_dirty_none_open() || shim_pending_of(tid))
		return false;
	struct shim_mapping *m = NULL;
	for (uint32_t i = 0; i < n; i++) {
		uintptr_t a = w[i].flush_addr;
		if (m == NULL || a < m->base || a >= m->base + m->len)
			m = (struct shim_mapping *)shim_mapping_lookup(
				(const void *)a);
		if (m == NULL || !window_line(&w[i], m, &lines[i]))
			return false;
		maps[i] = m;
	}
	struct model_line_persists p = { .tid = tid, .n = n, .lines = lines,
		.fence = fence_req.kind, .fence_site = fence_req.site };
	if (!shim_emit_line_persists(&p))
		return false;
	fence_req.taken = true;
	for (uint32_t i = 0; i < n; i++) { /* as the events one by one */
		struct shim_region *r = maps[i]->region;
		shim_media_mark(r, lines[i].off, lines[i].len);
		shim_dirty_traced_bytes(maps[i], w[i].addr,
			w[i].addr + w[i].len, w[i].bytes);
		shim_media_write(r, lines[i].flush_off, w[i].line,
			WINDOW_LINE);
	}
	return true;
}
