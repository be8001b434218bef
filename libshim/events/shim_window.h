/*
 * shim_window.h -- the store log's window before its owner's fence, to
 * the model in one call (shim_window.c)
 */
#ifndef PMEMU_SHIM_WINDOW_H
#define PMEMU_SHIM_WINDOW_H 1

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/* the most lines a window holds (a store entry and a flush entry each
 * in the log, at least) */
#define SHIM_WINDOW_LINES 64

/* one line of a window: traced stores of one site, contiguous within
 * the line (their bytes as stored), then the logged flush of the line */
struct shim_window_line {
	uintptr_t addr;            /* the stores' first byte */
	uint32_t len, count, site;
	const uint8_t *bytes;
	uintptr_t flush_addr;
	enum model_ev flush;
	uint32_t flush_site;
	const uint8_t *line;       /* the flushed line as flushed */
};

/* this thread's fence (kind, site) comes next under the lock it takes
 * now: the drain may give the model its window with it */
void shim_window_fence_next(enum model_ev kind, uint32_t site);
/* a fence of this thread follows the drain under the same lock hold */
bool shim_window_wanted(void);
/* the window w[0..n) of thread tid and the fence that follows, to the
 * model in one call and the flushed lines to the media: true; false
 * when it may not (nothing done: drain the entries one by one) */
bool shim_window_apply(const struct shim_window_line *w, uint32_t n,
		uint32_t tid);
/* after the lock is taken: whether the drain applied the fence; the
 * request is over either way */
bool shim_window_fence_taken(void);

#endif
