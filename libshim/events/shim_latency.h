/*
 * shim_latency.h -- --latency / PMEMU_LATENCY: busy-waits at each flushed
 * line and each fence on emulated pmem, so the cost of a persist pattern
 * shows on DRAM (docs/shim.md, "Latency emulation"). Off: one test of a
 * global per flush and per fence, nothing else.
 */
#ifndef PMEMU_SHIM_LATENCY_H
#define PMEMU_SHIM_LATENCY_H 1

#include <stdbool.h>
#include <stddef.h>

/* a latency option is set: written once by shim_latency_start(), before
 * the program runs (hidden: the tests below inline, not through the GOT) */
extern bool shim_latency_on __attribute__((visibility("hidden")));

/* reads the options (shim_opts()) once, at start-up */
void shim_latency_start(void);
void shim_latency_flush_on(size_t lines);
void shim_latency_fence_on(void);

/* a flush of `lines` lines of emulated pmem (or non-temporal stores,
 * lines 0) was issued by this thread; called without shim_lock */
static inline void
shim_latency_flush(size_t lines)
{
	if (__builtin_expect(shim_latency_on, 0))
		shim_latency_flush_on(lines);
}

/* a fence of this thread: it waits when the thread flushed since its
 * last fence; called without shim_lock */
static inline void
shim_latency_fence(void)
{
	if (__builtin_expect(shim_latency_on, 0))
		shim_latency_fence_on();
}
/* the exit note: what was injected (lock held) */
void shim_latency_note(void);

#endif
