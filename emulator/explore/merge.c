/* merge.c -- reading explore reports back and joining shard reports
 * (docs/report-json.md, "Merging") */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "explain.h"
#include "replay.h"
#include "report.h"
#include "json.h"
#include "xalloc.h"

static void
free_rpoint(struct xp_rpoint *p)
{
	free(p->event);
	xp_site_free(&p->site);
}

static void
free_rfail(struct xp_rfail *f)
{
	free(f->state);
}

void
xp_report_free(struct xp_report *rp)
{
	free(rp->trace);
	free(rp->pmem_dir);
	xp_strv_free(rp->strategy, rp->nstrategy);
	xp_strv_free(rp->crash_at, rp->ncrash_at);
	free(rp->crash_points);
	free(rp->from);
	free(rp->to);
	free(rp->check);
	free(rp->check_kind);
	free(rp->explore);
	for (size_t i = 0; i < rp->nregions; i++) {
		free(rp->regions[i].file);
		free(rp->regions[i].media);
	}
	free(rp->regions);
	xp_strv_free(rp->notes, rp->nnotes);
	xp_strv_free(rp->tx_late, rp->ntx_late);
	for (size_t i = 0; i < rp->npfail; i++)
		free_rpoint(&rp->pfail[i]);
	free(rp->pfail);
	free_rfail(&rp->first);
	free_rpoint(&rp->first_point);
	xp_strv_free(rp->first_markers, rp->nfirst_markers);
	free(rp->first_output);
	free(rp->expl_status);
	for (size_t i = 0; i < rp->nexpl; i++)
		xp_rline_free(&rp->expl[i]);
	free(rp->expl);
	for (size_t i = 0; i < rp->nfailures; i++)
		free_rfail(&rp->failures[i]);
	free(rp->failures);
	free(rp->shards);
	for (size_t i = 0; i < rp->nxreads; i++)
		xp_rxread_free(&rp->xreads[i]);
	free(rp->xreads);
	memset(rp, 0, sizeof(*rp));
}

static char *
dup_str(const struct json *v, const char *key)
{
	const char *s = json_str(v, key);
	return s ? xp_strdup(s) : NULL;
}

/* items_of -- v[key]'s items when it is an array (*n of them), else none */
static const struct json *
items_of(const struct json *v, const char *key, size_t *n)
{
	const struct json *a = json_get(v, key);
	*n = a && a->type == JSON_ARRAY ? a->n : 0;
	return *n ? a->items : NULL;
}

/* table_of -- n + 1 zeroed elements (the + 1: never a NULL table) */
static void *
table_of(size_t n, size_t size)
{
	void *t = xcalloc(n + 1, size, "table_of: t");
	return t;
}

static void
read_strv(const struct json *v, const char *key, char ***out, size_t *n)
{
	size_t na;
	const struct json *it = items_of(v, key, &na);
	for (size_t i = 0; i < na; i++)
		if (it[i].type == JSON_STRING)
			xp_strv_push(out, n, it[i].s);
}

static uint64_t
hex_u64(const struct json *v, const char *key)
{
	const char *s = json_str(v, key);
	return s ? strtoull(s, NULL, 16) : 0;
}

static void
read_site(const struct json *v, struct xp_site *s)
{
	memset(s, 0, sizeof(*s));
	if (v == NULL || v->type != JSON_OBJECT)
		return;
	s->id = (uint32_t)json_u64(v, "id");
	size_t n;
	const struct json *fr = items_of(v, "frames", &n);
	s->frames = table_of(n, sizeof(*s->frames));
	for (size_t i = 0; i < n; i++) {
		const struct json *f = &fr[i];
		s->frames[i].function = dup_str(f, "function");
		s->frames[i].file = dup_str(f, "file");
		s->frames[i].module = dup_str(f, "module");
		s->frames[i].line = (int)json_u64(f, "line");
		s->frames[i].has_offset = json_str(f, "offset") != NULL;
		s->frames[i].offset = hex_u64(f, "offset");
	}
	s->nframes = n;
}

static void
read_point(const struct json *v, struct xp_rpoint *p)
{
	memset(p, 0, sizeof(*p));
	p->point = json_u64(v, "point");
	p->event = dup_str(v, "event");
	const struct json *r = json_get(v, "record");
	p->record = r && r->type == JSON_NUMBER ? (int64_t)r->u : -1;
	read_site(json_get(v, "site"), &p->site);
	p->folded = json_u64(v, "folded");
	p->states = json_u64(v, "states");
	p->failing_states = json_u64(v, "failing_states");
}

