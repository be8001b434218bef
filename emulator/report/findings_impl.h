/*
 * findings_impl.h -- a findings report's insides, shared by
 * findings_report.c (collecting, merging) and findings_print.c (writing)
 */
#ifndef PMEMU_FINDINGS_IMPL_H
#define PMEMU_FINDINGS_IMPL_H 1

#include <stdbool.h>

#include "findings_print.h"

/* one printed entry: the findings of one class whose stacks read alike */
struct finding_entry {
	enum model_finding_class cls;
	uint64_t count;
	uint64_t lines;
	uint32_t region;       /* of the most frequent site's first example */
	uint64_t off;
	uint32_t *sites;       /* ascending */
	size_t nsites;
	struct sym_frame *frames;
	size_t nframes;
	bool guessed;          /* a site is a page's first store (untraced) */
	struct sym_frame *related_frames; /* TX_ADD_LATE: the add's stack */
	size_t nrelated_frames;
	char *key;             /* the stack as text: what merging compares */
	uint64_t key_hash;
};

struct findings_report {
	struct symbolizer *sym;
	bool own_sym;
	char **region_path;    /* by region id; NULL when unknown */
	size_t nregions;
	struct model_finding *f;
	size_t nf, capf;
	struct finding_entry *entry; /* built by findings_entries() */
	size_t nentries;
	char **nosym;          /* modules whose frames printed "???", over
	                          every batch (findings_print_symbol_hint) */
	size_t nnosym;
};

/* groups rep->f into rep->entry: by class, most frequent first; 0 or
 * -ENOMEM */
int findings_entries(struct findings_report *rep);
/* the path of a region, NULL if the trace never named it */
const char *findings_region_path(const struct findings_report *rep,
		uint32_t region);

#endif
