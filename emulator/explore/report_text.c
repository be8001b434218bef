/* report_text.c -- the explore report for people (STYLE.md: class and
 * count first, numbered entries with a stack, innermost first) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore.h"

static const char *
base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s ? s + 1 : p;
}

static void
frame_text(const struct xp_frame *f, char *buf, size_t len)
{
	const char *fn = f->function ? f->function : "???";
	if (f->file && f->line)
		snprintf(buf, len, "%s (%s:%d)", fn, base_name(f->file), f->line);
	else if (f->module && f->has_offset)
		snprintf(buf, len, "%s (%s+0x%" PRIx64 ")", fn,
				base_name(f->module), f->offset);
	else
		snprintf(buf, len, "%s", fn);
}

/* print_stack -- "at" the innermost frame, "by" the callers */
static void
print_stack(FILE *f, const char *indent, const char *verb,
		const struct xp_site *s)
{
	char buf[1024];
	if (s->nframes == 0) {
		fprintf(f, "%s%s site %u (no symbols in the trace)\n", indent,
				verb, s->id);
		return;
	}
	for (size_t i = 0; i < s->nframes; i++) {
		frame_text(&s->frames[i], buf, sizeof(buf));
		fprintf(f, "%s%s %s\n", indent, i ? "   by" : verb, buf);
	}
}

static const char *
region_file(const struct xp_report *rp, uint32_t region)
{
	for (size_t i = 0; i < rp->nregions; i++)
		if (rp->regions[i].region == region)
			return rp->regions[i].file;
	return "region";
}

static void
print_explanation(const struct xp_report *rp, FILE *f)
{
	const char *st = rp->expl_status ? rp->expl_status : "not-computed";
	if (strcmp(st, "fails-when-persisted") == 0) {
		fprintf(f, "  the check fails even with every open line "
			"persisted: the failure is not explained by lost "
			"lines\n");
		return;
	}
	if (strcmp(st, "flaky") == 0) {
		fprintf(f, "  the state passed when checked again: the check "
			"is not deterministic\n");
		return;
	}
	if (strcmp(st, "minimal") != 0)
		return;
	if (rp->nexpl == 1)
		fprintf(f, "  minimal explanation: losing this line alone makes "
			"the check fail (%" PRIu64 " checks):\n", rp->expl_checks);
	else
		fprintf(f, "  minimal explanation: losing these %zu lines "
			"together makes the check fail (%" PRIu64 " checks):\n",
			rp->nexpl, rp->expl_checks);
	for (size_t i = 0; i < rp->nexpl; i++) {
		const struct xp_rline *l = &rp->expl[i];
		const char *why = strcmp(l->reason, "never-flushed") == 0 ?
			"never flushed" : strcmp(l->reason,
			"flushed-no-fence") == 0 ? "flushed, no fence after it" :
			strcmp(l->reason, "stored-after-flush") == 0 ?
			"stored again after its last flush" : "not durable";
		fprintf(f, "  [%zu] %s+0x%" PRIx64 " (%u bytes): %s\n", i,
				region_file(rp, l->region), l->off, l->len, why);
		print_stack(f, "        ", "stored at", &l->store_site);
		if (l->flush_site.id)
			print_stack(f, "        ", "flushed at", &l->flush_site);
	}
}

