/*
 * engine_poison.c -- what explore says of the states --strategy poison
 * left with poisoned lines (bad blocks): only a check under pmemu's shim
 * (exec'd with no {pmem}) can see a bad block; any other check reads the
 * fixed pattern the image holds there, so its PASS is not one over the
 * poison and the report says so (docs/explore.md, "Poison")
 */
#include "engine_impl.h"

bool
xp_lines_poisoned(const struct xp_line_set *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lines[i].poison)
			return true;
	return false;
}

void
xp_engine_poison_note(const struct engine *e, struct xp_report *rp)
{
	if (e->poisoned_images == 0 || e->o->check.shim)
		return;
	bool exec = e->o->check.kind == XP_CHECK_EXEC;
	xp_report_add_note(rp, "--strategy poison: %llu image%s had poisoned "
		"lines, but the check %s outside pmemu's shim%s, where a bad "
		"block raises no SIGBUS and is in no list: it read the "
		"image's bytes there instead; a check without {pmem} sees "
		"the poison", (unsigned long long)e->poisoned_images,
		e->poisoned_images == 1 ? "" : "s",
		exec ? "was given {pmem}: it ran" : "is a --check-so function: "
		"it ran", exec ? " (unless it runs `pmemu run --pmem-dir "
		"{pmemdir}`, which loads the image's bad blocks)" : "");
}
