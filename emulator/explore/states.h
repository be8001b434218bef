/*
 * states.h -- the open lines of a crash point and its states (states.c,
 * openset.c)
 */
#ifndef PMEMU_XP_STATES_H
#define PMEMU_XP_STATES_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "explore_common.h"
#include "linemap.h"
#include "model.h"

struct xp_open {
	struct model_open_line line;
	size_t nout;
	struct model_outcome *out;   /* LOST first */
	uint8_t *content;            /* nout x line_len */
	uint32_t line_len;
	/* the first outcome of each distinct content, LOST first: the
	 * generator enumerates only these (equal images, one state) */
	uint32_t *distinct;
	size_t ndistinct;
	size_t newest;               /* distinct[newest]: newest content */
};
/* the open lines of the model now, with their outcomes and contents */
struct xp_openset {
	struct xp_open *v;
	size_t n, cap;
	struct model_open_line *ol;
	size_t olcap;
};
void xp_openset_load(struct xp_openset *s, const struct model *m,
		unsigned strategies);
void xp_openset_free(struct xp_openset *s);
static inline const uint8_t *
xp_open_content(const struct xp_open *o, size_t k)
{
	return o->content + k * o->line_len;
}
/* a key of the open lines, their outcomes and the durable image hash */
struct xp_hash xp_openset_key(const struct xp_openset *s, struct xp_hash base);
/* index of outcome o among line's outcomes, or -1 */
long xp_open_find(const struct xp_open *line, const struct model_outcome *o);

struct xp_state_gen;
/* the bounds of one crash point's states */
struct xp_state_bounds {
	unsigned long max_lines;     /* exhaustive up to this many lines */
	unsigned long max_states;    /* ... and this many combinations;
	                              * never more states than this */
	unsigned long samples;       /* random ones beyond (seeded) */
	uint64_t seed;
};
/* states of the lines' distinct outcomes: every combination within the
 * bounds, else single inclusions, single omissions, and `samples` seeded
 * random ones, at most max_states; pick[i] indexes open[i].out */
struct xp_state_gen *xp_state_gen_new(const struct xp_open *open, size_t n,
		const struct xp_state_bounds *b);
/* 1 with the next choice vector in *pick (n entries), 0 at the end */
int xp_state_gen_next(struct xp_state_gen *g, const uint32_t **pick);
bool xp_state_gen_exhaustive(const struct xp_state_gen *g);
/* the combinations of distinct outcomes (saturating at DBL_MAX), and of
 * them those not generated (so far) */
double xp_state_gen_combinations(const struct xp_state_gen *g);
double xp_state_gen_left_out(const struct xp_state_gen *g);
void xp_state_gen_delete(struct xp_state_gen *g);

#endif
