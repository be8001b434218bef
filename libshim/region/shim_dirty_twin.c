/*
 * shim_dirty_twin.c -- dropping the twins of settled pages, in batches
 * (under shim_lock)
 *
 * A page protected again no longer needs its twin. Dropping each one as
 * it was settled cost an madvise per page (~4 % of a sequential writer's
 * run, run_bench.py libpmem). Settled pages are queued instead; a full
 * queue gives their twins back in runs of adjacent pages, one
 * madvise(MADV_DONTNEED) a run, skipping pages opened again meanwhile
 * (their twins are in use). Memory stays proportional to the pages dirty
 * at once, plus DROP_BATCH pages. (MADV_FREE would also spare the
 * zero-fill fault at a page's next opening, ~5 % more, but its pages stay
 * in the resident set until the kernel runs short: a pool written once
 * would keep a twin of every page, docs/performance.md "Memory".)
 */
#include <stdbool.h>
#include <sys/mman.h>

#include "shim_dirty.h"
#include "shim_dirty_impl.h"

#define DROP_BATCH 256

static struct {
	struct shim_mapping *m;
	size_t pg;
} drops[DROP_BATCH];
static unsigned ndrops;

/* hold -- page pg of m held (BUSY) if it is still settled: a page opened
 * again meanwhile uses its twin */
static bool
hold(struct shim_mapping *m, size_t pg)
{
	uint8_t s = SHIM_PAGE_CLEAN;
	return __atomic_compare_exchange_n(&m->page_state[pg], &s,
		SHIM_PAGE_BUSY, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* give_back -- the twins of pages [pg, pg + n) of m, all held; a fault
 * handler that opens one meanwhile waits for it (BUSY) */
static void
give_back(struct shim_mapping *m, size_t pg, size_t n)
{
	madvise(m->twin + pg * SHIM_PAGE_LEN, n * SHIM_PAGE_LEN,
		MADV_DONTNEED);
	for (size_t i = 0; i < n; i++)
		__atomic_store_n(&m->page_state[pg + i], SHIM_PAGE_CLEAN,
			__ATOMIC_RELEASE);
}

static void
drop_all(void)
{
	struct shim_mapping *run_m = NULL;
	size_t run_pg = 0, run_n = 0;
	for (unsigned i = 0; i < ndrops; i++) {
		struct shim_mapping *m = drops[i].m;
		size_t pg = drops[i].pg;
		if (!hold(m, pg))
			continue;
		if (m == run_m && pg == run_pg + run_n) {
			run_n++;
			continue;
		}
		if (run_n > 0)
			give_back(run_m, run_pg, run_n);
		run_m = m, run_pg = pg, run_n = 1;
	}
	if (run_n > 0)
		give_back(run_m, run_pg, run_n);
	ndrops = 0;
}

void
shim_dirty_twin_drop(struct shim_mapping *m, size_t pg)
{
	if (ndrops == DROP_BATCH)
		drop_all();
	drops[ndrops].m = m;
	drops[ndrops].pg = pg;
	ndrops++;
}

void
shim_dirty_twin_forget(const struct shim_mapping *m)
{
	unsigned k = 0;
	for (unsigned i = 0; i < ndrops; i++)
		if (drops[i].m != m)
			drops[k++] = drops[i];
	ndrops = k;
}
