/*
 * shim_tx_not_pmem.c -- REMOVE_PMEM_MAPPING of a part of a pool: run-time
 * state, made clean when it is declared, at each later removal and at
 * every END_TX, and never counted in a transaction (shim_tx.h). Under
 * shim_lock, as shim_tx.c.
 */
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_tx.h"
#include "shim_tx_impl.h"

#define TX_NOT_PMEM 256    /* parts of pools declared not pmem */

static size_t nnot_pmem;
static struct tx_range not_pmem[TX_NOT_PMEM];
/* part i lies in one before it: END_TX leaves it out (set once: parts
 * are only appended) */
static bool inside_earlier_part[TX_NOT_PMEM];

bool
tx_not_pmem_uncovered(uint32_t region, uint64_t *lo, uint64_t *hi)
{
	return tx_uncovered(not_pmem, nnot_pmem, region, lo, hi);
}

/* clean_not_pmem -- SET_CLEAN for the not-pmem parts of r (settled) */
static void
clean_not_pmem(const struct tx_range *r)
{
	for (size_t i = 0; i < nnot_pmem; i++) {
		const struct tx_range *n = &not_pmem[i];
		uint64_t lo = n->lo > r->lo ? n->lo : r->lo;
		uint64_t hi = n->hi < r->hi ? n->hi : r->hi;
		if (n->region != r->region || lo >= hi)
			continue;
		struct model_event ev = { .kind = MODEL_EV_SET_CLEAN,
			.tid = shim_tid(), .region = r->region, .off = lo,
			.len = hi - lo };
		shim_emit_locked(&ev);
	}
}

/* inside_earlier -- not-pmem part i lies in one before it in the table */
static bool
inside_earlier(size_t i)
{
	const struct tx_range *r = &not_pmem[i];
	for (size_t j = 0; j < i; j++) {
		const struct tx_range *n = &not_pmem[j];
		if (n->region == r->region && n->lo <= r->lo && r->hi <= n->hi)
			return true;
	}
	return false;
}

static void
remove_piece(struct shim_mapping *m, uintptr_t lo, uintptr_t hi,
		const struct tx_range *r, void *ctx)
{
	(void)lo, (void)hi, (void)ctx;
	/* a part of a pool (not the whole mapping, which is an unmapping
	 * notice) is run-time state from now on */
	if ((r->lo != m->file_off || r->hi != m->file_off + m->len) &&
			nnot_pmem < TX_NOT_PMEM) {
		not_pmem[nnot_pmem] = *r;
		inside_earlier_part[nnot_pmem] = inside_earlier(nnot_pmem);
		nnot_pmem++;
	}
	clean_not_pmem(r);
}

void
shim_pmem_remove(const void *addr, size_t len)
{
	shim_lock();
	shim_dirty_settle_all(); /* stores so far are events, snapshotted */
	tx_for_each_region_piece(addr, len, remove_piece, NULL);
	shim_unlock();
}

/*
 * tx_not_pmem_clean_all -- SET_CLEAN of every not-pmem part (settled), once
 * each. What clean_not_pmem of each part in turn would emit besides the
 * part itself are its overlaps with the others: each lies in a part
 * cleaned before it in this pass or is cleaned with its own part, and
 * nothing comes between, so those events change nothing (SET_CLEAN of
 * clean, closed lines); a part inside an earlier one is left out too.
 * libpmemobj declares parts inside others (bench_obj: four inside one
 * of 1,504 bytes): n parts made up to n * n events at every END_TX.
 */
void
tx_not_pmem_clean_all(void)
{
	for (size_t i = 0; i < nnot_pmem; i++) {
		const struct tx_range *n = &not_pmem[i];
		if (inside_earlier_part[i])
			continue;
		struct model_event ev = { .kind = MODEL_EV_SET_CLEAN,
			.tid = shim_tid(), .region = n->region, .off = n->lo,
			.len = n->hi - n->lo };
		shim_emit_locked(&ev);
	}
}

