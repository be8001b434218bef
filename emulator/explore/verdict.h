/* verdict.h -- the engine's results -> the report (verdict.c) */
#ifndef PMEMU_XP_VERDICT_H
#define PMEMU_XP_VERDICT_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "explore.h"
#include "explore_common.h"
#include "linemap.h"
#include "points.h"
#include "replay.h"
#include "report.h"

struct xp_image {
	struct xp_hash h;
	uint64_t first_ordinal;
	size_t point_idx;
	char *state;            /* id of its first state */
	uint64_t states;        /* states with this image */
	struct xp_result res;
	bool done;
	char *output;           /* failing: the tail of the check's output */
	int dirty_shutdown;     /* cxl: 1 GPF failed, 0 it succeeded; -1 */
};
struct xp_staterec {
	uint32_t point_idx;
	uint32_t image;
};
struct xp_results {
	const struct xp_opts *o;
	struct xp_replay *r;    /* at the end of the exploration */
	const struct xp_points *pts;
	const uint64_t *states_at;
	const struct xp_image *img;
	size_t nimg;
	const struct xp_staterec *st;
	size_t nst;
	uint64_t checks;
	struct xp_bounded bounded;
	struct xp_checker *chk; /* idle: the explanation runs on slot 0;
	                         * NULL when stopped (no explanation) */
	const char *tmp;        /* a directory for the explanation's image */
	int stopped;            /* the signal that stopped it, or 0 */
	uint64_t points_done;
};
int xp_verdict(const struct xp_results *res, struct xp_report *rp,
		char *err, size_t errlen);

#endif
