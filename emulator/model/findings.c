/* findings.c -- what the model can judge, counted per (class, site,
 * whether the site is a guess): an exact site and the same site guessed
 * for another line are two findings */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"

static uint64_t
finding_key(enum model_finding_class c, uint32_t site, bool guessed)
{
	return (((uint64_t)c << 33) | ((uint64_t)guessed << 32) | site) + 1;
}

static void
findings_grow(struct model *m)
{
	uint32_t size = m->findings ? (m->findings_mask + 1) * 2 : 64;
	struct finding_slot *t = calloc(size, sizeof(*t));
	MODEL_ASSERT(t != NULL);
	for (uint32_t i = 0; m->findings && i <= m->findings_mask; i++) {
		if (m->findings[i].key == 0)
			continue;
		uint32_t h = (uint32_t)(m->findings[i].key * 0x9e3779b97f4a7c15ull >> 32);
		while (t[h & (size - 1)].key)
			h++;
		t[h & (size - 1)] = m->findings[i];
	}
	free(m->findings);
	m->findings = t;
	m->findings_mask = size - 1;
}

struct finding_slot *
finding_add(struct model *m, enum model_finding_class c, uint32_t site,
		bool guessed, uint64_t count, uint64_t lines, uint32_t region,
		uint64_t off)
{
	if (m->findings == NULL || (m->nfindings + 1) * 2 > m->findings_mask + 1)
		findings_grow(m);
	uint64_t key = finding_key(c, site, guessed);
	uint32_t h = (uint32_t)(key * 0x9e3779b97f4a7c15ull >> 32);
	struct finding_slot *s;
	for (;; h++) {
		s = &m->findings[h & m->findings_mask];
		if (s->key == key || s->key == 0)
			break;
	}
	if (s->key == 0) {
		s->key = key;
		s->region = region;
		s->off = off;
		s->guessed = guessed;
		m->nfindings++;
	}
	s->count += count;
	s->lines += lines;
	return s;
}

int
model_finding_cmp(const void *a, const void *b)
{
	const struct model_finding *x = a, *y = b;
	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	return (int)x->guessed - (int)y->guessed; /* the exact one first */
}

/* findings_list -- every slot with more than `taken` of it, sorted; the
 * counts less what was taken when `delta` (calloc'd: the caller frees) */
static struct model_finding *
findings_list(const struct model *m, bool delta, size_t *n)
{
	struct model_finding *all = calloc(m->nfindings ? m->nfindings : 1,
			sizeof(*all));
	MODEL_ASSERT(all != NULL);
	*n = 0;
	for (uint32_t i = 0; m->findings && i <= m->findings_mask; i++) {
		const struct finding_slot *s = &m->findings[i];
		if (s->key == 0 || (delta && s->count == s->taken_count))
			continue;
		all[(*n)++] = (struct model_finding){
			.cls = (enum model_finding_class)((s->key - 1) >> 33),
			.site = (uint32_t)(s->key - 1),
			.count = s->count - (delta ? s->taken_count : 0),
			.lines = s->lines - (delta ? s->taken_lines : 0),
			.region = s->region, .off = s->off,
			.related = s->related, .guessed = s->guessed };
	}
	qsort(all, *n, sizeof(*all), model_finding_cmp);
	return all;
}

size_t
model_findings(const struct model *m, model_finding_fn fn, void *ctx)
{
	size_t n;
	struct model_finding *all = findings_list(m, false, &n);
	for (size_t i = 0; fn && i < n; i++)
		fn(ctx, &all[i]);
	free(all);
	return n;
}

size_t
model_findings_take(struct model *m, model_finding_fn fn, void *ctx)
{
	size_t n;
	struct model_finding *all = findings_list(m, true, &n);
	for (size_t i = 0; fn && i < n; i++)
		fn(ctx, &all[i]);
	free(all);
	for (uint32_t i = 0; m->findings && i <= m->findings_mask; i++) {
		m->findings[i].taken_count = m->findings[i].count;
		m->findings[i].taken_lines = m->findings[i].lines;
	}
	return n;
}

void
findings_free(struct model *m)
{
	free(m->findings);
}

void
model_report(struct model *m, const struct model_finding *f)
{
	if ((unsigned)f->cls >= MODEL_FIND_MAX)
		return;
	struct finding_slot *s = finding_add(m, f->cls, f->site, f->guessed,
			f->count, f->lines, f->region, f->off);
	if (s->related == 0)
		s->related = f->related;
}

void
model_store_site_exact(struct model *m, uint32_t region, uint64_t off,
		uint32_t site)
{
	if (region >= m->nregions || !m->regions[region].used)
		return;
	uint32_t li = line_find(m, region,
			off >> m->regions[region].line_shift);
	const struct open_line *o = li == UINT32_MAX ? NULL :
		line_open_of(m, li);
	if (o != NULL && m->lines[li].dirty && o->dirty_site == site)
		m->lines[li].dirty_untraced = 0;
}
