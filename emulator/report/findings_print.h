/*
 * findings_print.h -- the in-process model's findings, for people (text)
 * and for tools (JSON); the format is docs/report-format.md
 *
 * A findings report collects the findings of one moment (the end of the
 * run, or one pmemu_crash_point()), the regions they point into and the
 * sites they come from; printing groups them by class, merges the sites
 * whose stacks read the same, and puts the most frequent first.
 */
#ifndef PMEMU_FINDINGS_PRINT_H
#define PMEMU_FINDINGS_PRINT_H 1

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "symbolize.h"

#ifdef __cplusplus
extern "C" {
#endif

struct findings_report;
struct trace_rec;

struct findings_print_opts {
	const char *when;    /* "at exit" (NULL), "at crash point 'commit'" */
	int error_exitcode;  /* --error-exitcode; 0: findings keep exit 0 */
};

/* sym: borrowed, or NULL for a symbolizer of the report's own */
struct findings_report *findings_report_new(struct symbolizer *sym);
void findings_report_delete(struct findings_report *rep);
struct symbolizer *findings_report_symbolizer(struct findings_report *rep);

/* 0 or -EINVAL/-ENOMEM; a region's first path wins */
int findings_report_add_region(struct findings_report *rep,
		uint32_t region, const char *path);
int findings_report_add(struct findings_report *rep,
		const struct model_finding *f);
/* REGION and FINDING records; MODULE, SITE, SITE_SRC go to the
 * symbolizer; records as the trace reader returns them (decoded): 1
 * taken, 0 another type, -ENOMEM */
int findings_report_add_record(struct findings_report *rep,
		const struct trace_rec *rec);
/* forgets the findings (regions and sites stay): the next batch */
void findings_report_clear(struct findings_report *rep);
/* findings added since the last clear (before merging sites) */
size_t findings_report_count(const struct findings_report *rep);

/* both return the number of entries printed (after merging), or -errno */
int findings_print_text(struct findings_report *rep,
		const struct findings_print_opts *opts, FILE *out);
int findings_print_json(struct findings_report *rep,
		const struct findings_print_opts *opts, FILE *out);

/* once, after every batch: the modules whose frames printed "???" and how
 * to get their symbols; nothing when every frame had a name */
void findings_print_symbol_hint(const struct findings_report *rep,
		FILE *out);

#ifdef __cplusplus
}
#endif
#endif /* PMEMU_FINDINGS_PRINT_H */
