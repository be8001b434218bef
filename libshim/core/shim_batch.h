/*
 * shim_batch.h -- a persist's model events held back so that they reach
 * the model in one call (shim_batch.c); shim_state.c's event door is its
 * only caller: the layers above start and end one through
 * shim_emit_batch_begin / shim_emit_batch_end (shim_core.h)
 */
#ifndef PMEMU_SHIM_BATCH_H
#define PMEMU_SHIM_BATCH_H 1

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

#define SHIM_BATCH_LINES (1u << 15) /* 2 MiB of 64-byte lines */

/* what a batch notes per line: 136 KiB, mapped by shim_state.c at the
 * first batch (not in every process's data) */
struct shim_batch_lines {
	uint32_t sites[SHIM_BATCH_LINES];
	uint64_t stored[SHIM_BATCH_LINES / 64], exact[SHIM_BATCH_LINES / 64];
};

/* a batch is held (by some thread: shim_batch_held says by which); read
 * without a call on every event */
extern bool shim_batch_on __attribute__((visibility("hidden")));

/* the range [off, off+len) of region (lines of 1 << line_shift bytes) is
 * being persisted by thread tid: hold its events, noted in `lines`;
 * false if it has too many lines */
bool shim_batch_begin(struct shim_batch_lines *lines, uint32_t tid,
		uint32_t region, uint64_t off, uint64_t len, unsigned line_shift);
/* thread tid holds a batch */
bool shim_batch_held(uint32_t tid);
/* ev, if it is the batch's (a store of one of its lines, in address
 * order, its flush, then its fence: then the whole batch goes to m in
 * one call): true, taken; else the held events go to m first (spilled),
 * false */
bool shim_batch_take(struct model *m, const struct model_event *ev);
/* model_store_site_exact of the store just taken: true, noted; false:
 * not that store (the caller applies it) */
bool shim_batch_site_exact(uint32_t region, uint64_t off, uint32_t site);
/* untraced stores of the k (<= 64) whole lines from off on, in a row,
 * by thread tid, line j's site sites[j], exact (model_store_site_exact
 * after it) when bit j of `exact` is set: true, taken, as k calls of
 * shim_batch_take and shim_batch_site_exact would; false, nothing done
 * (not all of them are the batch's: the caller gives them one by one) */
bool shim_batch_take_lines(uint32_t tid, uint32_t region, uint64_t off,
		uint32_t k, const uint32_t *sites, uint64_t exact);
/* the held events to m one by one, in their order; the batch ends */
void shim_batch_spill(struct model *m);

#endif
