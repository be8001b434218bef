/*
 * shim_events.c -- the one door into the model (shim_events.h): virtual
 * addresses become region offsets, stores seen by page protection are
 * diffed out before each flush and fence, and the media receives what the
 * model made durable
 *
 * Durable content: a flush of line L by thread T snapshots L into T's
 * pending write-backs; T's fence copies them to the media (MODEL.md: in
 * flight until a fence of the issuing thread). clflush (strong) and
 * non-temporal stores follow the same table; eadr writes stores through.
 */
#include <string.h>
#include <sys/mman.h>

#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_emit.h"
#include "shim_events.h"
#include "shim_findings.h"
#include "shim_latency.h"
#include "shim_pending.h"
#include "shim_poison.h"
#include "shim_region.h"
#include "shim_view.h"
#include "shim_window.h"

/*
 * for_each_piece -- calls fn for each part of [addr, addr+len) that lies in
 * one emulated mapping; returns the bytes in no mapping
 */
static size_t
for_each_piece(const void *addr, size_t len,
		void (*fn)(struct shim_mapping *m, uintptr_t lo, uintptr_t hi,
			void *ctx), void *ctx)
{
	uintptr_t a = (uintptr_t)addr, end = a + len;
	size_t outside = 0;
	while (a < end) {
		struct shim_mapping *m = (struct shim_mapping *)
			shim_mapping_lookup((void *)a);
		if (m == NULL) {
			outside++;
			a++;
			continue;
		}
		uintptr_t hi = m->base + m->len < end ? m->base + m->len : end;
		fn(m, a, hi, ctx);
		a = hi;
	}
	return outside;
}

struct store_ctx {
	bool traced;
	uint32_t site;
};

static void
store_piece(struct shim_mapping *m, uintptr_t lo, uintptr_t hi, void *ctx)
{
	struct store_ctx *c = ctx;
	shim_emit_store(m, lo, hi - lo, c->traced, c->traced, c->site);
	if (c->traced)
		shim_dirty_traced(m, lo, hi);
}

static void
store_locked(void *addr, size_t len, bool traced, uint32_t site)
{
	struct store_ctx c = { traced, site };
	for_each_piece(addr, len, store_piece, &c);
}

void
shim_ev_store(void *addr, size_t len, bool traced, uint32_t site)
{
	shim_lock();
	store_locked(addr, len, traced, site);
	shim_unlock();
}

struct logged_ctx {
	uintptr_t addr;
	const uint8_t *bytes;      /* as stored at addr */
	uint32_t tid, site, count;
};

static void
logged_piece(struct shim_mapping *m, uintptr_t lo, uintptr_t hi, void *ctx)
{
	const struct logged_ctx *c = ctx;
	const uint8_t *data = c->bytes + (lo - c->addr);
	shim_emit_store_logged(m, lo, hi - lo, data, c->tid, c->site,
		c->count);
	shim_dirty_traced_bytes(m, lo, hi, data);
}

void
shim_ev_store_logged(uintptr_t addr, size_t len, const void *bytes,
		uint32_t tid, uint32_t site, uint32_t count)
{
	struct logged_ctx c = { addr, bytes, tid, site, count };
	for_each_piece((const void *)addr, len, logged_piece, &c);
}

struct flush_ctx {
	enum model_ev kind;
	uint32_t site;
	size_t lines;              /* flushed lines of emulated pmem */
	bool to_media;             /* the fence follows: write the media now */
};

/* line_bounds -- [lo, hi) widened to whole lines of m, within the file */
static inline void
line_bounds(const struct shim_mapping *m, uintptr_t *lo, uintptr_t *hi)
{
	uint32_t line = m->region->line_len;
	uint64_t off = m->file_off + (*lo - m->base);
	*lo -= off - shim_line_floor(m->region, off);
	uint64_t end = m->file_off + (*hi - m->base);
	uint64_t end_up = shim_line_floor(m->region, end + line - 1);
	*hi += end_up - end;
}

/* snapshot_lines -- (recording) each line of file bytes [first, end),
 * mapped at lo, in the trace as it is now */
static void
snapshot_lines(struct shim_mapping *m, uintptr_t lo, uint64_t first,
		uint64_t end, uint32_t site)
{
	uint32_t line = m->region->line_len;
	for (uint64_t off = first; off < end; off += line) {
		uint32_t n = end - off < line ? (uint32_t)(end - off) : line;
		shim_emit_snapshot(m, lo + (off - first), n, site);
	}
}

/* pending_range -- file bytes [first, end) of r, mapped at `at`, in
 * flight on this thread: one entry per PENDING_RUN bytes, not per line
 * (the fence writes the same bytes to the media in the same order); or
 * written to the media at once when the fence follows (to_media) */
