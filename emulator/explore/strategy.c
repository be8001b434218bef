/*
 * strategy.c -- the names of explore's strategies (--strategy) and the
 * model's strategy bits they stand for (docs/explore.md, "Crash states
 * and strategies")
 */
#include <stdlib.h>
#include <string.h>

#include "explore.h"
#include "model.h"
#include "report.h"

int
xp_strategy_parse(const char *s, unsigned *mask)
{
	static const struct { const char *name; unsigned bits; } names[] = {
		{ "pessimistic", MODEL_STRAT_PESSIMISTIC },
		{ "inflight", MODEL_STRAT_INFLIGHT },
		{ "eviction", MODEL_STRAT_EVICTION },
		{ "torn", MODEL_STRAT_TORN },
		{ "poison", MODEL_STRAT_POISON },
		{ "all", MODEL_STRAT_ALL },
	};
	char *copy = xp_strdup(s), *save = NULL;
	int rc = 0, seen = 0;
	*mask = 0;
	for (char *t = strtok_r(copy, ",", &save); t;
			t = strtok_r(NULL, ",", &save), seen++) {
		size_t i;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(t, names[i].name) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			rc = -1;
		else
			*mask |= names[i].bits;
	}
	free(copy);
	return rc == 0 && seen ? 0 : -1;
}

void
xp_strategy_names(unsigned mask, struct xp_report *rp)
{
	if (mask == 0)
		xp_strv_push(&rp->strategy, &rp->nstrategy, "pessimistic");
	if (mask & MODEL_STRAT_INFLIGHT)
		xp_strv_push(&rp->strategy, &rp->nstrategy, "inflight");
	if (mask & MODEL_STRAT_EVICTION)
		xp_strv_push(&rp->strategy, &rp->nstrategy, "eviction");
	if (mask & MODEL_STRAT_TORN)
		xp_strv_push(&rp->strategy, &rp->nstrategy, "torn");
	if (mask & MODEL_STRAT_POISON)
		xp_strv_push(&rp->strategy, &rp->nstrategy, "poison");
}
