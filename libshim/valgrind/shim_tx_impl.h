/*
 * shim_tx_impl.h -- what shim_tx.c (transactions) and shim_tx_not_pmem.c
 * (REMOVE_PMEM_MAPPING) share: ranges in region space, the walk over a
 * program range's emulated parts and the test of a range against a table
 * of them; all under shim_lock
 */
#ifndef PMEMU_SHIM_TX_IMPL_H
#define PMEMU_SHIM_TX_IMPL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim_region.h"

struct tx_range {
	uint32_t region;
	uint64_t lo, hi;       /* file offsets [lo, hi) */
};

/*
 * tx_for_each_region_piece -- fn for each part of [addr, addr+len) in an
 * emulated mapping: the mapping, the part's program addresses [lo, hi)
 * and its region range. Memory outside (DRAM) is skipped a page at a
 * time: mappings are page aligned.
 */
typedef void (*piece_fn)(struct shim_mapping *m, uintptr_t lo, uintptr_t hi,
		const struct tx_range *r, void *ctx);

static inline void
tx_for_each_region_piece(const void *addr, size_t len, piece_fn fn, void *ctx)
{
	uintptr_t a = (uintptr_t)addr, end = a + len;
	while (a < end) {
		struct shim_mapping *m = (struct shim_mapping *)
			shim_mapping_lookup((void *)a);
		if (m == NULL) {
			a = (a | (SHIM_PAGE_LEN - 1)) + 1;
			continue;
		}
		uintptr_t hi = m->base + m->len < end ? m->base + m->len : end;
		struct tx_range r = { m->region->id,
			m->file_off + (a - m->base),
			m->file_off + (hi - m->base) };
		fn(m, a, hi, &r, ctx);
		a = hi;
	}
}

/*
 * tx_uncovered -- shrinks [*lo, *hi) of region to its first part that no
 * range of table covers; false when all of it is covered
 */
static inline bool
tx_uncovered(const struct tx_range *table, size_t n, uint32_t region,
		uint64_t *lo, uint64_t *hi)
{
	bool moved = true;
	while (moved && *lo < *hi) {
		moved = false;
		for (size_t i = 0; i < n; i++) {
			const struct tx_range *r = &table[i];
			if (r->region != region || r->lo > *lo || r->hi <= *lo)
				continue;
			*lo = r->hi; /* covered up to r->hi */
			moved = true;
		}
	}
	return *lo < *hi;
}

/* shim_tx_not_pmem.c: tx_uncovered against the parts of pools declared
 * not pmem */
bool tx_not_pmem_uncovered(uint32_t region, uint64_t *lo, uint64_t *hi);
/* SET_CLEAN of every not-pmem part (END_TX) */
void tx_not_pmem_clean_all(void);

#endif
