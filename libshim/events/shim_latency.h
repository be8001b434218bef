/*
 * shim_latency.h -- --latency / PMEMU_LATENCY: busy-waits at each flushed
 * line and each fence on emulated pmem, so the cost of a persist pattern
 * shows on DRAM (docs/shim.md, "Latency emulation"). Off: one test of a
 * global per flush and per fence, nothing else.
 */
#ifndef PMEMU_SHIM_LATENCY_H
#define PMEMU_SHIM_LATENCY_H 1

#include <stddef.h>

/* a flush of `lines` lines of emulated pmem (or non-temporal stores,
 * lines 0) was issued by this thread; called without shim_lock */
void shim_latency_flush(size_t lines);
/* a fence of this thread: it waits when the thread flushed since its
 * last fence; called without shim_lock */
void shim_latency_fence(void);
/* the exit note: what was injected (lock held) */
void shim_latency_note(void);

#endif