static void
read_result(const struct json *v, struct xp_result *r)
{
	const char *k = json_str(v, "kind");
	memset(r, 0, sizeof(*r));
	r->kind = XP_RES_ERROR;
	for (int i = XP_RES_PASS; i <= XP_RES_ERROR; i++)
		if (k && strcmp(k, xp_res_kind_name(i)) == 0)
			r->kind = i;
	r->code = (int)json_u64(v, "code");
	r->sig = (int)json_u64(v, "signal");
}

static void
read_fail(const struct json *v, struct xp_rfail *f)
{
	f->state = dup_str(v, "state");
	f->ordinal = json_u64(v, "ordinal");
	f->point = json_u64(v, "point");
	f->states = json_u64(v, "states");
	read_result(json_get(v, "result"), &f->result);
}

/* read_line_stores -- "stores", "torn_pieces", "piece_len" of a line */
static void
read_line_stores(const struct json *l, struct xp_rline *out)
{
	size_t n;
	const struct json *st = items_of(l, "stores", &n);
	out->stores = table_of(n, sizeof(*out->stores));
	for (size_t i = 0; i < n; i++)
		read_site(&st[i], &out->stores[i]);
	out->nstores = n;
	out->piece_len = (uint32_t)json_u64(l, "piece_len");
	if (out->piece_len)
		out->torn_pieces = hex_u64(l, "torn_pieces");
}

/* read_rline -- a line of an explanation or of an unpersisted read */
static void
read_rline(const struct json *l, struct xp_rline *out)
{
	out->region = (uint32_t)json_u64(l, "region");
	out->off = hex_u64(l, "off");
	out->len = (uint32_t)json_u64(l, "len");
	out->reason = dup_str(l, "reason");
	read_site(json_get(l, "store_site"), &out->store_site);
	read_site(json_get(l, "flush_site"), &out->flush_site);
	read_line_stores(l, out);
}

static void
read_first(const struct json *ff, struct xp_report *rp)
{
	rp->has_first = true;
	read_fail(ff, &rp->first);
	read_point(json_get(ff, "point"), &rp->first_point);
	rp->first.point = rp->first_point.point;
	read_result(json_get(ff, "result"), &rp->first.result);
	read_strv(ff, "markers", &rp->first_markers, &rp->nfirst_markers);
	rp->first_same_image = json_u64(ff, "states_same_image");
	const struct json *ds = json_get(ff, "dirty_shutdown");
	rp->first_gpf = ds && ds->type == JSON_NUMBER ? 1 + (int)(ds->u != 0) :
		0;
	rp->first.states = rp->first_same_image;
	rp->first_output = dup_str(ff, "output");
	const struct json *ex = json_get(ff, "explanation");
	rp->expl_status = dup_str(ex, "status");
	rp->expl_checks = json_u64(ex, "checks");
	size_t n;
	const struct json *lines = items_of(ex, "lines", &n);
	rp->expl = table_of(n, sizeof(*rp->expl));
	for (size_t i = 0; i < n; i++)
		read_rline(&lines[i], &rp->expl[i]);
	rp->nexpl = n;
	rp->expl_unknown = json_u64(ex, "unknown_lines");
}

static void
read_options(const struct json *o, struct xp_report *rp)
{
	read_strv(o, "strategy", &rp->strategy, &rp->nstrategy);
	read_strv(o, "crash_at", &rp->crash_at, &rp->ncrash_at);
	rp->crash_points = dup_str(o, "crash_points");
	rp->max_points = json_u64(o, "max_points");
	rp->max_lines = json_u64(o, "max_lines");
	rp->max_states = json_u64(o, "max_states");
	rp->samples = json_u64(o, "samples");
	rp->seed = json_u64(o, "seed");
	rp->from = dup_str(o, "from");
	rp->to = dup_str(o, "to");
	rp->check = dup_str(o, "check");
	rp->check_kind = dup_str(o, "check_kind");
	rp->explore = dup_str(o, "explore");
	const struct json *t = json_get(o, "timeout_s");
	rp->timeout_s = t ? t->num : 0;
	const struct json *sh = json_get(o, "shard");
	rp->shard_k = (uint32_t)json_u64(sh, "k");
	rp->shard_n = (uint32_t)json_u64(sh, "n");
}