#define PENDING_RUN (1u << 24)
/* a short range's media lines are fetched for writing now, so the
 * fence's copy into them does not wait for memory (a locked instruction
 * after it would) */
#define PREFETCH_MAX 512
static void
pending_range(struct shim_region *r, uint64_t first, uint64_t end,
		const uint8_t *at, bool to_media, uint32_t tid)
{
	if (to_media) {
		shim_media_write(r, first, at, (size_t)(end - first));
		return;
	}
	if (end - first <= PREFETCH_MAX && end <= r->media_map_len)
		for (uint64_t off = first; off < end; off += 64)
			shim_prefetch_write(r->media_map + off);
	for (uint64_t off = first; off < end; off += PENDING_RUN) {
		size_t n = end - off < PENDING_RUN ? (size_t)(end - off) :
			PENDING_RUN;
		shim_pending_add(tid, r, off, at + (off - first), n);
	}
}

/* flush_events -- the flush of thread tid of the whole lines [lo, hi) of
 * m, whose bytes as flushed are at `at` (the view, or a copy): snapshot,
 * write-back queued, the model's event */
static void
flush_events(struct shim_mapping *m, uintptr_t lo, uintptr_t hi,
		struct flush_ctx *c, uint32_t tid, const uint8_t *at)
{
	struct shim_region *r = m->region;
	uint32_t line = r->line_len;
	uint64_t first = m->file_off + (lo - m->base);
	uint64_t end = m->file_off + (hi - m->base);
	end = end < r->len ? end : r->len; /* a short last line */
	if (first < end) {
		c->lines += shim_line_count(r, end - first + line - 1);
		if (shim_trace_events())
			snapshot_lines(m, lo, first, end, c->site);
		if (r->domain == MODEL_DOMAIN_ADR ||
				r->domain == MODEL_DOMAIN_CXL)
			pending_range(r, first, end, at, c->to_media, tid);
	}
	struct model_event ev = { .kind = c->kind, .tid = tid,
		.site = c->site, .region = r->id,
		.off = m->file_off + (lo - m->base), .len = hi - lo };
	shim_emit_locked(&ev);
	if (c->kind == MODEL_EV_CLFLUSH && !shim_opts()->clflush_weak)
		shim_pending_drain(tid); /* ordered with later stores */
}

/* flush_piece -- diff, snapshot and queue the write-back of each line */
static void
flush_piece(struct shim_mapping *m, uintptr_t lo, uintptr_t hi, void *ctx)
{
	struct flush_ctx *c = ctx;
	line_bounds(m, &lo, &hi);
	shim_dirty_flush_lines(m, lo, hi, c->site);
	flush_events(m, lo, hi, c, shim_tid(), (const uint8_t *)lo);
}

/* flush_locked -- the flush's events; returns the lines it flushed */
static size_t
flush_locked(const void *addr, size_t len, enum model_ev kind, uint32_t site,
		bool to_media)
{
	struct flush_ctx c = { kind, site, 0, to_media };
	size_t outside = for_each_piece(addr, len ? len : 1, flush_piece, &c);
	if (outside != 0) {
		struct model_event ev = { .kind = MODEL_EV_FLUSH_OUTSIDE,
			.tid = shim_tid(), .site = site,
			.region = MODEL_REGION_ALL, .off = (uintptr_t)addr,
			.len = len };
		shim_emit_locked(&ev);
	}
	return c.lines;
}

/* prefetch_next -- a program that flushes a line writes the next one
 * next, often: its store then finds that line in the cache, writable
 * (without, the raw loop's stores waited for it) */
static inline void
prefetch_next(const void *addr, size_t len)
{
	uintptr_t last = (uintptr_t)addr + (len ? len - 1 : 0);
	shim_prefetch_write((const void *)((last | 63) + 1));
}

void
shim_ev_flush(const void *addr, size_t len, enum model_ev kind,
		uint32_t site)
{
	prefetch_next(addr, len);
	shim_lock();
	size_t lines = flush_locked(addr, len, kind, site, false);
	shim_unlock();
	shim_latency_flush(lines);
}

/*
 * Flushes in the store log (shim_store_log.c). A clwb or clflushopt of
 * the log's owner may wait in the log, its line copied, until the lock is
 * next taken, when no event but its own could tell: its line is one
 * 64-byte line of the only mapping of adr or cxl pmem, whose page is
 * clean (read-only, no twin: every store to it so far is an event, or in
 * the log before this flush); no trace, no transaction, no other process
 * (shim_store_log.c checks those). At the drain the flush has no diff to
 * make: a store the page's diff would find then was made after the page
 * was opened, which was after the flush (the page was clean at it), and
 * the copy is what the write-back takes, as the view was at the flush.
 * Every other event takes the lock, which drains the log first: the
 * model sees the flush where it would have (docs/shim.md).
 */
