/* verdict.c -- the explorer's results as a report: counts, failing states
 * per crash point, the first failing state and its minimal explanation */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "explain.h"
#include "explore.h"
#include "image.h"
#include "media.h"
#include "points.h"
#include "replay.h"
#include "report.h"
#include "stateid.h"
#include "verdict.h"
#include "xalloc.h"

void
xp_report_add_note(struct xp_report *rp, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf("a note", fmt, ap);
	va_end(ap);
	xp_strv_push(&rp->notes, &rp->nnotes, s);
	free(s);
}

void
xp_report_site(const struct xp_replay *r, uint32_t id, struct xp_site *out)
{
	const struct xp_site *s = xp_replay_site(r, id);
	memset(out, 0, sizeof(*out));
	if (xp_replay_resolve(r, id, out))
		return;
	if (s != NULL)
		xp_site_copy(out, s);
	else
		out->frames = calloc(1, sizeof(*out->frames));
	out->id = id;
}

static const char *
check_kind_name(enum xp_check_kind k)
{
	return k == XP_CHECK_EXEC ? "exec" : k == XP_CHECK_SO_FORK ?
		"so-fork" : "so-in-process";
}

static void
fill_options(const struct xp_results *res, struct xp_report *rp)
{
	const struct xp_opts *o = res->o;
	static const char *const at[] = { "fence", "flush", "store", "marker" };
	rp->trace = xp_strdup(o->trace);
	rp->pmem_dir = o->pmem_dir ? xp_strdup(o->pmem_dir) : NULL;
	rp->trace_truncated = res->pts->truncated;
	xp_strategy_names(o->strategies, rp);
	for (unsigned i = 0; i < 4; i++)
		if (o->crash_at & (1u << i))
			xp_strv_push(&rp->crash_at, &rp->ncrash_at, at[i]);
	rp->crash_points = xp_strdup(res->pts->folded ? "unique-stack" : "all");
	rp->max_points = o->max_points;
	rp->max_lines = o->max_lines;
	rp->max_states = o->max_states;
	rp->samples = o->samples;
	rp->seed = o->seed;
	rp->from = o->from ? xp_strdup(o->from) : NULL;
	rp->to = o->to ? xp_strdup(o->to) : NULL;
	rp->check = xp_strdup(o->check.cmd);
	rp->check_kind = xp_strdup(check_kind_name(o->check.kind));
	rp->timeout_s = o->check.timeout_s;
	rp->shard_k = (uint32_t)o->shard_k;
	rp->shard_n = (uint32_t)o->shard_n;
	rp->shards = xcalloc(1, sizeof(*rp->shards),
			"fill_options: rp->shards");
	rp->shards[0].k = rp->shard_k;
	rp->shards[0].n = rp->shard_n;
	rp->nshards = 1;
	const struct xp_media *md = &res->r->media;
	rp->regions = xcalloc(md->n + 1, sizeof(*rp->regions),
			"fill_options: rp->regions");
	for (size_t i = 0; i < md->n; i++) {
		struct xp_rregion *g = &rp->regions[i];
		g->region = md->regions[i].id;
		g->file = xp_strdup(md->regions[i].file);
		g->media = xp_strdup(md->regions[i].media);
		g->len = md->regions[i].len;
		g->line = md->regions[i].line_len;
	}
	rp->nregions = md->n;
}

/* xp_count_text -- a count that may exceed 2^53: exact below 10^15 */
void
xp_count_text(double n, char *buf, size_t len)
{
	if (n < 1e15)
		snprintf(buf, len, "%.0f", n);
	else
		snprintf(buf, len, "%.3g", n);
}

/* note_bounded -- how many combinations the bounds left out, and where */
static void
note_bounded(const struct xp_results *res, struct xp_report *rp)
{
	char n[32];
	xp_count_text(res->bounded.left_out, n, sizeof(n));
	rp->bounded = res->bounded;
	xp_report_add_note(rp, "%s combinations of line outcomes were not "
		"explored: at %llu crash point%s more than --max-lines=%lu "
		"lines had a choice or their combinations exceeded "
		"--max-states=%lu; there at most --max-states states were: "
		"all lines lost, each line alone at each of its outcomes "
		"(every line's first outcome first), all at their newest, "
		"each line alone lost from that, and --samples=%lu random "
		"combinations", n, (unsigned long long)res->bounded.points,
		res->bounded.points == 1 ? "" : "s", res->o->max_lines,
		res->o->max_states, res->o->samples);
}

