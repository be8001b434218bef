/* report_text.c -- the explore report for people (STYLE.md: class and
 * count first, numbered entries with a stack, innermost first) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "check_cmd.h"
#include "replay.h"
#include "report.h"

#define XP_TEXT_POINTS 10 /* failing points listed one by one */

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

void
xp_site_line(const struct xp_site *s, char *buf, size_t len)
{
	size_t k = 0;
	while (k < s->nframes && !(s->frames[k].file && s->frames[k].line))
		k++;
	if (s->nframes == 0)
		snprintf(buf, len, "site %u", s->id);
	else
		frame_text(&s->frames[k < s->nframes ? k : 0], buf, len);
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

const char *
xp_report_region_file(const struct xp_report *rp, uint32_t region)
{
	for (size_t i = 0; i < rp->nregions; i++)
		if (rp->regions[i].region == region)
			return rp->regions[i].file;
	return "region";
}

/* print_pieces -- " (bytes A-B, C-D of the line arrived)" of a torn line */
static void
print_pieces(FILE *f, const struct xp_rline *l)
{
	fprintf(f, " (of it only ");
	const char *sep = "";
	for (uint64_t m = l->torn_pieces; m;) {
		unsigned b = (unsigned)__builtin_ctzll(m), e = b;
		while (e + 1 < 64 && (m >> (e + 1) & 1))
			e++;
		fprintf(f, "%s0x%" PRIx64 "-0x%" PRIx64, sep,
			l->off + (uint64_t)b * l->piece_len,
			l->off + (uint64_t)(e + 1) * l->piece_len - 1);
		sep = ", ";
		m = e + 1 < 64 ? m & ~((2ull << e) - 1) : 0;
	}
	fprintf(f, " arrived)");
}

static const char *
reason_text(const struct xp_rline *l)
{
	static const struct { const char *key, *text; } t[] = {
		{ "never-flushed", "never flushed" },
		{ "flushed-no-fence", "flushed, no fence after it" },
		{ "stored-after-flush", "stored again after its last flush" },
		{ "persisted-early", "reached the media before the crash, "
			"and the check fails with it" },
		{ "content-unknown", "content unknown at this point" },
		{ "poisoned", "poisoned at the crash: its write-back was "
			"in flight (a bad block: a load raises SIGBUS)" },
	};
	const char *r = l->reason ? l->reason : "";
	if (strcmp(r, "torn") == 0)
		return l->piece_len > 8 ? "torn: its write-back reached the "
			"media in part" : "torn: the store below reached the "
			"media in part";
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(r, t[i].key) == 0)
			return t[i].text;
	return "not durable";
}

/* print_also -- one line per other store: where, and the program's
 * caller when the store itself has no source line (a library's) */
static void
print_also(FILE *f, const struct xp_rline *l)
{
	char buf[1024], caller[1024];
	for (size_t i = 1; i < l->nstores; i++) {
		const struct xp_site *s = &l->stores[i];
		if (s->nframes == 0) {
			fprintf(f, "        also stored by site %u\n", s->id);
			continue;
		}
		frame_text(&s->frames[0], buf, sizeof(buf));
		caller[0] = '\0';
		for (size_t k = 1; k < s->nframes && !(s->frames[0].file &&
				s->frames[0].line); k++)
			if (s->frames[k].file && s->frames[k].line) {
				frame_text(&s->frames[k], caller, sizeof(caller));
				break;
			}
		fprintf(f, "        also stored by %s%s%s\n", buf, caller[0] ?
			", called from " : "", caller);
	}
}

void
xp_report_text_line(const struct xp_report *rp, FILE *f, const char *lead,
		const struct xp_rline *l)
{
	fprintf(f, "%s%s+0x%" PRIx64 " (%u bytes): %s", lead,
		xp_report_region_file(rp, l->region), l->off, l->len,
		reason_text(l));
	if (l->piece_len && l->torn_pieces)
		print_pieces(f, l);
	fputc('\n', f);
	print_stack(f, "        ", "stored at", &l->store_site);
	print_also(f, l);
	if (l->flush_site.id)
		print_stack(f, "        ", "flushed at", &l->flush_site);
}

