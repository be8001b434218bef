/*
 * explore_auto.h -- `--explore auto`: lazy or eager (explore_auto.c)
 */
#ifndef PMEMU_XP_EXPLORE_AUTO_H
#define PMEMU_XP_EXPLORE_AUTO_H 1

#include <stdbool.h>
#include <stddef.h>

#include "explore.h"

/* eager's states over the points counted so far */
struct xp_auto_count {
	size_t points;     /* crash points of the run */
	size_t counted;    /* of them counted before the choice was sure */
	size_t sampled;    /* counted points eager would sample */
	double states;     /* eager's states at the counted points */
	bool cxl;          /* a cxl region: eager only (known when every
	                    * point was counted) */
};
/* whether the counts make the run lazy */
bool xp_auto_lazy(const struct xp_auto_count *c);
/* why o's check cannot run lazily, or NULL */
const char *xp_auto_lazy_impossible(const struct xp_opts *o);
/* the note of an eager run that auto would have run lazily but for why
 * ("" when the counts chose eager anyway) */
void xp_auto_eager_note(const struct xp_auto_count *c, const char *why,
		char *note, size_t notelen);
/* *lazy for o (its `lazy` ignored), with a note for the report ("" for
 * none; for a check that cannot run lazily the engine's own counts make
 * it: xp_auto_eager_note); 0, or -1 (message in err: the trace cannot be
 * read) */
int xp_explore_auto(const struct xp_opts *o, bool *lazy, char *note,
		size_t notelen, char *err, size_t errlen);

#endif
