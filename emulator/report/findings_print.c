/*
 * findings_print.c -- a findings report as text (STYLE.md, "User-facing
 * messages") and as JSON; docs/report-format.md defines both
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "findings_impl.h"
#include "report_util.h"

/* how each class reads: its title, what it counts, and what went wrong */
struct class_text {
	const char *key;     /* JSON */
	const char *title;
	const char *unit;    /* singular; the plural adds "es" or "s" */
	const char *plural;
	const char *what;    /* after "N stores from M sites " */
	bool when;           /* the moment ("at exit") follows `what` */
	bool located;        /* the first example has a region offset */
};

static const struct class_text class_text[MODEL_FIND_MAX] = {
	[MODEL_FIND_UNPERSISTED] = { "unpersisted", "unpersisted stores",
		"store", "stores", "not durable", true, true },
	[MODEL_FIND_NO_FENCE] = { "no_fence", "missing fence", "flush",
		"flushes", "with no later fence in their thread", true,
		true },
	[MODEL_FIND_REDUNDANT] = { "redundant_flush", "redundant flush",
		"flush", "flushes", "of lines that were not dirty", false,
		true },
	[MODEL_FIND_OUTSIDE] = { "flush_outside", "flush outside pmem",
		"flush", "flushes", "of addresses in no emulated region",
		false, false },
	[MODEL_FIND_PAGECACHE_FLUSH] = { "pagecache_flush",
		"cpu flush on page cache", "flush", "flushes",
		"on a mapping that is not DAX (only msync/fsync persist it)",
		false, true },
	[MODEL_FIND_TX_UNADDED] = { "tx_unadded",
		"store outside its transaction", "store", "stores",
		"in a transaction to ranges never added to it (TX_ADD)",
		false, true },
	[MODEL_FIND_TX_ADD_LATE] = { "tx_add_late",
		"store before its TX_ADD", "store", "stores",
		"in a transaction to ranges added to it only after the store "
		"(the undo log holds the new value, not the old)", false,
		true },
};

static const char *
when_text(const struct findings_print_opts *o)
{
	return o && o->when ? o->when : "at exit";
}

/* the sum of counts and the number of entries of class c */
static void
class_totals(const struct findings_report *rep, enum model_finding_class c,
		uint64_t *count, size_t *entries)
{
	*count = 0;
	*entries = 0;
	for (size_t i = 0; i < rep->nentries; i++)
		if (rep->entry[i].cls == c) {
			*count += rep->entry[i].count;
			(*entries)++;
		}
}

static void
print_class_header(FILE *out, const struct findings_report *rep,
		enum model_finding_class c, const struct findings_print_opts *o)
{
	const struct class_text *t = &class_text[c];
	uint64_t count;
	size_t entries;
	class_totals(rep, c, &count, &entries);
	fprintf(out, "pmemu: %s: %" PRIu64 " %s from %zu site%s %s", t->title,
			count, count == 1 ? t->unit : t->plural, entries,
			entries == 1 ? "" : "s", t->what);
	if (t->when)
		fprintf(out, " %s", when_text(o));
	fputc('\n', out);
}

/* where: "pool.img+0x1040", or "region 3+0x40" for a region never named */
static void
print_location(FILE *out, const struct findings_report *rep,
		const struct finding_entry *e)
{
	const char *path = findings_region_path(rep, e->region);
	if (path != NULL)
		fprintf(out, "%s+0x%" PRIx64, report_basename(path), e->off);
	else
		fprintf(out, "region %" PRIu32 "+0x%" PRIx64, e->region,
				e->off);
}

static void
print_frames(FILE *out, const struct sym_frame *fr, size_t n)
{
	if (n == 0)
		fputs("      (no call site recorded)\n", out);
	for (size_t i = 0; i < n; i++) {
		char buf[1024];
		sym_frame_format(&fr[i], buf, sizeof(buf));
		fprintf(out, "      %s %s\n", i == 0 ? "at" : "by", buf);
	}
}

static void
print_entry(FILE *out, const struct findings_report *rep,
		const struct finding_entry *e, size_t index)
{
	const struct class_text *t = &class_text[e->cls];
	fprintf(out, "[%zu] %" PRIu64 " %s", index, e->count,
			e->count == 1 ? t->unit : t->plural);
	if (e->lines > 0)
		fprintf(out, ", %" PRIu64 " line%s", e->lines,
				e->lines == 1 ? "" : "s");
	if (t->located) {
		fputs(", first at ", out);
		print_location(out, rep, e);
	}
	fputc('\n', out);
	print_frames(out, e->frames, e->nframes);
	if (e->guessed)
		fputs("      (site guessed: a store seen by page protection, "
			"named by the page's first store or a flush or TX_ADD "
			"that covered the line; build with the pmemu GCC "
			"plugin for the exact store)\n", out);
	if (e->nrelated_frames > 0) {
		fputs("    added to the transaction after the store:\n", out);
		print_frames(out, e->related_frames, e->nrelated_frames);
	}
}

static size_t
class_count(const struct findings_report *rep)
{
	size_t n = 0;
	for (int c = 0; c < MODEL_FIND_MAX; c++) {
		uint64_t count;
		size_t entries;
		class_totals(rep, (enum model_finding_class)c, &count,
				&entries);
		n += entries > 0;
	}
	return n;
}