/* system_module -- a module the distribution installed (its stores
 * cannot be compiled with the plugin) */
static bool
system_module(const char *path)
{
	static const char *const dirs[] = { "/lib/", "/lib64/", "/usr/lib/",
		"/usr/lib64/" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (strncmp(path, dirs[i], strlen(dirs[i])) == 0)
			return true;
	return false;
}

static const char *
base_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* name_once -- appends name to a ", " list unless it holds it */
static void
name_once(char *list, size_t cap, const char *name)
{
	size_t len = strlen(list), n = strlen(name);
	for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
		if ((p == list || p[-2] == ',') && (p[n] == '\0' || p[n] == ','))
			return;
	if (len + n + 3 < cap)
		snprintf(list + len, cap - len, "%s%s", len ? ", " : "", name);
}

/*
 * note_untraced -- which modules made stores seen only by page protection,
 * and what to build with the plugin: a module of the user's, or the
 * caller of a libc string function (the plugin traces those calls); a
 * system library's own stores stay untraced whatever is rebuilt
 */
static void
note_untraced(const struct xp_replay *r, struct xp_report *rp)
{
	char from[512] = "", build[512] = "", sys[512] = "";
	for (size_t i = 0; i < r->nuntraced_sites; i++) {
		struct xp_site s;
		xp_report_site(r, r->untraced_sites[i], &s);
		const char *m = s.nframes ? s.frames[0].module : NULL;
		if (m != NULL) {
			name_once(from, sizeof(from), base_of(m));
			bool libc = strncmp(base_of(m), "libc.so", 7) == 0;
			const char *own = system_module(m) ? NULL : m;
			/* a string function the plugin sees called: from the
			 * user's own code only, not from another library */
			if (own == NULL && libc && s.nframes > 1 &&
					s.frames[1].module != NULL &&
					!system_module(s.frames[1].module))
				own = s.frames[1].module;
			if (own != NULL)
				name_once(build, sizeof(build), base_of(own));
			else
				name_once(sys, sizeof(sys), base_of(m));
		}
		xp_site_free(&s);
	}
	if (from[0] == '\0') {
		xp_report_add_note(rp, "some stores were not traced one by "
			"one: intermediate states of those lines were not "
			"explored (build with the pmemu GCC plugin)");
		return;
	}
	char what[1100] = "";
	size_t len = 0;
	if (build[0])
		len = (size_t)snprintf(what, sizeof(what), "build %s with the "
				"pmemu GCC plugin", build);
	if (sys[0])
		snprintf(what + len, sizeof(what) - len, "%s%s: %s, only seen "
			"by page protection", len ? "; " : "", sys,
			strchr(sys, ',') ? "system libraries" :
			"a system library");
	xp_report_add_note(rp, "stores from %s were not traced one by one "
		"(seen by page protection): intermediate states of those "
		"lines were not explored (%s)", from, what);
}

static void
fill_notes(const struct xp_results *res, struct xp_report *rp)
{
	if (res->pts->truncated)
		xp_report_add_note(rp, "the trace ends without an END record "
			"(the program was killed): explored up to its last whole "
			"record (byte %llu)", (unsigned long long)
			res->pts->good_end);
	for (size_t i = 0; i < res->r->nnotes; i++)
		if (strstr(res->r->notes[i], "without an END record") == NULL)
			xp_strv_push(&rp->notes, &rp->nnotes, res->r->notes[i]);
	if (res->pts->folded)
		xp_report_add_note(rp, "%llu crash points folded into %zu, one "
			"per call stack (--crash-points=unique-stack)",
			(unsigned long long)res->pts->total, res->pts->n);
	if (res->bounded.points)
		note_bounded(res, rp);
	if (res->r->untraced)
		note_untraced(res->r, rp);
}

void
xp_rpoint_fill(const struct xp_replay *r, const struct xp_point *p,
		struct xp_rpoint *out)
{
	memset(out, 0, sizeof(*out));
	out->point = p->point;
	out->event = xp_strdup(xp_point_event(p));
	out->record = p->record;
	out->folded = p->folded;
	xp_report_site(r, p->site, &out->site);
}

static int
cmp_fail(const void *a, const void *b)
{
	const struct xp_rfail *x = a, *y = b;
	return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

/* fill_failures -- counts, failing states per point, the failing images */
static void
fill_failures(const struct xp_results *res, struct xp_report *rp)
{
	uint64_t *per_point = xcalloc(res->pts->n + 1, sizeof(*per_point),
			"fill_failures: per_point");
	for (size_t i = 0; i < res->nst; i++)
		if (res->img[res->st[i].image].res.kind != XP_RES_PASS) {
			per_point[res->st[i].point_idx]++;
			rp->failing_states++;
		}
	for (size_t i = 0; i < res->pts->n; i++) {
		if (per_point[i] == 0)
			continue;
		rp->pfail = xrealloc(rp->pfail, (rp->npfail + 1) *
				sizeof(*rp->pfail),
				"fill_failures: rp->pfail");
		struct xp_rpoint *p = &rp->pfail[rp->npfail++];
		xp_rpoint_fill(res->r, &res->pts->v[i], p);
		p->states = res->states_at[i];
		p->failing_states = per_point[i];
	}
	free(per_point);
	for (size_t i = 0; i < res->nimg; i++) {
		const struct xp_image *im = &res->img[i];
		if (im->res.kind == XP_RES_PASS)
			continue;
		rp->failing_images++;
		rp->timeouts += im->res.kind == XP_RES_TIMEOUT;
		rp->crashes += im->res.kind == XP_RES_SIGNAL;
		rp->failures = xrealloc(rp->failures, (rp->nfailures + 1) *
				sizeof(*rp->failures),
				"fill_failures: rp->failures");
		struct xp_rfail *f = &rp->failures[rp->nfailures++];
		f->state = xp_strdup(im->state);
		f->ordinal = im->first_ordinal;
		f->point = res->pts->v[im->point_idx].point;
		f->states = im->states;
		f->result = im->res;
	}
	if (rp->nfailures)
		qsort(rp->failures, rp->nfailures, sizeof(*rp->failures),
				cmp_fail);
	if (rp->nfailures > XP_FAILURES_MAX) {
		for (size_t i = XP_FAILURES_MAX; i < rp->nfailures; i++)
			free(rp->failures[i].state);
		rp->nfailures = XP_FAILURES_MAX;
		rp->failures_truncated = true;
	}
}

/* first_image -- the failing image of smallest ordinal */
static const struct xp_image *
first_image(const struct xp_results *res)
{
	const struct xp_image *best = NULL;
	for (size_t i = 0; i < res->nimg; i++)
		if (res->img[i].res.kind != XP_RES_PASS && (best == NULL ||
				res->img[i].first_ordinal < best->first_ordinal))
			best = &res->img[i];
	return best;
}

/* explain_restore -- (xp_check_restore_fn) the explanation's image as its
 * check began, for a check the fork server did not pass; under --explore
 * lazy its checks run by exec (they have no run spec to write again) */
static int
explain_restore(void *ctx, size_t slot, bool write)
{
	(void)slot;
	if (write && xp_slot_restore(ctx) != 0)
		return -1;
	return 0;
}

/* explain_first -- replays to the failing point and minimises */
static int
explain_first(const struct xp_results *res, const struct xp_image *im,
		struct xp_report *rp, char *err, size_t errlen)
{
	struct xp_replay r;
	uint64_t point;
	struct xp_choice *c = NULL;
	size_t n = 0;
	int rc = -1;
	if (xp_state_parse(im->state, &point, &c, &n) != 0) {
		snprintf(err, errlen, "internal: bad state id %s", im->state);
		return -1;
	}
	if (xp_replay_open(&r, res->o->trace, res->o->pmem_dir, err,
			errlen) != 0 || xp_replay_to(&r, point, err, errlen) != 0)
		goto out;
	for (size_t i = 0; i < r.nmarkers; i++)
		xp_strv_push(&rp->first_markers, &rp->nfirst_markers,
				r.markers[i]);
	if (!res->o->explain || res->chk == NULL) {
		rp->expl_status = xp_strdup("not-computed");
		rc = 0;
		goto out;
	}
	struct xp_base *base = xp_base_new(&r.media);
	xp_base_load(base, r.m);
	char dir[PATH_MAX + 16];
	snprintf(dir, sizeof(dir), "%s/explain", res->tmp);
	struct xp_slot *slot = xp_slot_new(base, dir, err, errlen);
	if (slot != NULL) {
		char *markers = xp_replay_markers(&r);
		struct xp_explain_ctx x = { &r, base, slot, res->chk,
			im->state, markers, c, n };
		/* the lines it persists on top: GPF failed all the same */
		xp_checker_set_dirty_shutdown(res->chk, im->dirty_shutdown);
		if (!res->o->lazy)
			xp_checker_set_restore(res->chk, explain_restore, slot);
		xp_explain(&x, rp);
		if (!res->o->lazy) /* the slot goes */
			xp_checker_set_restore(res->chk, NULL, NULL);
		free(markers);
		xp_slot_delete(slot);
		rc = 0;
	}
	xp_base_delete(base);
out:
	xp_replay_close(&r);
	free(c);
	return rc;
}

/* count_checked -- stopped: only the states and images checked count
 * (a check killed on the way has no verdict) */
static void
count_checked(const struct xp_results *res, struct xp_report *rp)
{
	rp->states = rp->images = 0;
	for (size_t i = 0; i < res->nst; i++)
		rp->states += res->img[res->st[i].image].done;
	for (size_t i = 0; i < res->nimg; i++)
		rp->images += res->img[i].done;
}

/* fill_tx_late -- each store made before its TX_ADD, as one line */
static void
fill_tx_late(const struct xp_results *res, struct xp_report *rp)
{
	for (size_t i = 0; i < res->r->ntx_late; i++) {
		const struct model_finding *f = &res->r->tx_late[i];
		struct xp_site store, add;
		char s[512], a[512], t[1200];
		xp_report_site(res->r, f->site, &store);
		xp_report_site(res->r, f->related, &add);
		xp_site_line(&store, s, sizeof(s));
		xp_site_line(&add, a, sizeof(a));
		snprintf(t, sizeof(t), "%s+0x%llx stored at %s, added to the "
			"transaction after it at %s",
			xp_report_region_file(rp, f->region),
			(unsigned long long)f->off, s, a);
		xp_strv_push(&rp->tx_late, &rp->ntx_late, t);
		xp_site_free(&store);
		xp_site_free(&add);
	}
}

int
xp_verdict(const struct xp_results *res, struct xp_report *rp, char *err,
		size_t errlen)
{
	fill_options(res, rp);
	fill_notes(res, rp);
	rp->points_total = res->pts->total;
	rp->points = res->pts->n;
	rp->states = res->nst;
	rp->images = res->nimg;
	rp->checks = res->checks;
	rp->program_status = -1;
	rp->stopped = res->stopped;
	rp->time_limit_s = res->o->time_limit_s;
	rp->points_done = res->points_done;
	if (res->stopped)
		count_checked(res, rp);
	fill_failures(res, rp);
	fill_tx_late(res, rp);
	const struct xp_image *im = first_image(res);
	if (im == NULL)
		return 0;
	rp->has_first = true;
	rp->first.state = xp_strdup(im->state);
	rp->first.ordinal = im->first_ordinal;
	rp->first.point = res->pts->v[im->point_idx].point;
	rp->first.states = im->states;
	rp->first.result = im->res;
	rp->first_same_image = im->states;
	rp->first_gpf = im->dirty_shutdown < 0 ? 0 : 1 + im->dirty_shutdown;
	rp->first_output = xp_strdup(im->output ? im->output : "");
	xp_rpoint_fill(res->r, &res->pts->v[im->point_idx], &rp->first_point);
	int rc = explain_first(res, im, rp, err, errlen);
	return rc;
}
