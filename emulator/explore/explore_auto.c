/*
 * explore_auto.c -- `--explore auto` (the default): lazy or eager for this
 * trace, before anything runs (docs/explore.md, "Eager or lazy")
 *
 * A lazy run costs more than an eager check (the check runs under
 * libpmemu-lazy.so, which watches the image) and every crash point takes
 * at least one, so lazy pays only where crash points have states to
 * spare: it runs lazily when eager would sample a point (lazy stays
 * exhaustive there) or when the points have more than XP_AUTO_STATES
 * states each on average, counted with eager's own bounds from a replay
 * of the trace through the model alone. The choice depends on the trace
 * and the options only, never on --shard, so every shard makes it alike.
 */
#include <stdio.h>
#include <string.h>

#include "explore_auto.h"
#include "image_dir.h"
#include "replay.h"
#include "states.h"

/* the lazy run's cost over the eager check's, with room: measured at
 * 1.1-1.5 (docs/performance.md, "Eager or lazy by default") */
#define XP_AUTO_STATES 3.0

const char *
xp_auto_lazy_impossible(const struct xp_opts *o)
{
	if (o->check.kind != XP_CHECK_EXEC)
		return "a check that is a library function (--check-so)";
	if (o->check.shim)
		return "a check without {pmem} (it runs under libpmemu.so)";
	if (o->strategies & MODEL_STRAT_POISON)
		return "--strategy poison";
	return NULL;
}

/* count_states -- eager's states of every point, stopping once lazy is
 * certain: 0 (sums in *c), or -1 (message) */
static int
count_states(const struct xp_opts *o, struct xp_auto_count *c, char *err,
		size_t errlen)
{
	struct xp_points pts;
	struct xp_replay r;
	memset(&pts, 0, sizeof(pts));
	memset(&r, 0, sizeof(r));
	struct xp_openset os;
	memset(&os, 0, sizeof(os));
	int rc = xp_points_scan(o->trace, o->crash_at, o->from, o->to,
			o->fold, o->max_points, &pts, err, errlen);
	if (rc == 0)
		rc = xp_replay_open(&r, o->trace, o->pmem_dir, err, errlen);
	c->points = pts.n;
	struct xp_state_bounds b = { o->max_lines, o->max_states, 0, 0 };
	for (size_t i = 0; rc == 0 && i < pts.n; i++) {
		if (o->stop != NULL && *o->stop)
			break; /* stopped (--time-limit): eager reports at once */
		rc = xp_replay_to(&r, pts.v[i].point, err, errlen);
		if (rc != 0)
			break;
		xp_openset_load(&os, r.m, o->strategies);
		struct xp_state_gen *g = xp_state_gen_new(os.v, os.n, &b);
		c->states += xp_state_gen_combinations(g);
		if (!xp_state_gen_exhaustive(g))
			c->sampled++;
		xp_state_gen_delete(g);
		c->counted = i + 1;
		if (xp_auto_lazy(c))
			break; /* lazy, whatever the other points hold */
	}
	/* replayed to the last point: its regions are those the engine
	 * would meet; else the trace's REGION records say (one more scan) */
	c->cxl = c->counted == pts.n && rc == 0 && xp_media_has_cxl(&r.media);
	xp_openset_free(&os);
	if (r.rd != NULL)
		xp_replay_close(&r);
	xp_points_free(&pts);
	return rc;
}

int
xp_explore_auto(const struct xp_opts *o, bool *lazy, char *note,
		size_t notelen, char *err, size_t errlen)
{
	*lazy = false;
	note[0] = '\0';
	if ((o->strategies & MODEL_STRAT_ALL) == 0)
		return 0; /* one state a point: nothing for lazy to decide */
	if (xp_auto_lazy_impossible(o) != NULL)
		return 0; /* eager; its own counts say whether to note it */
	struct xp_auto_count c;
	memset(&c, 0, sizeof(c));
	if (count_states(o, &c, err, errlen) != 0)
		return -1;
	if (c.counted != c.points)
		xp_trace_regions(o->trace, &c.cxl);
	if (c.cxl) {
		xp_auto_eager_note(&c, "a trace with a cxl region", note,
				notelen);
		return 0;
	}
	if (!xp_auto_lazy(&c))
		return 0; /* eager: the cheaper, and exhaustive */
	*lazy = true;
	if (c.sampled > 0)
		snprintf(note, notelen, "--explore auto: explored lazily: "
			"crash point %zu of %zu has more states than "
			"--max-lines/--max-states let eager check, so only the "
			"lines the check reads were enumerated, every combination "
			"of them", c.counted, c.points);
	else
		snprintf(note, notelen, "--explore auto: explored lazily: "
			"more than %.0f states a crash point on average (eager: "
			"%.0f at the first %zu of %zu points), so only the lines "
			"the check reads were enumerated, every combination of "
			"them", XP_AUTO_STATES, c.states, c.counted, c.points);
	return 0;
}

bool
xp_auto_lazy(const struct xp_auto_count *c)
{
	return c->sampled > 0 ||
		c->states > XP_AUTO_STATES * (double)c->points;
}

void
xp_auto_eager_note(const struct xp_auto_count *c, const char *why,
		char *note, size_t notelen)
{
	note[0] = '\0';
	if (xp_auto_lazy(c))
		snprintf(note, notelen, "--explore auto: explored eagerly, "
			"though %s: %s cannot be explored lazily "
			"(docs/explore.md, \"Eager or lazy\")",
			c->sampled > 0 ? "eager samples some crash points" :
			"the crash points have many states", why);
}
