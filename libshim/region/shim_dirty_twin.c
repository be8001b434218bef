/*
 * shim_dirty_twin.c -- what becomes of the twins of settled pages (under
 * shim_lock)
 *
 * A page protected again no longer needs its twin. Dropping each one as
 * it was settled cost an madvise per page and, at the page's next
 * opening, a fault for a fresh zero page: ~11 % of a sequential writer's
 * run (run_bench.py libpmem, every page written again each pass). So the
 * first KEEP_PAGES pages settled keep their twins resident (the next
 * opening overwrites it: no fault, no call); past that, settled pages are
 * queued, and a full queue gives their twins back in runs of adjacent
 * pages, one madvise(MADV_DONTNEED) a run, skipping pages opened again
 * meanwhile (their twins are in use). Memory: the pages dirty at once,
 * plus at most KEEP_PAGES + DROP_BATCH twins (17 MiB). MADV_FREE is not
 * used: its pages stay in the resident set until the kernel runs short,
 * so a pool written once would keep a twin of every page.
 */
#include <stdbool.h>
#include <sys/mman.h>

#include "shim_dirty.h"
#include "shim_dirty_impl.h"

#define KEEP_PAGES 4096 /* 16 MiB */
#define DROP_BATCH 256

static size_t kept_total; /* twin_kept bits set, every mapping */

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
	uint64_t bit = (uint64_t)1 << (pg % 64);
	if (m->twin_kept[pg / 64] & bit)
		return;
	if (kept_total < KEEP_PAGES) {
		m->twin_kept[pg / 64] |= bit;
		m->twins_kept++;
		kept_total++;
		return;
	}
	if (ndrops == DROP_BATCH)
		drop_all();
	drops[ndrops].m = m;
	drops[ndrops].pg = pg;
	ndrops++;
}

void
shim_dirty_twin_forget(struct shim_mapping *m)
{
	kept_total -= m->twins_kept;
	m->twins_kept = 0;
	unsigned k = 0;
	for (unsigned i = 0; i < ndrops; i++)
		if (drops[i].m != m)
			drops[k++] = drops[i];
	ndrops = k;
}