/* nosym_add -- frames of this module print "???": remember it once */
static void
nosym_add(struct findings_report *rep, const struct sym_frame *fr, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *m = fr[i].module;
		bool unknown = fr[i].func == NULL || strcmp(fr[i].func,
				"???") == 0;
		if (!unknown || fr[i].debug_info || m == NULL)
			continue;
		size_t k = 0;
		while (k < rep->nnosym && strcmp(rep->nosym[k], m) != 0)
			k++;
		if (k < rep->nnosym || rep->nnosym == 8)
			continue;
		char *copy = strdup(m);
		char **v = realloc(rep->nosym, (k + 1) * sizeof(*v));
		if (copy == NULL || v == NULL) {
			free(copy);
			return;
		}
		rep->nosym = v;
		rep->nosym[rep->nnosym++] = copy;
	}
}

void
findings_print_symbol_hint(const struct findings_report *rep, FILE *out)
{
	if (rep->nnosym == 0)
		return;
	fputs("pmemu: note: no symbols for", out);
	for (size_t i = 0; i < rep->nnosym; i++)
		fprintf(out, "%s %s", i ? "," : "",
				report_basename(rep->nosym[i]));
	fprintf(out, " (frames print ?\?\?): install the debug symbols of "
		"the package that ships %s (Debian: its -dbgsym package; "
		"`dpkg -S %s` names the package), or set DEBUGINFOD_URLS "
		"(https://debuginfod.debian.net) for elfutils to fetch them\n",
		rep->nnosym == 1 ? "it" : "them", rep->nosym[0]);
}

int
findings_print_text(struct findings_report *rep,
		const struct findings_print_opts *opts, FILE *out)
{
	int ret = findings_entries(rep);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < rep->nentries; i++) {
		const struct finding_entry *e = &rep->entry[i];
		if (i == 0 || rep->entry[i - 1].cls != e->cls)
			print_class_header(out, rep, e->cls, opts);
		print_entry(out, rep, e, i);
		nosym_add(rep, e->frames, e->nframes);
		nosym_add(rep, e->related_frames, e->nrelated_frames);
	}
	size_t classes = class_count(rep);
	int code = opts ? opts->error_exitcode : 0;
	if (rep->nentries == 0)
		fprintf(out, "pmemu: no findings %s\n", when_text(opts));
	else
		fprintf(out, "pmemu: %zu finding%s in %zu class%s",
				rep->nentries, rep->nentries == 1 ? "" : "s",
				classes, classes == 1 ? "" : "es");
	if (rep->nentries > 0 && code > 0)
		fprintf(out, "; exit %d (--error-exitcode=%d)", code, code);
	if (rep->nentries > 0)
		fputc('\n', out);
	return (int)rep->nentries;
}

static void
json_entry(FILE *out, const struct findings_report *rep,
		const struct finding_entry *e, size_t index)
{
	const char *path = findings_region_path(rep, e->region);
	fprintf(out, "    {\"index\": %zu, \"class\": \"%s\", \"count\": %"
			PRIu64 ", \"lines\": %" PRIu64 ", \"region\": ", index,
			class_text[e->cls].key, e->count, e->lines);
	if (!class_text[e->cls].located)
		fputs("null", out);
	else if (path != NULL)
		report_json_string(out, path);
	else
		fprintf(out, "%" PRIu32, e->region);
	if (class_text[e->cls].located)
		fprintf(out, ", \"offset\": \"0x%" PRIx64 "\"", e->off);
	else
		fputs(", \"offset\": null", out);
	fputs(", \"sites\": [", out);
	for (size_t i = 0; i < e->nsites; i++)
		fprintf(out, "%s%" PRIu32, i ? ", " : "", e->sites[i]);
	fprintf(out, "],%s\n     \"frames\": [", e->guessed ?
			" \"site_guessed\": true," : "");
	for (size_t i = 0; i < e->nframes; i++) {
		fputs(i ? ",\n                " : "", out);
		sym_frame_json(&e->frames[i], out);
	}
	fputs("]", out);
	if (e->nrelated_frames > 0) {
		fputs(",\n     \"added_at\": [", out);
		for (size_t i = 0; i < e->nrelated_frames; i++) {
			fputs(i ? ",\n                " : "", out);
			sym_frame_json(&e->related_frames[i], out);
		}
		fputs("]", out);
	}
	fputs("}", out);
}

int
findings_print_json(struct findings_report *rep,
		const struct findings_print_opts *opts, FILE *out)
{
	int ret = findings_entries(rep);
	if (ret < 0)
		return ret;
	fputs("{\"report\": \"pmemu-run\", \"schema_version\": 1, "
			"\"when\": ", out);
	report_json_string(out, when_text(opts));
	fputs(",\n  \"findings\": [", out);
	for (size_t i = 0; i < rep->nentries; i++) {
		fputs(i ? ",\n" : "\n", out);
		json_entry(out, rep, &rep->entry[i], i);
	}
	fprintf(out, "%s],\n  \"summary\": {\"findings\": %zu, "
			"\"classes\": %zu, \"by_class\": {",
			rep->nentries ? "\n  " : "", rep->nentries,
			class_count(rep));
	bool first = true;
	for (int c = 0; c < MODEL_FIND_MAX; c++) {
		uint64_t count;
		size_t entries;
		class_totals(rep, (enum model_finding_class)c, &count,
				&entries);
		if (entries == 0)
			continue;
		fprintf(out, "%s\"%s\": {\"findings\": %zu, \"count\": %"
				PRIu64 "}", first ? "" : ", ",
				class_text[c].key, entries, count);
		first = false;
	}
	fprintf(out, "}, \"error_exitcode\": %d}}\n",
			opts ? opts->error_exitcode : 0);
	return (int)rep->nentries;
}
