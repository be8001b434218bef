/*
 * insn_notes.c -- what a report must say besides findings about the raw
 * instructions of uninstrumented code
 */
#include <stdio.h>
#include <string.h>

#include "insn.h"
#include "insn_notes.h"
#include "insn_patch.h"
#include "insn_trap.h"
#include "shim_core.h"
#include "shim_latency.h"
#include "shim_region.h"

static void
count_region(struct shim_region *r, void *ctx)
{
	(void)r;
	(*(unsigned *)ctx)++;
}

/*
 * shim_exit_notes -- what the report must say besides findings: locked
 * instructions in uninstrumented code order write-backs as fences do, and
 * pmemu does not see them (docs/raw-instructions.md), so a run that
 * emulated something may have a verdict that depends on them
 */
void
shim_exit_notes(void)
{
	if (shim_is_forked_child())
		return;
	unsigned nregions = 0, nlocked = shim_insn_locked_sites();
	shim_lock();
	shim_region_for_each(count_region, &nregions);
	if (nlocked > 0 && nregions > 0) {
		char modules[256], note[512];
		shim_insn_locked_describe(modules, sizeof(modules));
		bool one = nlocked == 1;
		int n = snprintf(note, sizeof(note), "%u locked instruction%s "
			"in uninstrumented code (%s) %s pmemu cannot see: a "
			"verdict may depend on %s", nlocked, one ? "" : "s",
			modules, one ? "is a fence" : "are fences",
			one ? "it" : "them");
		if (n > 0)
			shim_record(TRACE_REC_NOTE, 0, note, strlen(note) + 1,
				NULL, 0);
	}
	shim_latency_note();
	/* said only when they cost something: sites that never ran (most
	 * are in libraries the program barely uses) are no news */
	unsigned ntrapping = shim_insn_trapping_sites();
	unsigned long ntraps = shim_insn_traps_taken();
	if (ntrapping > 0 && ntraps > 0 && nregions > 0) {
		char note[256];
		int n = snprintf(note, sizeof(note), "%u raw instruction "
			"site%s could not take a jump to a trampoline: %lu "
			"trap%s (int3, slower; docs/raw-instructions.md)",
			ntrapping, ntrapping == 1 ? "" : "s", ntraps,
			ntraps == 1 ? "" : "s");
		if (n > 0)
			shim_record(TRACE_REC_NOTE, 0, note, strlen(note) + 1,
				NULL, 0);
	}
	shim_unlock();
}

