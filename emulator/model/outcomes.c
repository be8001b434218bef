/*
 * outcomes.c -- what a power failure now may leave of each line
 * (docs/model.md, "What a crash may leave")
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"

static int
open_cmp(const void *a, const void *b)
{
	const struct model_open_line *x = a, *y = b;
	if (x->region != y->region)
		return x->region < y->region ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

size_t
model_open_lines(const struct model *m, struct model_open_line *out,
		size_t max)
{
	size_t n = 0;
	for (uint32_t k = 0; k < m->nopen; k++) {
		const struct open_line *ol = &m->open[k];
		uint32_t li = ol->li;
		const struct line_state *l = &m->lines[li];
		MODEL_ASSERT(l->vcount > ol->durable_v);
		if (n < max) {
			uint32_t region = line_region(l);
			struct model_open_line *o = &out[n];
			const struct line_hist *h = hist_of_const(m, li);
			*o = (struct model_open_line){
				.region = region,
				.off = line_number(l) << m->regions[region].line_shift,
				.versions = (uint32_t)(l->vcount - ol->durable_v),
				.dirty = l->dirty, .in_flight = ol->wb_head != 0,
				.store_site = ol->undurable_site,
				.flush_site = l->flush_site, .flush_tid = l->flush_tid };
			for (uint32_t i = 0; h && i < h->n; i++) {
				if (!h->ver[i].known)
					o->unexplored = true;
				if (i == 0 && h->ver[0].site)
					o->store_site = h->ver[0].site;
			}
			if (h && h->uncertain)
				o->unexplored = true;
		}
		n++;
	}
	qsort(out, n < max ? n : max, sizeof(*out), open_cmp);
	return n;
}

struct emitter {
	struct model_outcome *out;
	size_t max, n;
};

static void
emit(struct emitter *e, enum model_outcome_kind k, uint32_t point,
		uint64_t pieces)
{
	if (e->n < e->max)
		e->out[e->n] = (struct model_outcome){ k, point, pieces };
	e->n++;
}

/* emit_subsets -- non-empty proper subsets of P (none when P has fewer
 * than 2 units; singles and their complements when P is wide) */
static void
emit_subsets(struct emitter *e, uint32_t point, uint64_t p)
{
	if (__builtin_popcountll(p) < 2)
		return;
	if (__builtin_popcountll(p) > 10) {
		for (uint64_t b = p; b; b &= b - 1) {
			uint64_t bit = b & -b;
			emit(e, MODEL_OUT_TORN, point, bit);
			emit(e, MODEL_OUT_TORN, point, p & ~bit);
		}
		return;
	}
	for (uint64_t s = (0 - p) & p; s != p; s = (s - p) & p)
		emit(e, MODEL_OUT_TORN, point, s);
}

static bool
version_known(const struct model *m, uint32_t li, uint64_t v)
{
	bool known;
	hist_content(m, li, v, &known);
	return known;
}

/* units_differing -- the units (of unit_len bytes) of a line where
 * versions `from` and `to` differ; 0 if either is unknown */
static uint64_t
units_differing(const struct model *m, uint32_t li, uint64_t from,
		uint64_t to, uint32_t unit_len)
{
	bool known_from, known_to;
	const uint8_t *a = hist_content(m, li, from, &known_from);
	const uint8_t *b = hist_content(m, li, to, &known_to);
	if (!known_from || !known_to)
		return 0;
	uint32_t line_len = m->regions[line_region(&m->lines[li])].line_len;
	uint64_t mask = 0;
	for (uint32_t u = 0; u * unit_len < line_len && u < 64; u++)
		if (memcmp(a + u * unit_len, b + u * unit_len, unit_len) != 0)
			mask |= 1ull << u;
	return mask;
}

/* emit_torn -- per version: a page-cache write-back by sector over D; a
 * wide store by its 8-byte pieces over the version before it, only the
 * pieces whose bytes it changed (a piece rewriting equal bytes tears
 * nothing: MODEL.md, "The crash-state space", 4) */
static void
emit_torn(const struct model *m, uint32_t li, struct emitter *e)
{
	const struct line_state *l = &m->lines[li];
	const struct line_hist *h = hist_of_const(m, li);
	uint64_t dv = line_durable_v(m, li);
	bool pagecache = m->regions[line_region(l)].domain ==
		MODEL_DOMAIN_PAGECACHE;
	for (uint32_t k = 1; k <= h->n; k++) {
		uint64_t v = dv + k;
		const struct version *ver = &h->ver[k - 1];
		if (!ver->known)
			continue;
		if (pagecache)
			emit_subsets(e, k, units_differing(m, li, dv,
					v, m->cfg.sector_len));
		else if (ver->tearable)
			emit_subsets(e, k, ver->pieces &
					units_differing(m, li, v - 1, v, 8));
	}
}