static void
print_first(const struct xp_report *rp, FILE *f)
{
	char res[128];
	const struct xp_rpoint *p = &rp->first_point;
	fprintf(f, "first failing state: %s\n", rp->first.state);
	if (p->record >= 0)
		fprintf(f, "  crash point %" PRIu64 ": %s %s (trace record %"
			PRId64 ")\n", p->point, strcmp(p->event, "marker") == 0
			? "at" : "before", p->event, p->record);
	else
		fprintf(f, "  crash point %" PRIu64 ": before exit\n", p->point);
	if (p->record >= 0)
		print_stack(f, "      ", "at", &p->site);
	if (rp->nfirst_markers) {
		fprintf(f, "  markers passed:");
		for (size_t i = 0; i < rp->nfirst_markers; i++)
			fprintf(f, "%s %s", i ? "," : "", rp->first_markers[i]);
		fputc('\n', f);
	}
	xp_result_describe(&rp->first.result, res, sizeof(res));
	fprintf(f, "  check: %s (%" PRIu64 " state%s with this image)\n", res,
		rp->first_same_image, rp->first_same_image == 1 ? "" : "s");
	if (rp->first_output && rp->first_output[0]) {
		fprintf(f, "  check output (tail):\n");
		char *copy = xp_strdup(rp->first_output), *save = NULL;
		for (char *l = strtok_r(copy, "\n", &save); l;
				l = strtok_r(NULL, "\n", &save))
			fprintf(f, "    | %s\n", l);
		free(copy);
	}
	print_explanation(rp, f);
}

void
xp_report_write_text(const struct xp_report *rp, FILE *f)
{
	fprintf(f, "pmemu explore: %" PRIu64 " crash points", rp->points);
	if (rp->points != rp->points_total)
		fprintf(f, " (of %" PRIu64 ")", rp->points_total);
	fprintf(f, ", %" PRIu64 " states, %" PRIu64 " distinct images, %"
		PRIu64 " checks (strategy", rp->states, rp->images, rp->checks);
	for (size_t i = 0; i < rp->nstrategy; i++)
		fprintf(f, "%s%s", i ? "," : " ", rp->strategy[i]);
	fputc(')', f);
	for (size_t i = 0; i < rp->nshards; i++)
		if (rp->shards[i].n > 1)
			fprintf(f, "%s%u/%u", i ? "," : " shard ",
					rp->shards[i].k, rp->shards[i].n);
	fputc('\n', f);
	for (size_t i = 0; i < rp->nnotes; i++)
		fprintf(f, "pmemu: note: %s\n", rp->notes[i]);
	if (rp->failing_states == 0) {
		fprintf(f, "pmemu: PASS: every state passed the check\n");
		return;
	}
	fprintf(f, "pmemu: FAIL: %" PRIu64 " of %" PRIu64 " states failed the "
		"check (%" PRIu64 " distinct image%s", rp->failing_states,
		rp->states, rp->failing_images, rp->failing_images == 1 ? "" :
		"s");
	if (rp->timeouts)
		fprintf(f, ", %" PRIu64 " timed out", rp->timeouts);
	if (rp->crashes)
		fprintf(f, ", %" PRIu64 " crashed", rp->crashes);
	fprintf(f, ") at %zu crash point%s\n", rp->npfail,
			rp->npfail == 1 ? "" : "s");
	if (rp->has_first)
		print_first(rp, f);
	fprintf(f, "failing states per crash point:\n");
	for (size_t i = 0; i < rp->npfail && i < 50; i++) {
		const struct xp_rpoint *p = &rp->pfail[i];
		char where[1024] = "";
		if (p->site.nframes)
			frame_text(&p->site.frames[0], where, sizeof(where));
		fprintf(f, "  point %" PRIu64 " (%s%s%s): %" PRIu64 " of %"
			PRIu64 " states", p->point, p->event, where[0] ?
			" in " : "", where, p->failing_states, p->states);
		if (p->folded > 1)
			fprintf(f, ", %" PRIu64 " points folded", p->folded);
		fputc('\n', f);
	}
	if (rp->npfail > 50)
		fprintf(f, "  ... %zu more in the JSON report\n",
				rp->npfail - 50);
	if (rp->has_first)
		fprintf(f, "rebuild the image: pmemu replay --trace %s%s%s "
			"--state '%s' -o DIR\n", rp->trace,
			rp->pmem_dir ? " --pmem-dir " : "",
			rp->pmem_dir ? rp->pmem_dir : "", rp->first.state);
}