static void
read_arrays(const struct json *v, struct xp_report *rp)
{
	size_t n;
	const struct json *a = items_of(v, "regions", &n);
	rp->regions = table_of(n, sizeof(*rp->regions));
	for (size_t i = 0; i < n; i++) {
		rp->regions[i].region = (uint32_t)json_u64(&a[i], "region");
		rp->regions[i].file = dup_str(&a[i], "file");
		rp->regions[i].media = dup_str(&a[i], "media");
		rp->regions[i].len = json_u64(&a[i], "len");
		rp->regions[i].line = (uint32_t)json_u64(&a[i], "line");
	}
	rp->nregions = n;
	a = items_of(v, "points_failing", &n);
	rp->pfail = table_of(n, sizeof(*rp->pfail));
	for (size_t i = 0; i < n; i++)
		read_point(&a[i], &rp->pfail[i]);
	rp->npfail = n;
	a = items_of(v, "failures", &n);
	rp->failures = table_of(n, sizeof(*rp->failures));
	for (size_t i = 0; i < n; i++)
		read_fail(&a[i], &rp->failures[i]);
	rp->nfailures = n;
	a = items_of(v, "shards", &n);
	rp->shards = table_of(n, sizeof(*rp->shards));
	for (size_t i = 0; i < n; i++) {
		rp->shards[i].k = (uint32_t)json_u64(&a[i], "k");
		rp->shards[i].n = (uint32_t)json_u64(&a[i], "n");
	}
	rp->nshards = n;
	a = items_of(v, "unpersisted_reads", &n);
	rp->xreads = table_of(n, sizeof(*rp->xreads));
	for (size_t i = 0; i < n; i++) {
		rp->xreads[i].point = json_u64(&a[i], "point");
		rp->xreads[i].points = json_u64(&a[i], "points");
		const char *at = json_str(&a[i], "read_at");
		rp->xreads[i].read_at = xp_strdup(at ? at : "?");
		read_rline(json_get(&a[i], "line"), &rp->xreads[i].line);
	}
	rp->nxreads = n;
	rp->xreads_fail = json_bool(v, "unpersisted_reads_fail");
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	char *buf = NULL;
	size_t cap = 0;
	*len = 0;
	for (;;) {
		if (*len + 65536 > cap)
			buf = xrealloc(buf, cap = cap * 2 + 65536, "slurp: buf");
		size_t n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	return buf;
}

int
xp_report_read_json(const char *path, struct xp_report *rp, char *err,
		size_t errlen)
{
	size_t len;
	char perr[256];
	memset(rp, 0, sizeof(*rp));
	char *text = slurp(path, &len);
	if (text == NULL) {
		snprintf(err, errlen, "%s: cannot read", path);
		return -1;
	}
	struct json v;
	int rc = json_parse(text, len, &v, perr, sizeof(perr));
	free(text);
	if (rc != 0) {
		snprintf(err, errlen, "%s: not JSON: %s", path, perr);
		return -1;
	}
	const char *kind = json_str(&v, "report");
	if (kind == NULL || strcmp(kind, "pmemu-explore") != 0 ||
			json_u64(&v, "schema_version") != 1) {
		snprintf(err, errlen, "%s: not a pmemu explore report "
				"(schema 1)", path);
		json_free(&v);
		return -1;
	}
	const char *stopped = json_str(&v, "stopped");
	if (stopped != NULL) {
		snprintf(err, errlen, "%s: this exploration stopped early (%s): "
				"only whole shards merge", path, stopped);
		json_free(&v);
		return -1;
	}
	rp->trace = dup_str(&v, "trace");
	rp->trace_truncated = json_bool(&v, "trace_truncated");
	const struct json *ps = json_get(&v, "program_exit_status");
	rp->program_status = ps && ps->type == JSON_NUMBER ? (int)ps->num : -1;
	read_options(json_get(&v, "options"), rp);
	const struct json *c = json_get(&v, "counts");
	rp->points_total = json_u64(c, "points_total");
	rp->points = json_u64(c, "points");
	rp->states = json_u64(c, "states");
	rp->images = json_u64(c, "images");
	rp->checks = json_u64(c, "checks");
	rp->checks_forked = json_u64(c, "checks_forked");
	rp->failing_states = json_u64(c, "failing_states");
	rp->failing_images = json_u64(c, "failing_images");
	rp->timeouts = json_u64(c, "timeouts");
	rp->crashes = json_u64(c, "crashes");
	rp->bounded.points = json_u64(c, "points_bounded");
	const struct json *left = json_get(c, "states_left_out");
	rp->bounded.left_out = left ? left->num : 0;
	read_strv(&v, "notes", &rp->notes, &rp->nnotes);
	read_strv(&v, "tx_add_late", &rp->tx_late, &rp->ntx_late);
	read_arrays(&v, rp);
	const struct json *ff = json_get(&v, "first_failure");
	if (ff && ff->type == JSON_OBJECT)
		read_first(ff, rp);
	rp->failures_truncated = json_bool(&v, "failures_truncated");
	json_free(&v);
	return 0;
}
