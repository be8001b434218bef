/*
 * shim_dirty_twin.c -- where the twins of open pages live: a pool of
 * resident pages recycled from settled pages to newly opened ones, and
 * each mapping's own sparse area when the pool is empty
 *
 * A twin is needed only while its page is open: the opening copies the
 * whole page into it, the settle that protects the page again is its
 * last reader. Twins at a fixed place per page (m->twin_area + pg * 4096)
 * had to be given back when settled (MADV_DONTNEED, or a pool written
 * over and over keeps a twin of every page), and every later opening
 * paid a fault for a fresh zero page: on the raw program (64 MiB x 16
 * passes) ~200,000 faults, ~1.3 us each, and the madvise calls
 * (docs/performance.md, "Twins from a pool"). So an opening takes a
 * page of the pool (POOL_PAGES, 16 MiB at most, touched as used) and the
 * settle puts it back: a free list, a stack pushed under shim_lock and
 * popped by the fault handler, lock-free (compare-and-swap on its head,
 * with a count against ABA), so a handler never waits and never
 * allocates. A page's slot is in m->page_twin (4 bytes a page). When the
 * pool is empty (more than POOL_PAGES pages open at once), the page's
 * twin is at m->twin_area + pg * 4096 as before: settled, such twins are
 * queued, and a full queue gives them back in runs of adjacent pages,
 * one madvise a run, skipping pages opened again meanwhile (their twins
 * are in use). Memory: the pool's pages used, plus the fallback twins
 * of pages open at once, plus DROP_BATCH.
 */
#include <stdbool.h>
#include <sys/mman.h>

#include "real.h"
#include "shim_far.h"
#include "shim_dirty.h"
#include "shim_dirty_impl.h"

#define POOL_PAGES 4096u /* 16 MiB */
#define DROP_BATCH 256

uint8_t *shim_dirty_twin_pool;
/* the free list: the top slot + 1 in the low half (0: empty), a count
 * of pops and pushes in the high half (a pop that read a top which went
 * and came back meanwhile fails its compare-and-swap) */
static uint64_t free_head;
static uint32_t *free_next; /* per slot: the slot below it + 1, 0: none */

static struct {
	struct shim_mapping *m;
	size_t pg;
} drops[DROP_BATCH];
static unsigned ndrops;

void
shim_dirty_twin_pool_init(void)
{
	if (shim_dirty_twin_pool != NULL)
		return;
	size_t len = (size_t)POOL_PAGES * (SHIM_PAGE_LEN + sizeof(uint32_t));
	void *p = shim_far_mmap(len, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return; /* every twin in its mapping's area */
	free_next = (uint32_t *)((uint8_t *)p +
		(size_t)POOL_PAGES * SHIM_PAGE_LEN);
	for (uint32_t i = 0; i + 1 < POOL_PAGES; i++)
		free_next[i] = i + 2;
	shim_dirty_twin_pool = p;
	__atomic_store_n(&free_head, 1, __ATOMIC_RELEASE);
}

/* pop -- a free slot + 1, 0 when there is none (async-signal-safe) */
static uint32_t
pop(void)
{
	uint64_t h = __atomic_load_n(&free_head, __ATOMIC_ACQUIRE);
	for (;;) {
		uint32_t top = (uint32_t)h;
		if (top == 0)
			return 0;
		uint32_t below = __atomic_load_n(&free_next[top - 1],
			__ATOMIC_RELAXED);
		uint64_t next = ((h >> 32) + 1) << 32 | below;
		if (__atomic_compare_exchange_n(&free_head, &h, next, false,
				__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return top;
	}
}

/* push -- slot + 1 is free again; its twin was read for the last time
 * (a handler may pop concurrently) */
static void
push(uint32_t slot)
{
	uint64_t h = __atomic_load_n(&free_head, __ATOMIC_RELAXED);
	uint64_t next;
	do {
		__atomic_store_n(&free_next[slot - 1], (uint32_t)h,
			__ATOMIC_RELAXED);
		next = ((h >> 32) + 1) << 32 | slot;
	} while (!__atomic_compare_exchange_n(&free_head, &h, next, false,
			__ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

void
shim_dirty_twin_take(struct shim_mapping *m, size_t pg)
{
	if (m->page_twin[pg] != 0)
		return;
	uint32_t slot = pop();
	if (slot == 0)
		return;
	__atomic_store_n(&m->page_twin[pg], slot, __ATOMIC_RELAXED);
	__atomic_add_fetch(&m->twins_pooled, 1, __ATOMIC_RELAXED);
}

/* unpool -- page pg of m gives its pool slot back, if it has one */
static bool
unpool(struct shim_mapping *m, size_t pg)
{
	uint32_t slot = m->page_twin[pg];
	if (slot == 0)
		return false;
	__atomic_store_n(&m->page_twin[pg], 0, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&m->twins_pooled, 1, __ATOMIC_RELAXED);
	push(slot);
	return true;
}

/* hold -- page pg of m held (BUSY) if it is still settled: a page opened
 * again meanwhile uses its twin */
static bool
hold(struct shim_mapping *m, size_t pg)
{
	uint8_t s = SHIM_PAGE_CLEAN;
	return __atomic_compare_exchange_n(&m->page_state[pg], &s,
		SHIM_PAGE_BUSY, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* give_back -- the fallback twins of pages [pg, pg + n) of m, all held;
 * a fault handler that opens one meanwhile waits for it (BUSY) */
static void
give_back(struct shim_mapping *m, size_t pg, size_t n)
{
	REAL(madvise)(m->twin_area + pg * SHIM_PAGE_LEN, n * SHIM_PAGE_LEN,
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
	if (unpool(m, pg))
		return;
	if (ndrops == DROP_BATCH)
		drop_all();
	drops[ndrops].m = m;
	drops[ndrops].pg = pg;
	ndrops++;
}

void
shim_dirty_twin_forget(struct shim_mapping *m)
{
	if (m->page_twin != NULL && __atomic_load_n(&m->twins_pooled,
			__ATOMIC_RELAXED) > 0)
		for (size_t pg = 0; pg < shim_dirty_npages(m); pg++)
			(void)unpool(m, pg);
	unsigned k = 0;
	for (unsigned i = 0; i < ndrops; i++)
		if (drops[i].m != m)
			drops[k++] = drops[i];
	ndrops = k;
}
