/* explain.c -- the minimal explanation of a failing state
 *
 * The lost lines of a failing state F are its open lines whose content in
 * F differs from their newest content at the crash point (the view, which
 * an eviction right then would have written). Delta debugging (ddmin,
 * Zeller and Hildebrandt 2002) finds a 1-minimal subset S of them such
 * that the image with only S as in F and every other open line newest
 * still fails. Each line's choice is independent (MODEL.md), so every
 * image tried is one x86 can leave.
 *
 * When F fails even with every open line newest, losing lines does not
 * explain it; if F passes with every open line lost (its durable content)
 * the failure is stores that reached the media too early (a store missing
 * from a transaction's undo log, a publish before its data): ddmin then
 * finds a 1-minimal set of F's arrived lines (open lines whose content in
 * F differs from their durable content) that, as in F with every other
 * open line lost, still fails. A line whose newest content is unknown
 * (stores seen only by page protection) cannot be persisted: it keeps its
 * content in F and, when nothing else explains F, is named.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "explain.h"
#include "image.h"
#include "report.h"
#include "states.h"
#include "xalloc.h"

#define EXPLAIN_CHECKS_MAX 2000

struct ddmin {
	struct xp_explain_ctx *x;
	struct xp_openset open;
	const uint8_t **in_f;          /* per open line: content in F */
	const uint8_t **newest;        /* per open line: newest content */
	const uint8_t **durable;       /* per open line: lost (durable) */
	const uint8_t **others;        /* newest or durable: lines not set */
	size_t *kept;                  /* per open line: its outcome in F */
	size_t *lost;                  /* open lines: F differs from newest */
	size_t nlost;
	size_t *arrived;               /* open lines: F differs from durable */
	size_t narrived;
	size_t *unknown;               /* open lines, newest content unknown */
	size_t nunknown;
	bool *in;                      /* scratch: line in the tested set */
	struct xp_line_set *lines;
	uint64_t checks;
};

/* fails -- the check fails with only set[0..n) as in F, the other open
 * lines as d->others says */