#define LOGGED_LINE 64

/* copy_line -- a line's bytes, inline: memcpy(64) is a rep movs */
static inline void
copy_line(uint8_t line[LOGGED_LINE], const uint8_t *from)
{
	for (int i = 0; i < LOGGED_LINE; i += 16)
		memcpy(line + i, from + i, 16);
}

/* shim_ev_flush_copy -- the flush of the line at addr may wait in the
 * log: true, and the line's bytes copied to line */
bool
shim_ev_flush_copy(const void *addr, enum model_ev kind,
		uint8_t line[LOGGED_LINE])
{
	if ((kind != MODEL_EV_CLWB && kind != MODEL_EV_CLFLUSHOPT) ||
			shim_trace_events() ||
			__atomic_load_n(&shim_poison_count, __ATOMIC_ACQUIRE) != 0)
		return false;
	const struct shim_mapping *m = shim_mapping_lookup(addr);
	if (m == NULL)
		return false;
	const struct shim_region *r = m->region;
	uintptr_t lo = shim_mapping_line64(m, (uintptr_t)addr);
	uint64_t off = m->file_off + (lo - m->base);
	if (r->line_len != LOGGED_LINE || r->nmappings != 1 ||
			(r->domain != MODEL_DOMAIN_ADR &&
			r->domain != MODEL_DOMAIN_CXL) ||
			lo < m->base || lo + LOGGED_LINE > m->base + m->len ||
			off + LOGGED_LINE > r->len || m->part_gone ||
			__atomic_load_n(&m->page_prog, __ATOMIC_ACQUIRE) != NULL ||
			!shim_dirty_page_clean(m, lo))
		return false;
	/* through the alias when there is one: the same page cache page,
	 * and the view page of a program that stores only through the
	 * plugin is never touched (a fault each). Gone meanwhile (the
	 * program mapped over its addresses: unmap_one clears m->alias
	 * first), the copy is taken again in the view. */
	const uint8_t *alias = __atomic_load_n(&m->alias, __ATOMIC_ACQUIRE);
	const uint8_t *from = alias != NULL ? alias + (lo - m->base) :
		(const uint8_t *)lo;
	prefetch_next(from + ((uintptr_t)addr - lo), 1);
	copy_line(line, from);
	__atomic_thread_fence(__ATOMIC_ACQUIRE); /* the copy, then this */
	if (alias != NULL &&
			__atomic_load_n(&m->alias, __ATOMIC_RELAXED) != alias)
		copy_line(line, (const uint8_t *)lo);
	return true;
}

/* shim_ev_flush_logged -- a flush of thread tid that waited in the log,
 * with its line's bytes as flushed (lock held) */
void
shim_ev_flush_logged(uintptr_t addr, enum model_ev kind, uint32_t tid,
		uint32_t site, const uint8_t *line)
{
	struct shim_mapping *m = (struct shim_mapping *)
		shim_mapping_lookup((const void *)addr);
	if (m == NULL) /* unmapped without the lock, which would drain */
		shim_fatal("internal: a logged flush outside pmem");
	struct flush_ctx c = { kind, site, 0, false };
	uintptr_t lo = shim_mapping_line64(m, addr);
	flush_events(m, lo, lo + LOGGED_LINE, &c, tid, line);
}

/* nt_piece -- non-temporal bytes bypass the cache: in flight on T */
static void
nt_piece(struct shim_mapping *m, uintptr_t lo, uintptr_t hi, void *ctx)
{
	const struct flush_ctx *c = ctx;
	struct shim_region *r = m->region;
	uint64_t off = m->file_off + (lo - m->base);
	shim_dirty_traced(m, lo, hi);
	struct model_event ev = { .kind = c->kind, .tid = shim_tid(),
		.site = c->site, .region = r->id, .off = off, .len = hi - lo,
		.data = (const uint8_t *)lo };
	shim_emit_locked(&ev);
	shim_media_mark(r, off, hi - lo);
	shim_latency_flush(0); /* a later fence waits for them */
	if (r->domain == MODEL_DOMAIN_EADR)
		shim_media_write(r, off, (const void *)lo, hi - lo);
	else
		shim_pending_add(shim_tid(), r, off, (const void *)lo, hi - lo);
}

/* nt_locked -- non-temporal bytes of kind (a streaming store's or
 * movdir64b's) as events */
static void
nt_locked(void *addr, size_t len, enum model_ev kind, uint32_t site)
{
	struct flush_ctx c = { kind, site, 0, false };
	for_each_piece(addr, len, nt_piece, &c);
}

void
shim_ev_nt_store(void *addr, size_t len, uint32_t site)
{
	shim_lock();
	nt_locked(addr, len, MODEL_EV_NT_STORE, site);
	shim_unlock();
}

