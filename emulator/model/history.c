/*
 * history.c -- content mode: each touched line's durable content and the
 * versions it has had since (docs/model.md, "Words" and "Events")
 */
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"

static uint32_t
line_len_of(const struct model *m, uint32_t li)
{
	return m->regions[line_region(&m->lines[li])].line_len;
}

struct line_hist *
hist_of(struct model *m, uint32_t li)
{
	const struct line_state *l = &m->lines[li];
	if (m->line_hist[li])
		return &m->hists[m->line_hist[li] - 1];
	if (m->nhists == m->hists_cap) {
		m->hists_cap = m->hists_cap ? m->hists_cap * 2 : 64;
		m->hists = realloc(m->hists, m->hists_cap * sizeof(*m->hists));
		MODEL_ASSERT(m->hists != NULL);
	}
	uint32_t len = line_len_of(m, li);
	struct line_hist *h = &m->hists[m->nhists++];
	memset(h, 0, sizeof(*h));
	h->durable = calloc(2, len);
	MODEL_ASSERT(h->durable != NULL);
	h->view = h->durable + len;
	if (m->media_read)
		m->media_read(m->media_ctx, line_region(l),
				line_number(l) * len, h->durable, len);
	memcpy(h->view, h->durable, len);
	m->line_hist[li] = m->nhists;
	return h;
}

const struct line_hist *
hist_of_const(const struct model *m, uint32_t li)
{
	uint32_t hi = m->line_hist ? m->line_hist[li] : 0;
	return hi ? &m->hists[hi - 1] : NULL;
}

/* append -- a new version with the tracked view as content */
static struct version *
append(struct model *m, uint32_t li, bool known, bool *absorbed)
{
	*absorbed = false;
	struct line_hist *h = hist_of(m, li);
	uint32_t len = line_len_of(m, li);
	if (h->n >= m->cfg.history_max && !h->ver[h->n - 1].has_wb) {
		/* cap: the newest version absorbs this one (Refinement 8) */
		struct version *v = &h->ver[h->n - 1];
		memcpy(h->content + (size_t)(h->n - 1) * len, h->view, len);
		v->known = v->known && known;
		v->tearable = 0;
		m->history_dropped++;
		*absorbed = true;
		return v;
	}
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 4;
		h->ver = realloc(h->ver, h->cap * sizeof(*h->ver));
		h->content = realloc(h->content, (size_t)h->cap * len);
		MODEL_ASSERT(h->ver != NULL && h->content != NULL);
	}
	struct version *v = &h->ver[h->n];
	memset(v, 0, sizeof(*v));
	v->v = line_new_version(m, li);
	v->known = known;
	memcpy(h->content + (size_t)h->n * len, h->view, len);
	h->n++;
	return v;
}

/* pieces_of -- the line's 8-byte pieces that [off, off+len) touches */
static uint64_t
pieces_of(uint32_t off, uint32_t len)
{
	uint32_t first = off / 8, last = (off + len - 1) / 8;
	if (last >= 64)
		return 0; /* lines over 512 bytes: tearing is by sector */
	uint64_t hi = last == 63 ? ~0ull : (1ull << (last + 1)) - 1;
	return hi & ~((1ull << first) - 1);
}

void
hist_store(struct model *m, uint32_t li, uint32_t off, uint32_t len,
		uint32_t site, const uint8_t *data, bool tearable_kind)
{
	struct line_hist *h = hist_of(m, li);
	const struct region *r = &m->regions[line_region(&m->lines[li])];
	memcpy(h->view + off, data, len);
	if (r->domain == MODEL_DOMAIN_EADR) {
		if (!h->uncertain)
			memcpy(h->durable + off, data, len);
		return;
	}
	bool absorbed;
	struct version *v = append(m, li, !h->uncertain, &absorbed);
	if (absorbed)
		return;
	v->site = site;
	if (r->domain != MODEL_DOMAIN_PAGECACHE) {
		v->pieces = pieces_of(off, len);
		v->tearable = tearable_kind &&
			__builtin_popcountll(v->pieces) >= 2;
	}
}

void
hist_untraced(struct model *m, uint32_t li, uint32_t site)
{
	struct line_hist *h = hist_of(m, li);
	if (h->uncertain && h->n && !h->ver[h->n - 1].known)
		return;
	if (!h->uncertain) {
		h->uncertain = true;
		h->uncertain_from = m->lines[li].vcount + 1;
	}
	bool absorbed;
	struct version *v = append(m, li, false, &absorbed);
	if (!absorbed)
		v->site = site;
}

void
hist_snapshot(struct model *m, uint32_t li, const uint8_t *data)
{
	struct line_hist *h = hist_of(m, li);
	uint32_t len = line_len_of(m, li);
	if (m->regions[line_region(&m->lines[li])].domain == MODEL_DOMAIN_EADR) {
		/* the view is the media */
		memcpy(h->view, data, len);
		memcpy(h->durable, data, len);
		h->uncertain = false;
		return;
	}
	bool same = memcmp(h->view, data, len) == 0;
	if (same && h->uncertain) {
		/* nothing untraced changed the line (Refinement 6) */
		for (uint32_t i = 0; i < h->n; i++)
			if (h->ver[i].v >= h->uncertain_from)
				h->ver[i].known = 1;
	}
	h->uncertain = false;
	if (same)
		return;
	memcpy(h->view, data, len);
	bool absorbed;
	append(m, li, true, &absorbed);
}

void
hist_mark_wb(struct model *m, uint32_t li, uint64_t v)
{
	struct line_hist *h = hist_of(m, li);
	uint64_t dv = line_durable_v(m, li);
	if (v > dv && v - dv <= h->n)
		h->ver[v - dv - 1].has_wb = 1;
}

/* hist_durable -- version v reached the media; forget what came before */
void
hist_durable(struct model *m, uint32_t li, uint64_t v)
{
	struct line_hist *h = hist_of(m, li);
	uint32_t len = line_len_of(m, li);
	uint64_t dv = line_durable_v(m, li);
	uint32_t k = (uint32_t)(v - dv); /* versions to drop */
	MODEL_ASSERT(v > dv && k <= h->n);
	memcpy(h->durable, h->content + (size_t)(k - 1) * len, len);
	memmove(h->ver, h->ver + k, (h->n - k) * sizeof(*h->ver));
	memmove(h->content, h->content + (size_t)k * len,
			(size_t)(h->n - k) * len);
	h->n -= k;
}

const uint8_t *
hist_content(const struct model *m, uint32_t li, uint64_t v, bool *known)
{
	const struct line_hist *h = hist_of_const(m, li);
	uint64_t dv = line_durable_v(m, li);
	if (h == NULL || v < dv || v - dv > h->n) {
		*known = false;
		return NULL;
	}
	if (v == dv) {
		*known = true;
		return h->durable;
	}
	*known = h->ver[v - dv - 1].known;
	return h->content + (size_t)(v - dv - 1) * line_len_of(m, li);
}

uint64_t
hist_bytes(const struct model *m)
{
	uint64_t bytes = (uint64_t)m->hists_cap * sizeof(*m->hists);
	for (uint32_t i = 0; i < m->nhists; i++) {
		const struct line_hist *h = &m->hists[i];
		bytes += h->cap * (sizeof(*h->ver));
		bytes += 2ull * 4096; /* upper bound of durable + view */
	}
	return bytes;
}

void
hist_free(struct model *m)
{
	for (uint32_t i = 0; i < m->nhists; i++) {
		free(m->hists[i].durable);
		free(m->hists[i].ver);
		free(m->hists[i].content);
	}
	free(m->hists);
}
