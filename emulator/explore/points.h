/*
 * points.h -- which records are crash points; unique-stack folding
 * (points.c)
 */
#ifndef PMEMU_XP_POINTS_H
#define PMEMU_XP_POINTS_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "explore_common.h"
#include "trace.h"

#define XP_AT_FENCE 1u
#define XP_AT_FLUSH 2u
#define XP_AT_STORE 4u
#define XP_AT_MARKER 8u

enum xp_fold {
	XP_FOLD_AUTO = 0,       /* unique-stack above max_points */
	XP_FOLD_NONE = 1,
	XP_FOLD_STACK = 2,
};

struct xp_point {
	uint64_t point;         /* records applied at the crash */
	int64_t record;         /* the record it is before/at, -1 exit */
	uint16_t type;          /* that record's type (0 for exit) */
	uint32_t site;
	uint64_t folded;        /* points folded into this one (>= 1) */
};

struct xp_points {
	struct xp_point *v;
	size_t n;
	uint64_t total;         /* before folding */
	bool folded;
	bool truncated;         /* no END record: a killed program */
	uint64_t good_end;      /* its last whole record's end */
};
/* parses "fence,flush" etc into XP_AT_*; -1 if unknown */
int xp_crash_at_parse(const char *s, unsigned *mask);
/* scans the trace once; 0 or -1 (message) */
int xp_points_scan(const char *trace_path, unsigned crash_at,
		const char *from, const char *to, enum xp_fold fold,
		uint64_t max_points, struct xp_points *pts, char *err,
		size_t errlen);
void xp_points_free(struct xp_points *pts);
const char *xp_point_event(const struct xp_point *p);

#endif