static void
print_lines(const struct xp_report *rp, FILE *f)
{
	for (size_t i = 0; i < rp->nexpl; i++) {
		char lead[32];
		snprintf(lead, sizeof(lead), "  [%zu] ", i);
		xp_report_text_line(rp, f, lead, &rp->expl[i]);
	}
}

/*
 * print_tx_late -- the stores made before their TX_ADD: the undo log took
 * the new value, so rolling the transaction back (recovery after a crash
 * inside it) leaves the new value next to old ones
 */
static void
print_tx_late(const struct xp_report *rp, FILE *f, const char *lead)
{
	fprintf(f, "  %s %s made in a transaction before %s TX_ADD: the undo "
		"log holds the new value, so a crash inside the transaction "
		"rolls back to it:\n", lead, rp->ntx_late == 1 ?
		"a store was" : "stores were", rp->ntx_late == 1 ? "its" :
		"their");
	for (size_t i = 0; i < rp->ntx_late; i++)
		fprintf(f, "    %s\n", rp->tx_late[i]);
}

/* stack_text -- "sfence in f (a.c:3) by g (b.c:9)": a point's event and
 * call stack on one line */
static void
stack_text(const struct xp_rpoint *p, char *buf, size_t len)
{
	size_t at = (size_t)snprintf(buf, len, "%s", p->event);
	for (size_t i = 0; i < p->site.nframes && at < len; i++) {
		char fr[512];
		frame_text(&p->site.frames[i], fr, sizeof(fr));
		at += (size_t)snprintf(buf + at, len - at, " %s %s",
				i ? "by" : "in", fr);
	}
}

/*
 * print_points_by_stack -- the failing points after the first `from`,
 * counted per call stack in order of first appearance (--verbose lists
 * each, the JSON report has them all)
 */
static void
print_points_by_stack(const struct xp_report *rp, size_t from, FILE *f)
{
	size_t n = rp->npfail - from;
	bool *done = calloc(n, sizeof(*done));
	if (done == NULL)
		return;
	fprintf(f, "  %zu more, by call stack (--verbose lists each):\n", n);
	for (size_t i = 0; i < n; i++) {
		if (done[i])
			continue;
		char key[4096], other[4096];
		stack_text(&rp->pfail[from + i], key, sizeof(key));
		uint64_t points = 0, failing = 0;
		for (size_t j = i; j < n; j++) {
			stack_text(&rp->pfail[from + j], other, sizeof(other));
			if (done[j] || strcmp(key, other) != 0)
				continue;
			done[j] = true;
			points++;
			failing += rp->pfail[from + j].failing_states;
		}
		fprintf(f, "    %" PRIu64 " point%s, %" PRIu64 " failing "
			"state%s: %s\n", points, points == 1 ? "" : "s",
			failing, failing == 1 ? "" : "s", key);
	}
	free(done);
}

/* print_unexplained -- why losing lines does not explain the failure */
static void
print_unexplained(const struct xp_report *rp, FILE *f)
{
	if (rp->expl_unknown == 0 && rp->ntx_late > 0) {
		print_tx_late(rp, f, "the check fails even with every open "
			"line persisted: no lost line explains it, but");
		return;
	}
	if (rp->expl_unknown == 0) {
		fprintf(f, "  the check fails even with every open line "
			"persisted (every store before the crash point "
			"durable): no lost line explains it; the stores before "
			"this crash point leave an image the check rejects (or "
			"the check is wrong)\n");
		return;
	}
	fprintf(f, "  the check fails even with every other open line "
		"persisted: %" PRIu64 " line%s hold%s stores pmemu did not "
		"trace one by one (seen only by page protection), so %s "
		"content at this point is unknown and pmemu cannot persist "
		"%s; build the code storing to %s with the pmemu GCC plugin "
		"to explore %s:\n", rp->expl_unknown, rp->expl_unknown == 1 ?
		"" : "s", rp->expl_unknown == 1 ? "s" : "",
		rp->expl_unknown == 1 ? "its" : "their",
		rp->expl_unknown == 1 ? "it" : "them",
		rp->expl_unknown == 1 ? "it" : "them",
		rp->expl_unknown == 1 ? "it" : "them");
	print_lines(rp, f);
	if (rp->expl_unknown > rp->nexpl)
		fprintf(f, "  ... %" PRIu64 " more\n",
			rp->expl_unknown - rp->nexpl);
}