void
shim_ev_movdir64b(void *addr, uint32_t site)
{
	shim_lock();
	nt_locked(addr, 64, MODEL_EV_MOVDIR64B, site);
	shim_unlock();
}

/* fence_locked -- stores seen so far become events, then the fence
 * (applied: the model has it already, with the store log's window) */
static void
fence_locked(enum model_ev kind, uint32_t site, bool applied)
{
	shim_dirty_settle_all();
	struct model_event ev = { .kind = kind, .tid = shim_tid(),
		.site = site, .region = MODEL_REGION_ALL };
	if (!applied)
		shim_emit_locked(&ev);
	shim_pending_drain(shim_tid());
}

void
shim_ev_fence(enum model_ev kind, uint32_t site)
{
	shim_window_fence_next(kind, site); /* the drain may take it */
	shim_lock();
	fence_locked(kind, site, shim_window_fence_taken());
	shim_unlock();
	shim_latency_fence();
}

/* batch_begin -- a persist of lines of one mapping of adr or cxl pmem:
 * its events may reach the model in one call (shim_emit_batch_begin);
 * not one of a few lines (libpmem's per-line persists), which costs
 * more held than applied one by one */
#define BATCH_MIN_LEN 256
static void
batch_begin(const void *addr, size_t len, enum model_ev flush)
{
	if (len < BATCH_MIN_LEN)
		return;
	const struct shim_mapping *m = shim_mapping_lookup(addr);
	if (m == NULL || (uintptr_t)addr + len > m->base + m->len ||
			(flush != MODEL_EV_CLWB && flush != MODEL_EV_CLFLUSHOPT) ||
			(m->region->domain != MODEL_DOMAIN_ADR &&
			m->region->domain != MODEL_DOMAIN_CXL))
		return;
	uintptr_t lo = (uintptr_t)addr, hi = lo + len;
	line_bounds(m, &lo, &hi);
	(void)shim_emit_batch_begin(m->region->id,
		m->file_off + (lo - m->base), hi - lo,
		(unsigned)__builtin_ctz(m->region->line_len));
}

/* persist_locked -- a persist's flush and fence (lock held); returns
 * the lines it flushed */
static size_t
persist_locked(const void *addr, size_t len, enum model_ev flush,
		enum model_ev fence, uint32_t site)
{
	/*
	 * The fence follows under the lock, so the flushed lines may reach
	 * the media now (a write-back may complete before its fence) from
	 * the view as the flush sees it, unless this thread has older
	 * write-backs in flight, which the fence must write first, or the
	 * trace records where the media changes (its BASE records)
	 */
	bool to_media = !shim_trace_events() && !shim_pending_of(shim_tid());
	batch_begin(addr, len, flush);
	size_t lines = flush_locked(addr, len, flush, site, to_media);
	fence_locked(fence, site, false);
	shim_emit_batch_end();
	return lines;
}

void
shim_ev_persist(const void *addr, size_t len, enum model_ev flush,
		enum model_ev fence, uint32_t site)
{
	prefetch_next(addr, len);
	shim_lock();
	size_t lines = persist_locked(addr, len, flush, fence, site);
	shim_unlock();
	shim_latency_flush(lines);
	shim_latency_fence();
}

/*
 * shim_ev_copy_persist -- a copy that drains, under one take of the
 * lock: the same events, in the same order, as its calls one by one
 * (shim_ev_nt_store, or shim_ev_store then shim_ev_flush, then
 * shim_ev_fence). Nothing of this thread runs between them then either;
 * the store log was drained at the first take, and the fence's settle
 * comes after the stores as it did.
 */
void
shim_ev_copy_persist(void *addr, size_t len, bool nt, enum model_ev fence,
		uint32_t site)
{
	size_t lines = 0;
	if (!nt)
		prefetch_next(addr, len);
	shim_lock();
	if (nt) {
		nt_locked(addr, len, MODEL_EV_NT_STORE, site);
		fence_locked(fence, site, false);
	} else {
		store_locked(addr, len, true, site);
		lines = persist_locked(addr, len, MODEL_EV_CLWB, fence, site);
	}
	shim_unlock();
	if (!nt)
		shim_latency_flush(lines);
	shim_latency_fence();
}

void
shim_ev_marker(const char *name)
{
	shim_lock();
	shim_dirty_settle_all();
	shim_record(TRACE_REC_MARKER, 0, name, strlen(name) + 1, NULL, 0);
	/* what the model judged up to here; stores not durable here are
	 * explore's to judge, and run's only at the end
	 * (docs/report-format.md) */
	shim_findings_write(TRACE_FINDING_AT_MARKER);
	shim_unlock();
}
