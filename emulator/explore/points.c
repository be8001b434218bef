/* points.c -- which records are crash points (MODEL.md, "The crash-state
 * space"), the --from/--to window, and unique-stack folding */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linemap.h"
#include "points.h"
#include "report.h"
#include "xalloc.h"

/* class of a record as a crash point: the XP_AT_* set that selects it */
static unsigned
point_class(uint16_t type, bool *at_marker)
{
	*at_marker = false;
	switch (type) {
	case MODEL_EV_SFENCE:
	case MODEL_EV_MFENCE:
	case MODEL_EV_LOCKED:
	case MODEL_EV_MSYNC:
	case MODEL_EV_FSYNC:
	case MODEL_EV_SHUTDOWN:
	case TRACE_REC_END:
		return XP_AT_FENCE;
	case TRACE_REC_MARKER:
		*at_marker = true;
		return XP_AT_FENCE | XP_AT_MARKER;
	case MODEL_EV_CLWB:
	case MODEL_EV_CLFLUSHOPT:
	case MODEL_EV_CLFLUSH:
		return XP_AT_FLUSH;
	case MODEL_EV_STORE:
	case MODEL_EV_NT_STORE:
	case MODEL_EV_MOVDIR64B:
		return XP_AT_STORE;
	default:
		return 0;
	}
}

int
xp_crash_at_parse(const char *s, unsigned *mask)
{
	static const struct { const char *name; unsigned bits; } names[] = {
		{ "fence", XP_AT_FENCE }, { "flush", XP_AT_FLUSH },
		{ "store", XP_AT_STORE }, { "marker", XP_AT_MARKER },
		{ "all", XP_AT_FENCE | XP_AT_FLUSH | XP_AT_STORE |
			XP_AT_MARKER },
	};
	*mask = 0;
	char *copy = xp_strdup(s), *save = NULL;
	int rc = 0;
	for (char *t = strtok_r(copy, ",", &save); t;
			t = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(t, names[i].name) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0])) {
			rc = -1;
			break;
		}
		*mask |= names[i].bits;
	}
	free(copy);
	return (rc == 0 && *mask != 0) ? 0 : -1;
}

const char *
xp_point_event(const struct xp_point *p)
{
	switch (p->type) {
	case 0:
	case TRACE_REC_END: return "exit";
	case TRACE_REC_MARKER: return "marker";
	case MODEL_EV_SFENCE: return "sfence";
	case MODEL_EV_MFENCE: return "mfence";
	case MODEL_EV_LOCKED: return "locked";
	case MODEL_EV_MSYNC: return "msync";
	case MODEL_EV_FSYNC: return "fsync";
	case MODEL_EV_SHUTDOWN: return "shutdown";
	case MODEL_EV_CLWB: return "clwb";
	case MODEL_EV_CLFLUSHOPT: return "clflushopt";
	case MODEL_EV_CLFLUSH: return "clflush";
	case MODEL_EV_STORE: return "store";
	case MODEL_EV_NT_STORE: return "nt-store";
	case MODEL_EV_MOVDIR64B: return "movdir64b";
	default: return "event";
	}
}

static void
push(struct xp_points *pts, size_t *cap, const struct xp_point *p)
{
	if (pts->n && pts->v[pts->n - 1].point == p->point)
		return; /* a marker then a fence: one crash point */
	pts->total++;
	if (pts->n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		pts->v = xrealloc(pts->v, *cap * sizeof(*pts->v),
				"push: pts->v");
	}
	pts->v[pts->n++] = *p;
}

/* window -- tracks --from/--to; true while points are selected */
struct window {
	const char *from, *to;
	bool open, closed, from_seen, to_seen;
};

static void
window_marker(struct window *w, const char *name)
{
	if (!w->open && !w->closed && w->from && strcmp(name, w->from) == 0) {
		w->open = true;
		w->from_seen = true;
	}
}

static void
window_after(struct window *w, const char *name)
{
	if (w->open && w->to && strcmp(name, w->to) == 0) {
		w->open = false;
		w->closed = true;
		w->to_seen = true;
	}
}

/* fold -- one point per (class, site): the first; exits stay */
static void
fold(struct xp_points *pts)
{
	struct xp_linemap *seen = xp_linemap_new();
	size_t out = 0;
	for (size_t i = 0; i < pts->n; i++) {
		struct xp_point *p = &pts->v[i];
		if (p->type == 0 || p->type == TRACE_REC_END) {
			pts->v[out++] = *p;
			continue;
		}
		void **slot = xp_linemap_get(seen, p->type, p->site);
		if (*slot != NULL) {
			pts->v[(uintptr_t)*slot - 1].folded++;
			continue;
		}
		pts->v[out] = *p;
		*slot = (void *)(uintptr_t)(out + 1);
		out++;
	}
	pts->n = out;
	pts->folded = true;
	xp_linemap_delete(seen);
}

static int
scan(struct trace_reader *rd, unsigned crash_at, struct window *w,
		struct xp_points *pts, char *err, size_t errlen)
{
	struct trace_rec rec;
	size_t cap = 0;
	int64_t k = 0;
	bool ended = false;
	int rc;
	while ((rc = trace_next(rd, &rec)) == 1) {
		bool at_marker;
		unsigned cls = point_class(rec.type, &at_marker);
		char *name = NULL;
		if (rec.type == TRACE_REC_MARKER) {
			name = strdup(rec.u.text);
			window_marker(w, name);
		}
		if (rec.type == TRACE_REC_END)
			ended = true;
		if ((cls & crash_at) && w->open) {
			struct xp_point p = { (uint64_t)(k + at_marker), k,
				rec.type, rec.site, 1 };
			push(pts, &cap, &p);
		}
		if (name)
			window_after(w, name);
		free(name);
		k++;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s", trace_reader_error(rd));
		return -1;
	}
	pts->truncated = trace_reader_truncated(rd);
	pts->good_end = trace_reader_good_end(rd);
	if (!ended && (crash_at & XP_AT_FENCE) && w->open) {
		struct xp_point p = { (uint64_t)k, -1, 0, 0, 1 };
		push(pts, &cap, &p);
	}
	return 0;
}

int
xp_points_scan(const char *trace_path, unsigned crash_at, const char *from,
		const char *to, enum xp_fold how, uint64_t max_points,
		struct xp_points *pts, char *err, size_t errlen)
{
	struct trace_reader *rd;
	memset(pts, 0, sizeof(*pts));
	if (trace_reader_open(trace_path, &rd, err, errlen) != 0)
		return -1;
	struct window w = { from, to, from == NULL, false, false, false };
	int rc = scan(rd, crash_at, &w, pts, err, errlen);
	trace_reader_close(rd);
	if (rc != 0)
		return -1;
	if (from && !w.from_seen) {
		snprintf(err, errlen, "--from %s: no marker of that name in "
				"the trace", from);
		return -1;
	}
	if (to && !w.to_seen) {
		snprintf(err, errlen, "--to %s: no marker of that name after "
				"--from in the trace", to);
		return -1;
	}
	if (how == XP_FOLD_STACK || (how == XP_FOLD_AUTO &&
			pts->total > max_points))
		fold(pts);
	return 0;
}

void
xp_points_free(struct xp_points *pts)
{
	free(pts->v);
	memset(pts, 0, sizeof(*pts));
}
