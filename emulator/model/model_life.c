/*
 * model_life.c -- the model's life outside its events: made, regions
 * added and resized, its size counted, freed (model.c applies events)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"

struct model *
model_new(const struct model_config *cfg, model_media_read_fn media_read,
		void *media_ctx)
{
	struct model *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->cfg = *cfg;
	m->media_read = media_read;
	m->media_ctx = media_ctx;
	m->nwbs = 1; /* index 0 means none */
	m->short_paths = true;
	return m;
}

void
model_delete(struct model *m)
{
	if (m == NULL)
		return;
	hist_free(m);
	findings_free(m);
	line_table_free(m);
	free(m->regions);
	free(m->wbs);
	free(m->threads);
	free(m);
}

int
model_region_add(struct model *m, uint32_t id, uint64_t len,
		enum model_domain d)
{
	if (id >= (1u << 24) || (unsigned)d >= MODEL_DOMAINS)
		return -EINVAL;
	if (id >= m->nregions) {
		struct region *r = realloc(m->regions, (id + 1) * sizeof(*r));
		if (r == NULL)
			return -ENOMEM;
		memset(r + m->nregions, 0, (id + 1 - m->nregions) * sizeof(*r));
		m->regions = r;
		m->nregions = id + 1;
	}
	struct region *r = &m->regions[id];
	if (r->used)
		return -EEXIST;
	r->used = true;
	r->domain = d;
	r->line_len = d == MODEL_DOMAIN_PAGECACHE ? 4096 : m->cfg.line_len;
	r->line_shift = (unsigned)__builtin_ctz(r->line_len);
	r->len = len;
	return 0;
}

int
model_region_resize(struct model *m, uint32_t id, uint64_t len)
{
	if (id >= m->nregions || !m->regions[id].used)
		return -EINVAL;
	m->regions[id].len = len;
	return 0;
}

uint32_t
model_region_line(const struct model *m, uint32_t id)
{
	const struct region *r = model_region(m, id);
	return r ? r->line_len : 0;
}

uint64_t
model_lines(const struct model *m)
{
	return m->nlines;
}

void
model_stats(const struct model *m, struct model_stats *st)
{
	st->events = m->events;
	st->lines = m->nlines;
	st->history_dropped = m->history_dropped;
	st->bytes = sizeof(*m) + (uint64_t)m->lines_cap * sizeof(*m->lines) +
		line_index_bytes(&m->index) +
		(m->line_hist ? (uint64_t)m->lines_cap * sizeof(*m->line_hist) : 0) +
		(uint64_t)m->open_cap * sizeof(*m->open) +
		(uint64_t)m->wbs_cap * sizeof(*m->wbs) +
		(uint64_t)m->threads_cap * sizeof(*m->threads) +
		(uint64_t)m->nregions * sizeof(*m->regions) +
		(m->findings ? (uint64_t)(m->findings_mask + 1) *
		 sizeof(*m->findings) : 0);
	st->bytes += hist_bytes(m);
}
