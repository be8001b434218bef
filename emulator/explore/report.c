/* report.c -- the explore report: JSON (docs/report-json.md) and text */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "replay.h"
#include "report.h"

static void
json_str(FILE *f, const char *s)
{
	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void
xp_report_json_str(FILE *f, const char *s)
{
	json_str(f, s);
}

static void
json_strv(FILE *f, char *const *v, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		json_str(f, v[i]);
	}
	fputc(']', f);
}

static void
json_site(FILE *f, const struct xp_site *s)
{
	fprintf(f, "{\"id\": %u, \"frames\": [", s->id);
	for (size_t i = 0; i < s->nframes; i++) {
		const struct xp_frame *fr = &s->frames[i];
		fputs(i ? ", {\"function\": " : "{\"function\": ", f);
		json_str(f, fr->function);
		fputs(", \"file\": ", f);
		json_str(f, fr->file);
		if (fr->line)
			fprintf(f, ", \"line\": %d", fr->line);
		else
			fputs(", \"line\": null", f);
		fputs(", \"module\": ", f);
		json_str(f, fr->module);
		if (fr->has_offset)
			fprintf(f, ", \"offset\": \"0x%" PRIx64 "\"}", fr->offset);
		else
			fputs(", \"offset\": null}", f);
	}
	fputs("]}", f);
}

static void
json_result(FILE *f, const struct xp_result *r)
{
	fputs("{\"kind\": ", f);
	json_str(f, xp_res_kind_name(r->kind));
	if (r->kind == XP_RES_EXIT)
		fprintf(f, ", \"code\": %d", r->code);
	else
		fputs(", \"code\": null", f);
	if (r->kind == XP_RES_SIGNAL)
		fprintf(f, ", \"signal\": %d}", r->sig);
	else
		fputs(", \"signal\": null}", f);
}

static void
json_point(FILE *f, const struct xp_rpoint *p, bool counts)
{
	fprintf(f, "{\"point\": %" PRIu64 ", \"event\": ", p->point);
	json_str(f, p->event);
	if (p->record >= 0)
		fprintf(f, ", \"record\": %" PRId64, p->record);
	else
		fputs(", \"record\": null", f);
	fputs(", \"site\": ", f);
	json_site(f, &p->site);
	fprintf(f, ", \"folded\": %" PRIu64, p->folded);
	if (counts)
		fprintf(f, ", \"states\": %" PRIu64 ", \"failing_states\": %"
				PRIu64, p->states, p->failing_states);
	fputc('}', f);
}

static void
json_options(const struct xp_report *rp, FILE *f)
{
	fputs("  \"options\": {\"strategy\": ", f);
	json_strv(f, rp->strategy, rp->nstrategy);
	fputs(", \"crash_at\": ", f);
	json_strv(f, rp->crash_at, rp->ncrash_at);
	fputs(", \"crash_points\": ", f);
	json_str(f, rp->crash_points);
	fprintf(f, ", \"max_points\": %" PRIu64 ", \"max_lines\": %" PRIu64
		", \"max_states\": %" PRIu64 ", \"samples\": %" PRIu64
		", \"seed\": %" PRIu64 ", \"from\": ", rp->max_points,
		rp->max_lines, rp->max_states, rp->samples, rp->seed);
	json_str(f, rp->from);
	fputs(", \"to\": ", f);
	json_str(f, rp->to);
	fputs(", \"check\": ", f);
	json_str(f, rp->check);
	fputs(", \"check_kind\": ", f);
	json_str(f, rp->check_kind);
	fputs(", \"explore\": ", f);
	json_str(f, rp->explore);
	fprintf(f, ", \"timeout_s\": %g, \"shard\": {\"k\": %u, \"n\": %u}},\n",
		rp->timeout_s, rp->shard_k, rp->shard_n);
	fputs("  \"regions\": [", f);
	for (size_t i = 0; i < rp->nregions; i++) {
		const struct xp_rregion *g = &rp->regions[i];
		fprintf(f, "%s{\"region\": %u, \"file\": ", i ? ", " : "",
				g->region);
		json_str(f, g->file);
		fputs(", \"media\": ", f);
		json_str(f, g->media);
		fprintf(f, ", \"len\": %" PRIu64 ", \"line\": %u}", g->len,
				g->line);
	}
	fputs("],\n", f);
}

static void
json_counts(const struct xp_report *rp, FILE *f)
{
	fprintf(f, "  \"counts\": {\"points_total\": %" PRIu64 ", \"points\": %"
		PRIu64 ", \"states\": %" PRIu64 ", \"images\": %" PRIu64
		", \"checks\": %" PRIu64 ", \"checks_forked\": %" PRIu64
		", \"failing_states\": %" PRIu64
		", \"failing_images\": %" PRIu64 ", \"timeouts\": %" PRIu64
		", \"crashes\": %" PRIu64 ", \"points_bounded\": %" PRIu64
		", \"states_left_out\": %.17g},\n", rp->points_total,
		rp->points, rp->states, rp->images, rp->checks,
		rp->checks_forked, rp->failing_states, rp->failing_images, rp->timeouts,
		rp->crashes, rp->bounded.points, rp->bounded.left_out);
}

static const char *
region_file(const struct xp_report *rp, uint32_t region)
{
	for (size_t i = 0; i < rp->nregions; i++)
		if (rp->regions[i].region == region)
			return rp->regions[i].file;
	return NULL;
}