static bool
fails(struct ddmin *d, const size_t *set, size_t n)
{
	memset(d->in, 0, d->open.n * sizeof(*d->in));
	for (size_t i = 0; i < n; i++)
		d->in[set[i]] = true;
	for (size_t i = 0; i < d->open.n; i++) {
		d->lines[i].region = d->open.v[i].line.region;
		d->lines[i].off = d->open.v[i].line.off;
		d->lines[i].content = d->in[i] ? d->in_f[i] : d->others[i];
		d->lines[i].poison = d->in[i] && d->open.v[i].out[d->kept[i]]
			.kind == MODEL_OUT_POISON;
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

/* minimise -- ddmin over c[0..n) (reordered in place); returns the size
 * of the 1-minimal prefix */
static size_t
minimise(struct ddmin *d, size_t *c, size_t n)
{
	size_t gran = 2;
	size_t *tmp = xcalloc(n + 1, sizeof(*tmp), "minimise: tmp");
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

/* newest -- the outcome holding the line's newest content (an eviction
 * right at the crash), or -1 if it is unknown (untraced stores) */
static long
newest(const struct xp_open *o)
{
	for (size_t k = 0; k < o->nout; k++)
		if (o->out[k].kind == MODEL_OUT_EVICT &&
				o->out[k].point == o->line.versions)
			return (long)k;
	return -1;
}

/* kept -- index of line o's outcome in the failing state (LOST if not
 * named), or -1 if the model does not offer it */
static long
kept(const struct xp_explain_ctx *x, const struct xp_open *o)
{
	for (size_t j = 0; j < x->nchoices; j++)
		if (x->choices[j].region == o->line.region &&
				x->choices[j].off == o->line.off)
			return xp_open_find(o, &x->choices[j].out);
	return 0;
}

/* setup -- the open lines, their content in F, newest and durable; a
 * line whose newest content is unknown keeps its content in F */
static bool
setup(struct ddmin *d)
{
	xp_openset_load(&d->open, d->x->r->m, MODEL_STRAT_ALL |
			MODEL_STRAT_POISON);
	size_t n = d->open.n;
	d->in_f = xcalloc(n + 1, sizeof(*d->in_f), "setup: d->in_f");
	d->newest = xcalloc(n + 1, sizeof(*d->newest), "setup: d->newest");
	d->durable = xcalloc(n + 1, sizeof(*d->durable), "setup: d->durable");
	d->kept = xcalloc(n + 1, sizeof(*d->kept), "setup: d->kept");
	d->lost = xcalloc(n + 1, sizeof(*d->lost), "setup: d->lost");
	d->arrived = xcalloc(n + 1, sizeof(*d->arrived), "setup: d->arrived");
	d->unknown = xcalloc(n + 1, sizeof(*d->unknown), "setup: d->unknown");
	d->in = xcalloc(n + 1, sizeof(*d->in), "setup: d->in");
	d->lines = xcalloc(n + 1, sizeof(*d->lines), "setup: d->lines");
	for (size_t i = 0; i < n; i++) {
		const struct xp_open *o = &d->open.v[i];
		long k = kept(d->x, o), top = newest(o);
		if (k < 0 || o->nout == 0)
			return false;
		d->kept[i] = (size_t)k;
		d->in_f[i] = xp_open_content(o, (size_t)k);
		d->durable[i] = xp_open_content(o, 0); /* LOST */
		if (memcmp(d->in_f[i], d->durable[i], o->line_len) != 0)
			d->arrived[d->narrived++] = i;
		if (top < 0) {
			d->unknown[d->nunknown++] = i;
			d->newest[i] = d->in_f[i];
			continue;
		}
		d->newest[i] = xp_open_content(o, (size_t)top);
		if (memcmp(d->in_f[i], d->newest[i], o->line_len) != 0)
			d->lost[d->nlost++] = i;
	}
	return true;
}

#define UNKNOWN_LINES_MAX 16 /* content-unknown lines listed */

/* report_lines -- lines idx[0..n) of the open set in their role */
static void
report_lines(struct ddmin *d, const size_t *idx, size_t n,
		enum xp_line_role role, struct xp_report *rp)
{
	rp->expl = xcalloc(n + 1, sizeof(*rp->expl), "report_lines: rp->expl");
	for (size_t i = 0; i < n; i++) {
		const struct xp_open *o = &d->open.v[idx[i]];
		xp_explain_line(d->x->r, o, &o->out[d->kept[idx[i]]], role,
				&rp->expl[i]);
	}
	rp->nexpl = n;
}

/* minimal -- ddmin over set[0..n) when F's image fails again */
static const char *
minimal(struct ddmin *d, size_t *set, size_t n, enum xp_line_role role,
		const char *status, struct xp_report *rp)
{
	if (!fails(d, set, n))
		return "flaky";
	report_lines(d, set, minimise(d, set, n), role, rp);
	return status;
}

/* explain_persisted -- F fails with every open line newest: stores that
 * arrived too early, or lines pmemu cannot persist */
static const char *
explain_persisted(struct ddmin *d, struct xp_report *rp)
{
	d->others = d->durable;
	if (d->narrived > 0 && !fails(d, NULL, 0))
		return minimal(d, d->arrived, d->narrived, XP_LINE_ARRIVED,
				"minimal-persisted", rp);
	report_lines(d, d->unknown, d->nunknown < UNKNOWN_LINES_MAX ?
			d->nunknown : UNKNOWN_LINES_MAX, XP_LINE_UNKNOWN, rp);
	return "fails-when-persisted";
}

void
xp_explain(struct xp_explain_ctx *x, struct xp_report *rp)
{
	struct ddmin d;
	memset(&d, 0, sizeof(d));
	d.x = x;
	d.others = d.newest;
	const char *status = "not-computed";
	if (setup(&d)) {
		d.others = d.newest;
		if (fails(&d, NULL, 0))
			status = explain_persisted(&d, rp);
		else
			status = minimal(&d, d.lost, d.nlost, XP_LINE_LOST,
					"minimal", rp);
	}
	rp->expl_status = xp_strdup(status);
	rp->expl_checks = d.checks;
	rp->expl_unknown = d.nunknown;
	xp_openset_free(&d.open);
	free(d.in_f);
	free(d.newest);
	free(d.durable);
	free(d.kept);
	free(d.lost);
	free(d.arrived);
	free(d.unknown);
	free(d.in);
	free(d.lines);
}
