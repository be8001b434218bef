/* openset.c -- the lines a crash now could leave in more than one state,
 * with the outcomes the model offers for the strategies and their bytes */
#include <stdlib.h>
#include <string.h>

#include "linemap.h"
#include "states.h"
#include "xalloc.h"

static void *
grow_array(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	p = xrealloc(p, n * elem, "grow_array: p");
	*cap = n;
	return p;
}

/* content_key -- a 64-bit hash of an outcome's bytes (equal bytes, equal
 * keys; equal keys are confirmed with memcmp) */
static uint64_t
content_key(const struct xp_open *o, size_t k)
{
	return xp_line_hash(0, 0, xp_open_content(o, k), o->line_len).a;
}

/* distinct_outcomes -- o->distinct: the first outcome of each content,
 * in model order; o->newest: the one holding the content of the newest
 * non-torn outcome (the last distinct one if only torn ones follow LOST) */
static void
distinct_outcomes(struct xp_open *o)
{
	size_t n = o->nout ? o->nout : 1;
	o->distinct = xrealloc(o->distinct, n * sizeof(*o->distinct),
			"distinct_outcomes: o->distinct");
	uint64_t *keys = xmalloc(n * sizeof(*keys), "distinct_outcomes: keys");
	size_t nd = 0, newest = SIZE_MAX;
	uint32_t newest_point = 0;
	for (size_t k = 0; k < o->nout; k++) {
		uint64_t key = content_key(o, k);
		/* a poisoned line is never the line with the same bytes
		 * (POISON is the last outcome: nothing matches it later) */
		bool poison = o->out[k].kind == MODEL_OUT_POISON;
		size_t d = poison ? nd : 0;
		while (d < nd && (keys[d] != key || memcmp(xp_open_content(o,
				k), xp_open_content(o, o->distinct[d]),
				o->line_len) != 0))
			d++;
		if (d == nd) {
			keys[nd] = key;
			o->distinct[nd++] = (uint32_t)k;
		}
		const struct model_outcome *x = &o->out[k];
		if (x->kind != MODEL_OUT_TORN && x->kind != MODEL_OUT_LOST &&
				!poison && x->point >= newest_point) {
			newest_point = x->point;
			newest = d;
		}
	}
	free(keys);
	o->ndistinct = nd;
	o->newest = newest != SIZE_MAX ? newest : (nd ? nd - 1 : 0);
}

/* load_line -- outcomes (LOST first) and their contents */
static void
load_line(struct xp_open *o, const struct model *m, unsigned strategies)
{
	const struct model_open_line *l = &o->line;
	size_t cap = o->nout;
	size_t n = model_line_outcomes(m, l->region, l->off, strategies,
			o->out, cap);
	if (n > cap) {
		o->out = xrealloc(o->out, n * sizeof(*o->out),
				"load_line: o->out");
		n = model_line_outcomes(m, l->region, l->off, strategies,
				o->out, n);
	}
	o->nout = n;
	o->line_len = model_region_line(m, l->region);
	o->content = xrealloc(o->content, (n ? n : 1) * o->line_len,
			"load_line: o->content");
	for (size_t k = 0; k < n; k++)
		if (model_outcome_content(m, l->region, l->off, &o->out[k],
				o->content + k * o->line_len) != 0)
			memset(o->content + k * o->line_len, 0, o->line_len);
	distinct_outcomes(o);
}

void
xp_openset_load(struct xp_openset *s, const struct model *m,
		unsigned strategies)
{
	size_t n = model_open_lines(m, s->ol, s->olcap);
	if (n > s->olcap) {
		s->ol = grow_array(s->ol, &s->olcap, n, sizeof(*s->ol));
		n = model_open_lines(m, s->ol, s->olcap);
	}
	if (n > s->cap) {
		size_t old = s->cap;
		s->v = grow_array(s->v, &s->cap, n, sizeof(*s->v));
		memset(s->v + old, 0, (s->cap - old) * sizeof(*s->v));
	}
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		struct xp_open *o = &s->v[i];
		o->line = s->ol[i];
		/* keep the arrays: nout is their capacity until reloaded */
		size_t keep = o->nout;
		o->nout = keep;
		load_line(o, m, strategies);
	}
}

void
xp_openset_free(struct xp_openset *s)
{
	for (size_t i = 0; i < s->cap; i++) {
		free(s->v[i].out);
		free(s->v[i].content);
		free(s->v[i].distinct);
	}
	free(s->v);
	free(s->ol);
	memset(s, 0, sizeof(*s));
}

/* xp_openset_key -- equal keys: the same lines, the same outcomes in the
 * same order with the same bytes; with equal durable images, two points
 * then have the same states, state for state (engine.c) */
struct xp_hash
xp_openset_key(const struct xp_openset *s, struct xp_hash base)
{
	struct xp_hash key = { 0, 0 };
	for (size_t i = 0; i < s->n; i++) {
		const struct xp_open *o = &s->v[i];
		/* outcome k is told apart by a bit no line offset reaches,
		 * a poisoned one by another */
		for (size_t k = 0; k < o->nout; k++)
			xp_hash_add(&key, xp_line_hash(o->line.region,
					o->line.off ^ ((uint64_t)(k + 1) << 56) ^
					(o->out[k].kind == MODEL_OUT_POISON ?
					 XP_POISON_BIT : 0),
					xp_open_content(o, k), o->line_len));
	}
	key.a = (key.a ^ base.a) * 0x9e3779b97f4a7c15ull + s->n;
	key.b = (key.b + base.b) ^ (base.a >> 17);
	return key;
}

long
xp_open_find(const struct xp_open *line, const struct model_outcome *o)
{
	for (size_t k = 0; k < line->nout; k++) {
		const struct model_outcome *x = &line->out[k];
		if (x->kind == o->kind && x->point == o->point &&
				(o->kind != MODEL_OUT_TORN ||
				 x->pieces == o->pieces))
			return (long)k;
	}
	return -1;
}
