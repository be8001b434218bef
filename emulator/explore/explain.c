/* explain.c -- the minimal explanation of a failing state
 *
 * The lost lines of a failing state F are its open lines whose content in
 * F differs from their newest content at the crash point (the view, which
 * an eviction right then would have written). Delta debugging (ddmin,
 * Zeller and Hildebrandt 2002) finds a 1-minimal subset S of them such
 * that the image with only S as in F and every other open line newest
 * still fails. Each line's choice is independent (MODEL.md), so every
 * image tried is one x86 can leave.
 */
#include <stdlib.h>
#include <string.h>

#include "explore.h"

#define EXPLAIN_CHECKS_MAX 2000

struct ddmin {
	struct xp_explain_ctx *x;
	struct xp_openset open;
	const uint8_t **lost_content;  /* per open line: content in F */
	const uint8_t **newest;        /* per open line: newest content */
	size_t *lost;                  /* open line indices that differ */
	size_t nlost;
	bool *in;                      /* scratch: line in the tested set */
	struct xp_line_set *lines;
	uint64_t checks;
};

/* fails -- the check fails with only set[0..n) as in F */
static bool
fails(struct ddmin *d, const size_t *set, size_t n)
{
	memset(d->in, 0, d->open.n * sizeof(*d->in));
	for (size_t i = 0; i < n; i++)
		d->in[set[i]] = true;
	for (size_t i = 0; i < d->open.n; i++) {
		d->lines[i].region = d->open.v[i].line.region;
		d->lines[i].off = d->open.v[i].line.off;
		d->lines[i].content = d->in[i] ? d->lost_content[i] :
			d->newest[i];
	}
	struct xp_result res;
	d->checks++;
	if (xp_slot_set(d->x->slot, d->lines, d->open.n) != 0)
		return false;
	xp_check_run(d->x->chk, 0, xp_slot_dir(d->x->slot),
			xp_slot_pmem(d->x->slot), d->x->state, d->x->markers,
			&res);
	xp_slot_after_check(d->x->slot);
	return res.kind != XP_RES_PASS;
}

/* minimise -- ddmin over d->lost; returns the size of the kept prefix */
static size_t
minimise(struct ddmin *d)
{
	size_t *c = d->lost, n = d->nlost, gran = 2;
	size_t *tmp = calloc(n + 1, sizeof(*tmp));
	if (tmp == NULL)
		abort();
	while (n >= 2 && d->checks < EXPLAIN_CHECKS_MAX) {
		size_t chunk = (n + gran - 1) / gran;
		bool reduced = false;
		for (size_t s = 0; s < n && !reduced; s += chunk) {
			size_t len = s + chunk > n ? n - s : chunk;
			if (fails(d, c + s, len)) { /* the chunk alone */
				memmove(c, c + s, len * sizeof(*c));
				n = len;
				gran = 2;
				reduced = true;
			}
		}
		for (size_t s = 0; s < n && !reduced && gran > 2; s += chunk) {
			size_t len = s + chunk > n ? n - s : chunk, k = 0;
			for (size_t i = 0; i < n; i++)
				if (i < s || i >= s + len)
					tmp[k++] = c[i];
			if (fails(d, tmp, k)) { /* its complement */
				memcpy(c, tmp, k * sizeof(*c));
				n = k;
				gran = gran > 2 ? gran - 1 : 2;
				reduced = true;
			}
		}
		if (!reduced) {
			if (gran >= n)
				break;
			gran = gran * 2 > n ? n : gran * 2;
		}
	}
	free(tmp);
	return n;
}

static const char *
reason(const struct model_open_line *l)
{
	if (l->dirty && l->flush_site == 0)
		return "never-flushed";
	if (l->dirty)
		return "stored-after-flush";
	if (l->in_flight)
		return "flushed-no-fence";
	return "unknown";
}

/* setup -- the open lines, their content in F and their newest content */
static bool
setup(struct ddmin *d)
{
	struct xp_explain_ctx *x = d->x;
	xp_openset_load(&d->open, x->r->m, MODEL_STRAT_ALL);
	size_t n = d->open.n;
	d->lost_content = calloc(n + 1, sizeof(*d->lost_content));
	d->newest = calloc(n + 1, sizeof(*d->newest));
	d->lost = calloc(n + 1, sizeof(*d->lost));
	d->in = calloc(n + 1, sizeof(*d->in));
	d->lines = calloc(n + 1, sizeof(*d->lines));
	if (!d->lost_content || !d->newest || !d->lost || !d->in || !d->lines)
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct xp_open *o = &d->open.v[i];
		long k = 0;
		for (size_t j = 0; j < x->nchoices; j++)
			if (x->choices[j].region == o->line.region &&
					x->choices[j].off == o->line.off)
				k = xp_open_find(o, &x->choices[j].out);
		if (k < 0 || o->nout == 0)
			return false;
		d->lost_content[i] = xp_open_content(o, (size_t)k);
		d->newest[i] = xp_open_content(o, o->nout - 1);
		if (memcmp(d->lost_content[i], d->newest[i], o->line_len) != 0)
			d->lost[d->nlost++] = i;
	}
	return true;
}

static void
report_lines(struct ddmin *d, size_t n, struct xp_report *rp)
{
	rp->expl = calloc(n + 1, sizeof(*rp->expl));
	if (rp->expl == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct model_open_line *l = &d->open.v[d->lost[i]].line;
		struct xp_rline *o = &rp->expl[i];
		o->region = l->region;
		o->off = l->off;
		o->len = d->open.v[d->lost[i]].line_len;
		o->reason = xp_strdup(reason(l));
		xp_report_site(d->x->r, l->store_site, &o->store_site);
		xp_report_site(d->x->r, l->flush_site, &o->flush_site);
	}
	rp->nexpl = n;
}

void
xp_explain(struct xp_explain_ctx *x, struct xp_report *rp)
{
	struct ddmin d;
	memset(&d, 0, sizeof(d));
	d.x = x;
	const char *status;
	if (!setup(&d)) {
		status = "not-computed";
	} else if (fails(&d, NULL, 0)) {
		status = "fails-when-persisted";
	} else if (!fails(&d, d.lost, d.nlost)) {
		status = "flaky";
	} else {
		size_t n = minimise(&d);
		report_lines(&d, n, rp);
		status = "minimal";
	}
	rp->expl_status = xp_strdup(status);
	rp->expl_checks = d.checks;
	xp_openset_free(&d.open);
	free(d.lost_content);
	free(d.newest);
	free(d.lost);
	free(d.in);
	free(d.lines);
}
