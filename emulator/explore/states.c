/* states.c -- the crash states of one crash point
 *
 * A state picks one outcome per open line among those the model offers
 * for the strategies (MODEL.md: chosen independently per line); of the
 * outcomes with equal contents only the first is picked (one image). With
 * at most max_lines lines that have a choice and at most max_states
 * combinations, every combination (exhaustive); beyond, the sequence is:
 * all lost, each single line with each of its outcomes (the first outcome
 * of every line, then the second, ...), all lines at their newest
 * outcome, each single line lost from that, then `samples` seeded random
 * combinations; repeats are skipped and at most max_states are generated.
 * The combinations not generated are counted for the report.
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "linemap.h"
#include "states.h"
#include "xalloc.h"

enum gen_phase {
	PH_ALL_LOST, PH_INCLUDE, PH_ALL_NEWEST, PH_OMIT, PH_SAMPLE, PH_DONE,
};

struct xp_state_gen {
	const struct xp_open *open;
	size_t n;
	size_t *var;          /* indices of lines with more than one outcome */
	size_t nvar;
	uint32_t *choice;     /* per line: a position in its distinct list */
	uint32_t *pick;       /* per line: that outcome's index in out */
	size_t widest;        /* the most distinct outcomes of one line */
	bool exhaustive;
	bool started;
	enum gen_phase phase;
	size_t i, j;          /* phase cursors */
	unsigned long max_states, samples, sampled;
	uint64_t rng;
	double combinations, generated;
	struct xp_linemap *seen;
};

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* product -- combinations of the lines' distinct outcomes (saturating) */
static double
product(const struct xp_state_gen *g)
{
	double p = 1;
	for (size_t k = 0; k < g->nvar; k++) {
		p *= (double)g->open[g->var[k]].ndistinct;
		if (p > DBL_MAX)
			return DBL_MAX;
	}
	return p;
}

struct xp_state_gen *
xp_state_gen_new(const struct xp_open *open, size_t n,
		const struct xp_state_bounds *b)
{
	struct xp_state_gen *g = xcalloc(1, sizeof(*g), "xp_state_gen_new: g");
	g->open = open;
	g->n = n;
	g->var = xcalloc(n + 1, sizeof(*g->var), "xp_state_gen_new: g->var");
	g->choice = xcalloc(n + 1, sizeof(*g->choice),
			"xp_state_gen_new: g->choice");
	g->pick = xcalloc(n + 1, sizeof(*g->pick), "xp_state_gen_new: g->pick");
	for (size_t i = 0; i < n; i++) {
		if (open[i].ndistinct > 1)
			g->var[g->nvar++] = i;
		if (open[i].ndistinct > g->widest)
			g->widest = open[i].ndistinct;
	}
	g->combinations = product(g);
	g->max_states = b->max_states;
	g->exhaustive = g->nvar <= b->max_lines &&
		g->combinations <= (double)b->max_states;
	g->samples = b->samples;
	g->rng = b->seed;
	if (!g->exhaustive)
		g->seen = xp_linemap_new();
	return g;
}

void
xp_state_gen_delete(struct xp_state_gen *g)
{
	if (g == NULL)
		return;
	xp_linemap_delete(g->seen);
	free(g->var);
	free(g->choice);
	free(g->pick);
	free(g);
}

bool
xp_state_gen_exhaustive(const struct xp_state_gen *g)
{
	return g->exhaustive;
}

double
xp_state_gen_combinations(const struct xp_state_gen *g)
{
	return g->combinations;
}

double
xp_state_gen_left_out(const struct xp_state_gen *g)
{
	return g->combinations - g->generated;
}

/* odometer -- the next combination; false after the last */
static bool
odometer(struct xp_state_gen *g)
{
	for (size_t k = 0; k < g->nvar; k++) {
		size_t i = g->var[k];
		if (++g->choice[i] < g->open[i].ndistinct)
			return true;
		g->choice[i] = 0;
	}
	return false;
}

static void
fill(struct xp_state_gen *g, bool newest)
{
	for (size_t k = 0; k < g->nvar; k++) {
		size_t i = g->var[k];
		g->choice[i] = newest ? (uint32_t)g->open[i].newest : 0;
	}
}

/* include_next -- line var[i] alone at its j-th distinct outcome: the
 * j-th outcome of every line before the (j+1)-th of any, so a bound cuts
 * the torn combinations (last in model order) before anything else */
static bool
include_next(struct xp_state_gen *g)
{
	/* keep room for all-newest and the omissions */
	if (g->generated + 1 + (double)g->nvar >= (double)g->max_states)
		return false;
	for (; g->j < g->widest; g->j++, g->i = 0)
		for (; g->i < g->nvar; g->i++) {
			size_t line = g->var[g->i];
			if (g->j >= g->open[line].ndistinct)
				continue;
			fill(g, false);
			g->choice[line] = (uint32_t)g->j;
			g->i++;
			return true;
		}
	return false;
}

/* step -- the next candidate of the sampled sequence; false at the end */
static bool
step(struct xp_state_gen *g)
{
	for (;;) {
		switch (g->phase) {
		case PH_ALL_LOST:
			fill(g, false);
			g->phase = PH_INCLUDE;
			g->i = 0;
			g->j = 1;
			return true;
		case PH_INCLUDE:
			if (include_next(g))
				return true;
			g->phase = PH_ALL_NEWEST;
			continue;
		case PH_ALL_NEWEST:
			fill(g, true);
			g->phase = PH_OMIT;
			g->i = 0;
			return true;
		case PH_OMIT:
			if (g->i == g->nvar) {
				g->phase = PH_SAMPLE;
				continue;
			}
			fill(g, true);
			g->choice[g->var[g->i++]] = 0;
			return true;
		case PH_SAMPLE:
			if (g->sampled == g->samples) {
				g->phase = PH_DONE;
				continue;
			}
			g->sampled++;
			for (size_t k = 0; k < g->nvar; k++) {
				size_t i = g->var[k];
				g->choice[i] = (uint32_t)(splitmix(&g->rng) %
						g->open[i].ndistinct);
			}
			return true;
		case PH_DONE:
			return false;
		}
	}
}

static uint64_t
choice_hash(const struct xp_state_gen *g)
{
	uint64_t h = 0x84222325cbf29ce4ull;
	for (size_t k = 0; k < g->nvar; k++) {
		h ^= g->choice[g->var[k]] + 1;
		h *= 0x100000001b3ull;
		h ^= h >> 31;
	}
	return h;
}

/* emit -- the outcomes of the current choices as the state */
static int
emit(struct xp_state_gen *g, const uint32_t **pick)
{
	for (size_t k = 0; k < g->nvar; k++) {
		size_t i = g->var[k];
		g->pick[i] = g->open[i].distinct[g->choice[i]];
	}
	g->generated++;
	*pick = g->pick;
	return 1;
}

int
xp_state_gen_next(struct xp_state_gen *g, const uint32_t **pick)
{
	*pick = g->pick;
	if (g->exhaustive) {
		if (!g->started) {
			g->started = true;
			return emit(g, pick);
		}
		return odometer(g) ? emit(g, pick) : 0;
	}
	while (g->generated < (double)g->max_states && step(g)) {
		void **seen = xp_linemap_get(g->seen, 0, choice_hash(g));
		if (*seen != NULL)
			continue;
		*seen = (void *)1;
		return emit(g, pick);
	}
	return 0;
}