size_t
model_line_outcomes(const struct model *m, uint32_t region, uint64_t off,
		unsigned strategies, struct model_outcome *out, size_t max)
{
	struct emitter e = { out, max, 0 };
	emit(&e, MODEL_OUT_LOST, 0, 0);
	const struct region *r = model_region(m, region);
	if (r == NULL)
		return e.n;
	uint32_t li = line_find(m, region, off >> r->line_shift);
	const struct open_line *ol = li == UINT32_MAX ? NULL :
		line_open_of(m, li);
	if (ol == NULL || !m->cfg.contents)
		return e.n;
	const struct line_hist *h = hist_of_const(m, li);
	bool wb_known = false;
	uint64_t last = 0;
	for (uint32_t w = ol->wb_head; w; w = m->wbs[w].next_line) {
		uint64_t v = m->wbs[w].v;
		bool known = v != last && version_known(m, li, v);
		if (known && (strategies & MODEL_STRAT_INFLIGHT))
			emit(&e, MODEL_OUT_WB, (uint32_t)(v - ol->durable_v), 0);
		wb_known |= known;
		last = v;
	}
	if (strategies & MODEL_STRAT_EVICTION) {
		for (uint32_t k = 1; k <= h->n; k++)
			if (h->ver[k - 1].known)
				emit(&e, MODEL_OUT_EVICT, k, 0);
	} else if (r->domain == MODEL_DOMAIN_CXL && h->n > 0 &&
			h->ver[h->n - 1].known)
		/* a Global Persistent Flush that succeeds writes the view
		 * back, whatever the strategy (docs/model.md, "cxl") */
		emit(&e, MODEL_OUT_EVICT, h->n, 0);
	if (strategies & MODEL_STRAT_TORN)
		emit_torn(m, li, &e);
	/* a line whose write-back was in flight may be left poisoned:
	 * exactly the lines `inflight` offers an outcome for (MODEL.md) */
	if ((strategies & MODEL_STRAT_POISON) && wb_known)
		emit(&e, MODEL_OUT_POISON, 0, 0);
	return e.n;
}

/* copy_pieces -- bytes of `src` in the units of `mask` over `dst` */
static void
copy_pieces(uint8_t *dst, const uint8_t *src, uint64_t mask, uint32_t unit)
{
	for (; mask; mask &= mask - 1) {
		unsigned b = (unsigned)__builtin_ctzll(mask);
		memcpy(dst + b * unit, src + b * unit, unit);
	}
}

int
model_outcome_content(const struct model *m, uint32_t region, uint64_t off,
		const struct model_outcome *o, uint8_t *buf)
{
	const struct region *r = model_region(m, region);
	if (r == NULL || !m->cfg.contents)
		return -EINVAL;
	uint32_t li = line_find(m, region, off >> r->line_shift);
	if (li == UINT32_MAX || hist_of_const(m, li) == NULL) {
		/* untouched: the media as it was */
		if (o->kind != MODEL_OUT_LOST)
			return -EINVAL;
		if (m->media_read)
			m->media_read(m->media_ctx, region,
					off & ~(uint64_t)(r->line_len - 1), buf,
					r->line_len);
		else
			memset(buf, 0, r->line_len);
		return 0;
	}
	uint64_t dv = line_durable_v(m, li);
	bool known = false;
	const uint8_t *d = hist_content(m, li, dv, &known);
	if (o->kind == MODEL_OUT_LOST) {
		memcpy(buf, d, r->line_len);
		return 0;
	}
	if (o->kind == MODEL_OUT_POISON) {
		if (o->point != 0)
			return -EINVAL;
		for (uint32_t i = 0; i < r->line_len; i++)
			buf[i] = MODEL_POISON_BYTE(i);
		return 0;
	}
	const uint8_t *c = hist_content(m, li, dv + o->point, &known);
	if (c == NULL || !known || o->point == 0)
		return -EINVAL;
	if (o->kind != MODEL_OUT_TORN) {
		memcpy(buf, c, r->line_len);
		return 0;
	}
	if (r->domain == MODEL_DOMAIN_PAGECACHE) {
		memcpy(buf, d, r->line_len);
		copy_pieces(buf, c, o->pieces, m->cfg.sector_len);
		return 0;
	}
	const uint8_t *base = hist_content(m, li, dv + o->point - 1,
			&known);
	if (base == NULL || !known)
		return -EINVAL;
	memcpy(buf, base, r->line_len);
	copy_pieces(buf, c, o->pieces, 8);
	return 0;
}

uint32_t
model_version_site(const struct model *m, uint32_t region, uint64_t off,
		uint32_t point)
{
	const struct region *r = model_region(m, region);
	if (r == NULL || !m->cfg.contents)
		return 0;
	uint32_t li = line_find(m, region, off >> r->line_shift);
	const struct line_hist *h = li == UINT32_MAX ? NULL :
		hist_of_const(m, li);
	if (h == NULL || point == 0 || point > h->n)
		return 0;
	return h->ver[point - 1].site;
}

int
model_line_durable(const struct model *m, uint32_t region, uint64_t off,
		uint8_t *buf)
{
	const struct region *r = model_region(m, region);
	if (r == NULL || !m->cfg.contents)
		return -EINVAL;
	uint32_t li = line_find(m, region, off >> r->line_shift);
	const struct line_hist *h = li == UINT32_MAX ? NULL :
		hist_of_const(m, li);
	if (h == NULL)
		return -ENOENT;
	memcpy(buf, h->durable, r->line_len);
	return 0;
}

struct durable_ref {
	uint64_t key;
	uint32_t li;
};

static int
durable_cmp(const void *a, const void *b)
{
	const struct durable_ref *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

void
model_for_each_durable(const struct model *m, model_line_fn fn, void *ctx)
{
	if (!m->cfg.contents || m->nlines == 0)
		return;
	struct durable_ref *refs = calloc(m->nlines, sizeof(*refs));
	MODEL_ASSERT(refs != NULL);
	uint32_t n = 0;
	for (uint32_t li = 0; li < m->nlines; li++)
		if (hist_of_const(m, li))
			refs[n++] = (struct durable_ref){ m->lines[li].key, li };
	qsort(refs, n, sizeof(*refs), durable_cmp);
	for (uint32_t i = 0; i < n; i++) {
		const struct line_state *l = &m->lines[refs[i].li];
		const struct region *r = &m->regions[line_region(l)];
		fn(ctx, line_region(l), line_number(l) << r->line_shift,
				hist_of_const(m, refs[i].li)->durable, r->line_len);
	}
	free(refs);
}
