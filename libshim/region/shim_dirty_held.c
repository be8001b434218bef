/*
 * shim_dirty_held.c -- a whole page's flush while a persist's batch is
 * held (pmem_persist of a range: shim_ev_persist, lock held from its
 * flush to its fence), and what its settle at that fence may take from
 * it
 *
 * While a batch is held the model alone sees events: no trace, no hook
 * reads a twin. So the flush's compare refreshes the twin in the same
 * pass (shim_page_refresh), the page's lines go to the batch in one call
 * (shim_emit_held_lines) and the next page's twin is prefetched meanwhile
 * (a 64 MiB sweep of DRAM between persists leaves every twin cold, and
 * the hardware prefetcher stops at a page's end).
 *
 * The fence's settle of such a page would compare it again: it finds
 * only a store made since by another thread (this one is in the shim
 * from the flush to the fence). That store is seen by the page's next
 * settle or flush instead, as if it had come just after the fence,
 * which another thread's unordered store may: the page stays open and
 * queued (stay_hot), or is compared when protected again (settle_page).
 */
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_dirty_cmp.h"
#include "shim_dirty_impl.h"
#include "shim_emit.h"
#include "shim_line_site.h"
#include "shim_view.h"

struct shim_dirty_fresh shim_dirty_fresh;

/* noted -- page pg of m was compared and its twin refreshed */
static void
noted(const struct shim_mapping *m, size_t pg)
{
	struct shim_dirty_fresh *f = &shim_dirty_fresh;
	if (f->m == NULL)
		f->m = m, f->lo = pg, f->hi = pg + 1;
	else if (f->m == m && f->hi == pg)
		f->hi++;
	/* else: not noted, compared again at the fence */
}

/* changed_lines -- the lines (a bit each) that hold a changed chunk */
static uint64_t
changed_lines(uint64_t chunks, uint32_t line)
{
	uint32_t k = SHIM_PAGE_LEN / line, per = line / SHIM_CMP_CHUNK;
	if (per == 1)
		return chunks;
	uint64_t mine = per == 64 ? ~(uint64_t)0 : ((uint64_t)1 << per) - 1;
	uint64_t changed = 0;
	for (uint32_t j = 0; j < k; j++, chunks >>= per)
		if (chunks & mine)
			changed |= (uint64_t)1 << j;
	return changed;
}

uint64_t
shim_dirty_flush_held(struct shim_mapping *m, size_t pg, uintptr_t page,
		uint32_t evidence)
{
	const uint8_t *ahead = NULL; /* the next page's twin, if it has one */
	if (pg + 1 < shim_dirty_npages(m) && shim_page_has_twin(
			__atomic_load_n(&m->page_state[pg + 1], __ATOMIC_RELAXED)))
		ahead = shim_dirty_twin(m, page + SHIM_PAGE_LEN);
	uint32_t line = m->region->line_len; /* 64..4096 */
	uint32_t k = SHIM_PAGE_LEN / line;
	uint64_t changed = changed_lines(shim_page_refresh(
			(const uint8_t *)page, shim_dirty_twin(m, page), ahead),
			line);
	noted(m, pg);
	uint32_t sites[SHIM_PAGE_LEN / SHIM_CMP_CHUNK];
	for (uint32_t j = 0; j < k; j++)
		sites[j] = m->page_site[pg]; /* a same value's */
	uint64_t exact = shim_line_sites_of(m, pg, changed, evidence, sites);
	uint64_t off = m->file_off + (page - m->base);
	if (!shim_emit_held_lines(m->region->id, off, k, sites, exact)) {
		for (uint32_t j = 0; j < k; j++) {
			uintptr_t a = page + j * line;
			if ((changed >> j) & 1)
				shim_emit_changed_line(m, a, line, sites[j],
						(exact >> j) & 1);
			else
				shim_emit_same_value(m, a, line, sites[j]);
		}
	} else if (changed != 0 && off % SHIM_PAGE_LEN == 0) {
		shim_media_mark(m->region, off, line); /* one page */
	} else {
		for (uint64_t c = changed; c != 0; c &= c - 1)
			shim_media_mark(m->region, off +
				(uint64_t)__builtin_ctzll(c) * line, line);
	}
	return changed;
}
