/*
 * shim_populate.h -- first touches of a sequential pass taken in batches:
 * once a run of consecutive pages of a mapping has been written, the
 * pages ahead of it are populated with one madvise(MADV_POPULATE_WRITE)
 * instead of a page fault each (shim_populate.c)
 */
#ifndef PMEMU_SHIM_POPULATE_H
#define PMEMU_SHIM_POPULATE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the state of one writer of one mapping; all zero: nothing seen yet */
struct shim_populate {
	uintptr_t done_lo, done_hi; /* pages this one populated */
	uintptr_t next;             /* the page after the last one written */
	uintptr_t run_lo;           /* the first page of the run it ends */
	uint32_t batch;             /* pages the next populate takes, at
	                               most (and at most the run's) */
	bool read;                  /* MADV_POPULATE_READ: a read-only
	                               mapping, its pages mapped to be read */
	bool off;                   /* EINVAL: the kernel cannot (before
	                               5.14, a device's pages...) */
};

/* a run of this many pages written in a row populates the next ones */
#define SHIM_POPULATE_RUN 4u
/* the first populate's pages, and the most one takes (doubling); never
 * more than the run has written: what a run populates past its end is
 * at most min(its length, SHIM_POPULATE_BATCH_MAX) pages */
#define SHIM_POPULATE_BATCH_MIN 4u
#define SHIM_POPULATE_BATCH_MAX 16u

/* addr, in the mapping [lo, hi) (page-aligned), is about to be written:
 * when it continues a run, populate it and the pages after it (at most
 * up to hi). Not thread-safe: one p per thread, or under a lock. */
static inline void shim_populate_touch(struct shim_populate *p,
		uintptr_t addr, uintptr_t lo, uintptr_t hi);

/* the slow part of shim_populate_touch: addr outside p's populated pages */
void shim_populate_page(struct shim_populate *p, uintptr_t addr,
		uintptr_t lo, uintptr_t hi);

static inline void
shim_populate_touch(struct shim_populate *p, uintptr_t addr, uintptr_t lo,
		uintptr_t hi)
{
	if (addr - p->done_lo >= p->done_hi - p->done_lo)
		shim_populate_page(p, addr, lo, hi);
}

/* how many madvise calls populated pages (for tests) */
uint64_t shim_populate_calls(void);

#endif
