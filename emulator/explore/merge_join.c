/* merge_join.c -- joining shard reports: counts add up, points merge per
 * point, the first failure is the smallest ordinal (docs/report-json.md) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "replay.h"
#include "report.h"
#include "xalloc.h"

static bool
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static bool
same_strv(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/* compatible -- same trace and options but the shard */
static int
compatible(const struct xp_report *d, const struct xp_report *s, char *err,
		size_t errlen)
{
	const char *what = NULL;
	if (!same_str(d->trace, s->trace))
		what = "trace";
	else if (!same_strv(d->strategy, d->nstrategy, s->strategy,
			s->nstrategy) || !same_strv(d->crash_at, d->ncrash_at,
			s->crash_at, s->ncrash_at) || d->max_lines != s->max_lines
			|| d->max_states != s->max_states
			|| d->samples != s->samples || d->seed != s->seed ||
			!same_str(d->crash_points, s->crash_points) ||
			!same_str(d->from, s->from) || !same_str(d->to, s->to) ||
			!same_str(d->check, s->check) ||
			!same_str(d->explore, s->explore))
		what = "options";
	else if (d->shard_n != s->shard_n)
		what = "number of shards";
	else if (d->points != s->points)
		what = "crash points";
	if (what == NULL)
		for (size_t i = 0; i < d->nshards; i++)
			for (size_t j = 0; j < s->nshards; j++)
				if (d->shards[i].k == s->shards[j].k)
					what = "shards (one given twice)";
	if (what) {
		snprintf(err, errlen, "the reports differ in their %s: not "
				"shards of one run", what);
		return -1;
	}
	return 0;
}

static int
cmp_point(const void *a, const void *b)
{
	const struct xp_rpoint *x = a, *y = b;
	return x->point < y->point ? -1 : x->point > y->point;
}

