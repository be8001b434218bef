/* states.c -- the crash states of one crash point
 *
 * A state picks one outcome per open line among those the model offers
 * for the strategies (MODEL.md: chosen independently per line). With at
 * most max_lines lines that have a choice, every combination (exhaustive);
 * beyond, the sequence is: all lost, each single line with each of its
 * outcomes, all lines at their newest outcome, each single line lost from
 * that, then `samples` seeded random combinations; repeats are skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "explore.h"

enum gen_phase {
	PH_ALL_LOST, PH_INCLUDE, PH_ALL_NEWEST, PH_OMIT, PH_SAMPLE, PH_DONE,
};

struct xp_state_gen {
	const struct xp_open *open;
	size_t n;
	size_t *var;          /* indices of lines with more than one outcome */
	size_t nvar;
	uint32_t *pick;
	bool exhaustive;
	bool started;
	enum gen_phase phase;
	size_t i, j;          /* phase cursors */
	unsigned long samples, sampled;
	uint64_t rng;
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

struct xp_state_gen *
xp_state_gen_new(const struct xp_open *open, size_t n,
		unsigned long max_lines, unsigned long samples, uint64_t seed)
{
	struct xp_state_gen *g = calloc(1, sizeof(*g));
	if (g == NULL)
		abort();
	g->open = open;
	g->n = n;
	g->var = calloc(n + 1, sizeof(*g->var));
	g->pick = calloc(n + 1, sizeof(*g->pick));
	if (g->var == NULL || g->pick == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		if (open[i].nout > 1)
			g->var[g->nvar++] = i;
	g->exhaustive = g->nvar <= max_lines;
	g->samples = samples;
	g->rng = seed;
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
	free(g->pick);
	free(g);
}

bool
xp_state_gen_exhaustive(const struct xp_state_gen *g)
{
	return g->exhaustive;
}

/* odometer -- the next combination; false after the last */
static bool
odometer(struct xp_state_gen *g)
{
	for (size_t k = 0; k < g->nvar; k++) {
		size_t i = g->var[k];
		if (++g->pick[i] < g->open[i].nout)
			return true;
		g->pick[i] = 0;
	}
	return false;
}

static void
fill(struct xp_state_gen *g, bool newest)
{
	for (size_t k = 0; k < g->nvar; k++) {
		size_t i = g->var[k];
		g->pick[i] = newest ? (uint32_t)(g->open[i].nout - 1) : 0;
	}
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
			if (g->i == g->nvar) {
				g->phase = PH_ALL_NEWEST;
				continue;
			}
			fill(g, false);
			g->pick[g->var[g->i]] = (uint32_t)g->j;
			if (++g->j == g->open[g->var[g->i]].nout) {
				g->i++;
				g->j = 1;
			}
			return true;
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
			g->pick[g->var[g->i++]] = 0;
			return true;
		case PH_SAMPLE:
			if (g->sampled == g->samples) {
				g->phase = PH_DONE;
				continue;
			}
			g->sampled++;
			for (size_t k = 0; k < g->nvar; k++) {
				size_t i = g->var[k];
				g->pick[i] = (uint32_t)(splitmix(&g->rng) %
						g->open[i].nout);
			}
			return true;
		case PH_DONE:
			return false;
		}
	}
}

static uint64_t
pick_hash(const struct xp_state_gen *g)
{
	uint64_t h = 0x84222325cbf29ce4ull;
	for (size_t k = 0; k < g->nvar; k++) {
		h ^= g->pick[g->var[k]] + 1;
		h *= 0x100000001b3ull;
		h ^= h >> 31;
	}
	return h;
}

int
xp_state_gen_next(struct xp_state_gen *g, const uint32_t **pick)
{
	*pick = g->pick;
	if (g->exhaustive) {
		if (!g->started) {
			g->started = true;
			return 1;
		}
		return odometer(g) ? 1 : 0;
	}
	while (step(g)) {
		void **seen = xp_linemap_get(g->seen, 0, pick_hash(g));
		if (*seen != NULL)
			continue;
		*seen = (void *)1;
		return 1;
	}
	return 0;
}
