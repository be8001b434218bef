/*
 * explore.h -- the crash explorer: crash points x per-line outcomes -> media
 * images -> the user's check -> a report (docs/explore.md); engine.c
 */
#ifndef PMEMU_XP_EXPLORE_H
#define PMEMU_XP_EXPLORE_H 1

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "check.h"
#include "explore_common.h"
#include "model.h"
#include "points.h"
#include "report.h"

struct xp_opts {
	const char *trace;
	const char *pmem_dir;
	unsigned strategies;        /* MODEL_STRAT_* */
	unsigned crash_at;          /* XP_AT_* */
	enum xp_fold fold;
	unsigned long max_points, max_lines, max_states, samples, seed;
	const char *from, *to;
	struct xp_check_cfg check;
	unsigned long jobs;
	bool jobs_set;              /* --jobs given: note when not all ran */
	unsigned long shard_k, shard_n;
	bool explain;
	bool progress;
	bool lazy;                  /* --explore lazy (lazy.c) */
	bool explore_auto;          /* --explore auto: lazy decided by
	                             * explore_auto.c (it sets lazy) */
	unsigned long budget;       /* lazy: most runs at one crash point */
	bool lazy_fork;             /* lazy: the check forks at its reads
	                             * (--lazy-fork, lazy_fork.c) */
	bool error_on_xread;        /* --error-on-unpersisted-read */
	const char *tmpdir;
	volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM/SIGALRM */
	double time_limit_s;         /* --time-limit (0: none) */
};
/* runs the exploration, fills rp; 0 or -1 (message in err: exit 2) */
int xp_explore(const struct xp_opts *o, struct xp_report *rp, char *err,
		size_t errlen);
/* the strategy mask as names */
void xp_strategy_names(unsigned mask, struct xp_report *rp);
int xp_strategy_parse(const char *s, unsigned *mask);

#endif