static int
cmp_fail(const void *a, const void *b)
{
	const struct xp_rfail *x = a, *y = b;
	return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

static void
merge_points(struct xp_report *d, const struct xp_report *s)
{
	for (size_t j = 0; j < s->npfail; j++) {
		const struct xp_rpoint *p = &s->pfail[j];
		size_t i;
		for (i = 0; i < d->npfail; i++)
			if (d->pfail[i].point == p->point)
				break;
		if (i < d->npfail) {
			d->pfail[i].failing_states += p->failing_states;
			continue;
		}
		d->pfail = xrealloc(d->pfail, (d->npfail + 1) *
				sizeof(*d->pfail),
				"merge_points: d->pfail");
		struct xp_rpoint *q = &d->pfail[d->npfail++];
		*q = *p;
		q->event = xp_strdup(p->event);
		xp_site_copy(&q->site, &p->site);
	}
	if (d->npfail)
		qsort(d->pfail, d->npfail, sizeof(*d->pfail), cmp_point);
}

static void
merge_failures(struct xp_report *d, const struct xp_report *s)
{
	d->failures = xrealloc(d->failures, (d->nfailures + s->nfailures + 1) *
			sizeof(*d->failures),
			"merge_failures: d->failures");
	for (size_t j = 0; j < s->nfailures; j++) {
		d->failures[d->nfailures] = s->failures[j];
		d->failures[d->nfailures++].state =
			xp_strdup(s->failures[j].state);
	}
	if (d->nfailures)
		qsort(d->failures, d->nfailures, sizeof(*d->failures),
				cmp_fail);
	if (d->nfailures > XP_FAILURES_MAX) {
		for (size_t i = XP_FAILURES_MAX; i < d->nfailures; i++)
			free(d->failures[i].state);
		d->nfailures = XP_FAILURES_MAX;
		d->failures_truncated = true;
	}
	d->failures_truncated |= s->failures_truncated;
}

static int
cmp_xread(const void *a, const void *b)
{
	const struct xp_rxread *x = a, *y = b;
	if (x->point != y->point)
		return x->point < y->point ? -1 : 1;
	if (x->line.region != y->line.region)
		return x->line.region < y->line.region ? -1 : 1;
	if (x->line.off != y->line.off)
		return x->line.off < y->line.off ? -1 : 1;
	return strcmp(x->read_at, y->read_at);
}

/* merge_xreads -- one entry per line and reading code: its first point,
 * the points added up (each point is in one lazy shard) */
static void
merge_xreads(struct xp_report *d, const struct xp_report *s)
{
	d->xreads_fail |= s->xreads_fail;
	d->xreads = xrealloc(d->xreads, (d->nxreads + s->nxreads + 1) *
			sizeof(*d->xreads), "merge: xreads");
	for (size_t j = 0; j < s->nxreads; j++) {
		const struct xp_rxread *x = &s->xreads[j];
		size_t i;
		for (i = 0; i < d->nxreads; i++)
			if (d->xreads[i].line.region == x->line.region &&
					d->xreads[i].line.off == x->line.off &&
					strcmp(d->xreads[i].read_at,
						x->read_at) == 0)
				break;
		if (i == d->nxreads) {
			xp_rxread_copy(&d->xreads[d->nxreads++], x);
			continue;
		}
		d->xreads[i].points += x->points;
		if (x->point < d->xreads[i].point) {
			uint64_t points = d->xreads[i].points;
			xp_rxread_free(&d->xreads[i]);
			xp_rxread_copy(&d->xreads[i], x);
			d->xreads[i].points = points;
		}
	}
	if (d->nxreads)
		qsort(d->xreads, d->nxreads, sizeof(*d->xreads), cmp_xread);
}

/* take_first -- s's first failure replaces d's (d's is freed) */
static void
take_first(struct xp_report *d, const struct xp_report *s)
{
	free(d->first.state);
	free(d->first_point.event);
	xp_site_free(&d->first_point.site);
	xp_strv_free(d->first_markers, d->nfirst_markers);
	free(d->first_output);
	free(d->expl_status);
	for (size_t i = 0; i < d->nexpl; i++)
		xp_rline_free(&d->expl[i]);
	free(d->expl);
	d->has_first = true;
	d->first = s->first;
	d->first.state = xp_strdup(s->first.state);
	d->first_point = s->first_point;
	d->first_point.event = xp_strdup(s->first_point.event);
	xp_site_copy(&d->first_point.site, &s->first_point.site);
	d->first_markers = NULL;
	d->nfirst_markers = 0;
	for (size_t i = 0; i < s->nfirst_markers; i++)
		xp_strv_push(&d->first_markers, &d->nfirst_markers,
				s->first_markers[i]);
	d->first_same_image = s->first_same_image;
	d->first_gpf = s->first_gpf;
	d->first_output = xp_strdup(s->first_output);
	d->expl_status = xp_strdup(s->expl_status);
	d->expl_checks = s->expl_checks;
	d->expl = xcalloc(s->nexpl + 1, sizeof(*d->expl),
			"take_first: d->expl");
	for (size_t i = 0; i < s->nexpl; i++)
		xp_rline_copy(&d->expl[i], &s->expl[i]);
	d->nexpl = s->nexpl;
	d->expl_unknown = s->expl_unknown;
}

int
xp_report_merge(struct xp_report *d, const struct xp_report *s, char *err,
		size_t errlen)
{
	if (compatible(d, s, err, errlen) != 0)
		return -1;
	d->states += s->states;
	d->images += s->images;
	d->checks += s->checks;
	d->checks_forked += s->checks_forked;
	d->failing_states += s->failing_states;
	d->failing_images += s->failing_images;
	d->timeouts += s->timeouts;
	d->crashes += s->crashes;
	/* every shard enumerates every state: the same bounds in each */
	if (s->bounded.left_out > d->bounded.left_out)
		d->bounded = s->bounded;
	d->trace_truncated |= s->trace_truncated;
	/* shards explore one trace: one program status (the first shard's;
	 * a zeroed d has none yet) */
	if (d->nshards == 0)
		d->program_status = s->program_status;
	xp_strv_union(&d->notes, &d->nnotes, s->notes, s->nnotes);
	xp_strv_union(&d->tx_late, &d->ntx_late, s->tx_late, s->ntx_late);
	merge_points(d, s);
	merge_failures(d, s);
	merge_xreads(d, s);
	if (s->has_first && (!d->has_first ||
			s->first.ordinal < d->first.ordinal))
		take_first(d, s);
	d->shards = xrealloc(d->shards, (d->nshards + s->nshards) *
			sizeof(*d->shards),
			"xp_report_merge: d->shards");
	memcpy(d->shards + d->nshards, s->shards, s->nshards *
			sizeof(*s->shards));
	d->nshards += s->nshards;
	return 0;
}
