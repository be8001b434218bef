/*
 * explain.h -- minimal explanations of a failing state (explain.c,
 * explain_line.c)
 */
#ifndef PMEMU_XP_EXPLAIN_H
#define PMEMU_XP_EXPLAIN_H 1

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "explore_common.h"
#include "image.h"
#include "model.h"
#include "points.h"
#include "replay.h"
#include "report.h"
#include "stateid.h"
#include "states.h"

struct xp_explain_ctx {
	struct xp_replay *r;        /* at the failing point */
	struct xp_base *base;
	struct xp_slot *slot;
	struct xp_checker *chk;
	const char *state;
	const char *markers;
	const struct xp_choice *choices;  /* of the failing state */
	size_t nchoices;
};
void xp_explain(struct xp_explain_ctx *x, struct xp_report *rp);
/* explain_line.c: a report line for open line o, held at outcome `kept`
 * in the failing state, named for what it lost, what arrived of it, or as
 * a line whose content at the point is unknown */
enum xp_line_role {
	XP_LINE_LOST = 0,
	XP_LINE_ARRIVED = 1,
	XP_LINE_UNKNOWN = 2,
};
void xp_explain_line(const struct xp_replay *r, const struct xp_open *o,
		const struct model_outcome *kept, enum xp_line_role role,
		struct xp_rline *out);
void xp_rline_free(struct xp_rline *l);
void xp_rline_copy(struct xp_rline *dst, const struct xp_rline *src);
/* a report point from a crash point */
void xp_rpoint_fill(const struct xp_replay *r, const struct xp_point *p,
		struct xp_rpoint *out);
/* the site of the report from a replay's site table */
void xp_report_site(const struct xp_replay *r, uint32_t id,
		struct xp_site *out);

#endif