static void
print_explanation(const struct xp_report *rp, FILE *f)
{
	const char *st = rp->expl_status ? rp->expl_status : "not-computed";
	if (strcmp(st, "fails-when-persisted") == 0) {
		print_unexplained(rp, f);
		return;
	}
	if (strcmp(st, "flaky") == 0) {
		fprintf(f, "  the state passed when checked again: the check "
			"is not deterministic\n");
		return;
	}
	if (strcmp(st, "minimal-persisted") == 0) {
		fprintf(f, "  the check fails even with every open line "
			"persisted, and passes with every open line lost: "
			"stores reached the media too early (a store not in "
			"its transaction's undo log, a publish before what it "
			"publishes)\n  minimal explanation: %s alone makes the "
			"check fail (%" PRIu64 " checks):\n", rp->nexpl == 1 ?
			"this line reaching the media" : "these lines reaching "
			"the media", rp->expl_checks);
		print_lines(rp, f);
		if (rp->ntx_late > 0)
			print_tx_late(rp, f, "pmemu run would say:");
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
	print_lines(rp, f);
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
	if (rp->first_gpf)
		fprintf(f, "  Global Persistent Flush %s "
			"(PMEMU_DIRTY_SHUTDOWN=%d)\n", rp->first_gpf == 2 ?
			"failed: the dirty shutdown count moved" : "succeeded",
			rp->first_gpf - 1);
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
	fprintf(f, "pmemu explore: %" PRIu64 " crash point%s", rp->points,
		rp->points == 1 ? "" : "s");
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
	xp_report_text_xreads(rp, f);
	bool stopped = xp_report_text_stop(rp, f);
	if (stopped && rp->failing_states == 0 && !xp_report_failed(rp)) {
		fprintf(f, "pmemu: INCOMPLETE: no state failed among those "
			"checked\n");
		return;
	}
	if (rp->failing_states == 0 && xp_report_failed(rp)) {
		fprintf(f, "pmemu: FAIL: every state passed the check, but "
			"the check read data that was not durable at the crash "
			"(--error-on-unpersisted-read)\n");
		return;
	}
	if (rp->failing_states == 0) {
		char n[32];
		xp_count_text(rp->bounded.left_out, n, sizeof(n));
		fprintf(f, "pmemu: PASS: every state passed the check%s%s%s\n",
			rp->bounded.points ? " (" : "", rp->bounded.points ? n :
			"", rp->bounded.points ? " combinations not explored: "
			"see the note)" : "");
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
	size_t listed = rp->text_verbose ? rp->npfail : XP_TEXT_POINTS;
	for (size_t i = 0; i < rp->npfail && i < listed; i++) {
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
	if (rp->npfail > listed)
		print_points_by_stack(rp, listed, f);
	if (rp->has_first) {
		fputs("rebuild the image: pmemu replay --trace ", f);
		xp_shell_word(f, rp->trace);
		if (rp->pmem_dir) {
			fputs(" --pmem-dir ", f);
			xp_shell_word(f, rp->pmem_dir);
		}
		fprintf(f, " --state '%s' -o DIR\n", rp->first.state);
	}
}
