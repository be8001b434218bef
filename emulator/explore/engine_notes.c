/*
 * engine_notes.c -- what the explore report notes of how the exploration
 * ran: fallbacks (exec instead of a fork server, eager instead of lazy),
 * where the images lived, parallelism left unused, points that reused
 * an earlier point's states
 */
#include "engine_impl.h"
#include "explore_auto.h"

/* auto_eager_note -- --explore auto ran a check that cannot run lazily:
 * whether the states it enumerated would have made the run lazy */
static void
auto_eager_note(const struct engine *e, struct xp_report *rp)
{
	const char *why = xp_auto_lazy_impossible(e->o);
	if (!e->o->explore_auto || why == NULL)
		return;
	struct xp_auto_count c = { e->pts.n, e->points_done,
		(size_t)e->bounded.points, (double)e->ordinal, false };
	char note[512];
	xp_auto_eager_note(&c, why, note, sizeof(note));
	if (note[0])
		xp_report_add_note(rp, "%s", note);
}

void
xp_engine_notes(struct engine *e, struct xp_report *rp,
		const char *mode_note, const char *dir_note)
{
	const struct xp_opts *o = e->o;
	rp->checks_forked = e->checks_forked;
	rp->explore = xp_strdup(e->lazy ? "lazy" : "eager");
	if (mode_note[0])
		xp_report_add_note(rp, "%s", mode_note);
	else
		auto_eager_note(e, rp);
	if (e->fork_off != NULL)
		xp_report_add_note(rp, "the check ran by exec, not from a "
			"fork server: %s", e->fork_off);
	if (e->lazy_off != NULL)
		xp_report_add_note(rp, "--explore lazy: %s: every state was "
			"explored eagerly", e->lazy_off);
	if (e->lazy)
		xp_lazy_notes(e, rp);
	xp_engine_poison_note(e, rp);
	if (dir_note[0])
		xp_report_add_note(rp, "%s", dir_note);
	size_t parallel = xp_lazy_pool_ran(e->pool) > e->slots_open ?
		xp_lazy_pool_ran(e->pool) : e->slots_open;
	if (o->jobs_set && parallel < o->jobs)
		xp_report_add_note(rp, "--jobs %lu: %zu checks ran in parallel "
			"(no more images to check at once)", o->jobs, parallel);
	if (e->same_points > 0)
		xp_report_add_note(rp, "%llu crash point%s left the same "
			"durable image and open lines as an earlier one: %s %llu "
			"state%s %s taken from it, not enumerated again "
			"(counted at both points, checked once)",
			(unsigned long long)e->same_points,
			e->same_points == 1 ? "" : "s",
			e->same_points == 1 ? "its" : "their",
			(unsigned long long)e->same_states,
			e->same_states == 1 ? "" : "s",
			e->same_states == 1 ? "was" : "were");
}
