/*
 * shim_emit.h -- events of an emulated mapping's bytes (shim_emit.c)
 */
#ifndef PMEMU_SHIM_EMIT_H
#define PMEMU_SHIM_EMIT_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim_core.h"
#include "shim_region.h"
#include "shim_view.h"

/* a store of [addr, addr+len) of m became known (lock held); traced: its
 * bytes are the view's now; site_exact: an untraced store's site is the
 * store's own (its write fault), not a guess */
void shim_emit_store(struct shim_mapping *m, uintptr_t addr, size_t len,
		bool traced, bool site_exact, uint32_t site);
/* `count` traced stores of thread tid and one site, contiguous in one
 * line, whose bytes were copied when they happened (data: len bytes; the
 * store log, shim_store_log.c), lock held */
void shim_emit_store_logged(struct shim_mapping *m, uintptr_t addr,
		size_t len, const void *data, uint32_t tid, uint32_t site,
		uint32_t count);
/* the line's view content now, into the trace when recording */
void shim_emit_snapshot(struct shim_mapping *m, uintptr_t addr, size_t len,
		uint32_t site);
/* line a (n bytes) of m differs from its twin (untraced, at site,
 * exact: the store's own): a STORE and a SNAPSHOT, or, while a persist's
 * batch is held, a STORE the batch takes (no trace then). Inline: every
 * changed line of a flush or settle comes here */
static inline void
shim_emit_changed_line(struct shim_mapping *m, uintptr_t a, size_t n,
		uint32_t site, bool exact)
{
	uint64_t off = m->file_off + (a - m->base);
	if (shim_emit_held_store(m->region->id, off, n, site, exact)) {
		shim_media_mark(m->region, off, n); /* as shim_emit_store */
	} else {
		shim_emit_store(m, a, n, false, exact, site);
		shim_emit_snapshot(m, a, n, site);
	}
}
/* a flushed line of a written page kept its bytes: maybe a store of the
 * same value, so the flush is not redundant. Only the in-process model
 * (findings) needs it: the content did not change, so the trace
 * (exploration) and the tx check get nothing */
void shim_emit_same_value(struct shim_mapping *m, uintptr_t a, size_t len,
		uint32_t site);

#endif
