/*
 * shim_emit.c -- the events of one emulated mapping's bytes: a store (to
 * the model, the trace and the media's bookkeeping) and its snapshot;
 * the page diffs (shim_dirty.c) and the event door (shim_events.c) emit
 * through them
 */
#include "shim_core.h"
#include "shim_emit.h"
#include "shim_region.h"
#include "shim_view.h"

/* emit_store -- data: the stored bytes (traced), NULL when untraced */
static void
emit_store(struct shim_mapping *m, uintptr_t addr, size_t len,
		const void *data, bool site_exact, uint32_t tid, uint32_t site,
		uint32_t count)
{
	struct shim_region *r = m->region;
	uint64_t off = m->file_off + (addr - m->base);
	struct model_event ev = { .kind = MODEL_EV_STORE, .tid = tid,
		.site = site, .region = r->id, .off = off, .len = len,
		.data = data };
	if (count > 1)
		shim_emit_stores_locked(&ev, count);
	else
		shim_emit_locked(&ev);
	if (data == NULL && site_exact)
		shim_emit_site_exact(r->id, off, site);
	shim_media_mark(r, off, len);
	if (r->domain == MODEL_DOMAIN_EADR) /* caches are persistent */
		shim_media_write(r, off, data ? data : (const void *)addr,
				len);
}

void
shim_emit_store(struct shim_mapping *m, uintptr_t addr, size_t len,
		bool traced, bool site_exact, uint32_t site)
{
	emit_store(m, addr, len, traced ? (const void *)addr : NULL,
		site_exact, shim_tid(), site, 1);
}

void
shim_emit_store_logged(struct shim_mapping *m, uintptr_t addr, size_t len,
		const void *data, uint32_t tid, uint32_t site, uint32_t count)
{
	emit_store(m, addr, len, data, true, tid, site, count);
}

/* shim_emit_snapshot -- when recording, the line's view content now, so a
 * crash state may hold what an untraced store wrote (eviction) and an
 * explanation may persist it */
void
shim_emit_snapshot(struct shim_mapping *m, uintptr_t addr, size_t len,
		uint32_t site)
{
	if (!shim_trace_events())
		return;
	struct shim_region *r = m->region;
	struct model_event snap = { .kind = MODEL_EV_SNAPSHOT,
		.tid = shim_tid(), .site = site, .region = r->id,
		.off = m->file_off + (addr - m->base), .len = len,
		.data = (const uint8_t *)addr };
	(void)trace_append_event(shim_trace_writer(), &snap);
}

void
shim_emit_same_value(struct shim_mapping *m, uintptr_t a, size_t len,
		uint32_t site)
{
	struct model_event ev = { .kind = MODEL_EV_STORE, .tid = shim_tid(),
		.site = site, .region = m->region->id,
		.off = m->file_off + (a - m->base), .len = len, .data = NULL };
	shim_emit_model_only(&ev);
}