/* json_line_stores -- the stores a line lost; a torn line's pieces */
static void
json_line_stores(FILE *f, const struct xp_rline *l)
{
	fputs(", \"stores\": [", f);
	for (size_t i = 0; i < l->nstores; i++) {
		if (i)
			fputs(", ", f);
		json_site(f, &l->stores[i]);
	}
	fputc(']', f);
	if (l->piece_len)
		fprintf(f, ", \"torn_pieces\": \"0x%" PRIx64 "\", "
			"\"piece_len\": %u", l->torn_pieces, l->piece_len);
	else
		fputs(", \"torn_pieces\": null, \"piece_len\": null", f);
}

/* xp_report_json_line -- {"region", "file", "off", ..., "stores"} */
void
xp_report_json_line(const struct xp_report *rp, FILE *f,
		const struct xp_rline *l)
{
	fprintf(f, "{\"region\": %u, \"file\": ", l->region);
	json_str(f, region_file(rp, l->region));
	fprintf(f, ", \"off\": \"0x%" PRIx64 "\", \"len\": %u, "
			"\"reason\": ", l->off, l->len);
	json_str(f, l->reason);
	fputs(", \"store_site\": ", f);
	json_site(f, &l->store_site);
	fputs(", \"flush_site\": ", f);
	if (l->flush_site.id)
		json_site(f, &l->flush_site);
	else
		fputs("null", f);
	json_line_stores(f, l);
	fputc('}', f);
}

static void
json_first(const struct xp_report *rp, FILE *f)
{
	if (!rp->has_first) {
		fputs("  \"first_failure\": null,\n", f);
		return;
	}
	fputs("  \"first_failure\": {\"state\": ", f);
	json_str(f, rp->first.state);
	fprintf(f, ", \"ordinal\": %" PRIu64 ", \"point\": ", rp->first.ordinal);
	json_point(f, &rp->first_point, false);
	fputs(", \"markers\": ", f);
	json_strv(f, rp->first_markers, rp->nfirst_markers);
	fputs(", \"result\": ", f);
	json_result(f, &rp->first.result);
	fprintf(f, ", \"states_same_image\": %" PRIu64, rp->first_same_image);
	if (rp->first_gpf)
		fprintf(f, ", \"dirty_shutdown\": %d", rp->first_gpf - 1);
	else
		fputs(", \"dirty_shutdown\": null", f);
	fputs(", \"output\": ", f);
	json_str(f, rp->first_output);
	fputs(",\n    \"explanation\": {\"status\": ", f);
	json_str(f, rp->expl_status);
	fprintf(f, ", \"checks\": %" PRIu64 ", \"lines\": [", rp->expl_checks);
	for (size_t i = 0; i < rp->nexpl; i++) {
		fputs(i ? ",\n      " : "\n      ", f);
		xp_report_json_line(rp, f, &rp->expl[i]);
	}
	fprintf(f, "], \"unknown_lines\": %" PRIu64 "}},\n",
			rp->expl_unknown);
}

int
xp_report_write_json(const struct xp_report *rp, FILE *f)
{
	bool fail = xp_report_failed(rp);
	fputs("{\n  \"report\": \"pmemu-explore\",\n  \"schema_version\": 1,\n"
		"  \"pmemu_version\": \"" PMEMU_VERSION "\",\n  \"trace\": ", f);
	json_str(f, rp->trace);
	fprintf(f, ",\n  \"trace_truncated\": %s,\n  \"verdict\": \"%s\",\n"
		"  \"exit_code\": %d,\n", rp->trace_truncated ? "true" : "false",
		fail ? "fail" : rp->stopped ? "incomplete" : "pass",
		xp_report_exit_code(rp));
	xp_report_json_end(rp, f);
	json_options(rp, f);
	json_counts(rp, f);
	fputs("  \"notes\": ", f);
	json_strv(f, rp->notes, rp->nnotes);
	fputs(",\n  \"tx_add_late\": ", f);
	json_strv(f, rp->tx_late, rp->ntx_late);
	fputs(",\n", f);
	xp_report_json_xreads(rp, f);
	fputs("  \"points_failing\": [", f);
	for (size_t i = 0; i < rp->npfail; i++) {
		fputs(i ? ",\n    " : "\n    ", f);
		json_point(f, &rp->pfail[i], true);
	}
	fputs("],\n", f);
	json_first(rp, f);
	fputs("  \"failures\": [", f);
	for (size_t i = 0; i < rp->nfailures; i++) {
		const struct xp_rfail *x = &rp->failures[i];
		fputs(i ? ",\n    {\"state\": " : "\n    {\"state\": ", f);
		json_str(f, x->state);
		fprintf(f, ", \"ordinal\": %" PRIu64 ", \"point\": %" PRIu64
			", \"states\": %" PRIu64 ", \"result\": ", x->ordinal,
			x->point, x->states);
		json_result(f, &x->result);
		fputc('}', f);
	}
	fprintf(f, "],\n  \"failures_truncated\": %s,\n  \"shards\": [",
			rp->failures_truncated ? "true" : "false");
	for (size_t i = 0; i < rp->nshards; i++)
		fprintf(f, "%s{\"k\": %u, \"n\": %u}", i ? ", " : "",
				rp->shards[i].k, rp->shards[i].n);
	fputs("]\n}\n", f);
	return ferror(f) ? -1 : 0;
}
