/*
 * shim_batch.c -- the model events of one persist (pmem_persist of a
 * range of one mapping, under shim_lock), held back: the untraced stores
 * its diff finds in its lines, its flush, its fence. When they come in
 * that order and nothing else reaches the model between them, they go to
 * it in one call, model_apply_persist_run, which walks the range once
 * (and takes a durable line to durable again without opening it);
 * anything else, an event or a look at the model (shim_model), has the
 * held events applied one by one first, in their order, so the model
 * always sees the events as they came. Only when nothing but the model
 * sees them (no trace, the event hooks quiet: shim_emit_batch_begin), so
 * the held events go to the model alone.
 */
#include <string.h>

#include "shim_batch.h"

bool shim_batch_on;

static struct {
	uint32_t tid, region;
	unsigned shift;
	uint64_t off, len;         /* the persisted range */
	uint64_t first;            /* its first line's number */
	uint64_t nlines;
	uint64_t next;             /* the next store's line, at least */
	bool flushed;
	struct model_event flush;
	uint32_t *sites;           /* of a shim_batch_lines */
	uint64_t *stored, *exact;
} batch; /* under shim_lock */

bool
shim_batch_begin(struct shim_batch_lines *lines, uint32_t tid,
		uint32_t region, uint64_t off, uint64_t len, unsigned line_shift)
{
	uint64_t first = off >> line_shift;
	uint64_t nlines = len == 0 ? 0 :
		((off + len - 1) >> line_shift) - first + 1;
	if (nlines == 0 || nlines > SHIM_BATCH_LINES)
		return false;
	batch.tid = tid;
	batch.region = region;
	batch.shift = line_shift;
	batch.off = off;
	batch.len = len;
	batch.first = first;
	batch.nlines = nlines;
	batch.next = first;
	batch.flushed = false;
	batch.sites = lines->sites;
	batch.stored = lines->stored;
	batch.exact = lines->exact;
	if (nlines <= 64) { /* a persist of a line: no memset's start-up */
		batch.stored[0] = batch.exact[0] = 0;
	} else {
		memset(batch.stored, 0, (nlines + 63) / 64 * sizeof(uint64_t));
		memset(batch.exact, 0, (nlines + 63) / 64 * sizeof(uint64_t));
	}
	shim_batch_on = true;
	return true;
}

bool
shim_batch_held(uint32_t tid)
{
	return shim_batch_on && batch.tid == tid;
}

/* take_store -- an untraced store of one whole line of the range, after
 * the lines stored so far and before the flush */
static bool
take_store(const struct model_event *ev)
{
	uint64_t n = ev->off >> batch.shift;
	if (ev->data != NULL || batch.flushed || ev->len != 1u << batch.shift ||
			ev->off != n << batch.shift || n < batch.next ||
			n - batch.first >= batch.nlines)
		return false;
	uint64_t i = n - batch.first;
	batch.sites[i] = ev->site;
	batch.stored[i / 64] |= 1ull << (i % 64);
	batch.next = n + 1;
	return true;
}

/* apply -- the whole batch to m, ended by the fence ev */
static void
apply(struct model *m, const struct model_event *ev)
{
	struct model_persist_run run = { .tid = batch.tid,
		.region = batch.region, .off = batch.off, .len = batch.len,
		.flush = batch.flush.kind, .fence = ev->kind,
		.flush_site = batch.flush.site, .fence_site = ev->site,
		.sites = batch.sites, .stored = batch.stored,
		.exact = batch.exact };
	shim_batch_on = false;
	(void)model_apply_persist_run(m, &run);
}

bool
shim_batch_take(struct model *m, const struct model_event *ev)
{
	bool ours = ev->tid == batch.tid;
	switch (ev->kind) {
	case MODEL_EV_STORE:
		if (ours && ev->region == batch.region && take_store(ev))
			return true;
		break;
	case MODEL_EV_CLWB:
	case MODEL_EV_CLFLUSHOPT:
		if (ours && !batch.flushed && ev->region == batch.region &&
				ev->off == batch.off && ev->len == batch.len) {
			batch.flushed = true;
			batch.flush = *ev;
			return true;
		}
		break;
	case MODEL_EV_SFENCE:
	case MODEL_EV_MFENCE:
	case MODEL_EV_LOCKED:
		if (ours && batch.flushed && ev->region == MODEL_REGION_ALL) {
			apply(m, ev);
			return true;
		}
		break;
	default:
		break;
	}
	shim_batch_spill(m);
	return false;
}

/* set_bits -- bits (k of them, k <= 64) into map from bit i on */
static void
set_bits(uint64_t *map, uint64_t i, uint32_t k, uint64_t bits)
{
	map[i / 64] |= bits << (i % 64);
	if (i % 64 + k > 64)
		map[i / 64 + 1] |= bits >> (64 - i % 64);
}

bool
shim_batch_take_lines(uint32_t tid, uint32_t region, uint64_t off,
		uint32_t k, const uint32_t *sites, uint64_t exact)
{
	uint64_t n = off >> batch.shift;
	if (!shim_batch_on || tid != batch.tid || region != batch.region ||
			batch.flushed || k == 0 || k > 64 ||
			off != n << batch.shift || n < batch.next ||
			n - batch.first >= batch.nlines ||
			batch.nlines - (n - batch.first) < k)
		return false;
	uint64_t i = n - batch.first;
	uint64_t all = k == 64 ? ~(uint64_t)0 : ((uint64_t)1 << k) - 1;
	memcpy(&batch.sites[i], sites, k * sizeof(*sites));
	set_bits(batch.stored, i, k, all);
	set_bits(batch.exact, i, k, exact & all);
	batch.next = n + k;
	/* the next page's sites, while this one's are written: a store
	 * that misses holds up the next locked instruction (page_hold) */
	for (uint64_t j = i + k; j < i + 2 * k && j < batch.nlines; j += 16)
		__builtin_prefetch(&batch.sites[j], 1);
	return true;
}

bool
shim_batch_site_exact(uint32_t region, uint64_t off, uint32_t site)
{
	uint64_t n = off >> batch.shift;
	if (batch.flushed || region != batch.region || n + 1 != batch.next ||
			n < batch.first)
		return false;
	uint64_t i = n - batch.first;
	if (!((batch.stored[i / 64] >> (i % 64)) & 1) || batch.sites[i] != site)
		return false;
	batch.exact[i / 64] |= 1ull << (i % 64);
	return true;
}

void
shim_batch_spill(struct model *m)
{
	shim_batch_on = false;
	for (uint64_t i = 0; i < batch.nlines; i++) {
		if (!((batch.stored[i / 64] >> (i % 64)) & 1))
			continue;
		struct model_event ev = { .kind = MODEL_EV_STORE,
			.tid = batch.tid, .site = batch.sites[i],
			.region = batch.region,
			.off = (batch.first + i) << batch.shift,
			.len = 1u << batch.shift };
		(void)model_apply(m, &ev);
		if ((batch.exact[i / 64] >> (i % 64)) & 1)
			model_store_site_exact(m, batch.region, ev.off,
					ev.site);
	}
	if (batch.flushed)
		(void)model_apply(m, &batch.flush);
}
