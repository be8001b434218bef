/*
 * usc.h -- the unsafe shutdown count of a pmem dir and of the crash images
 * built from it (usc.c; docs/model.md, "Unsafe shutdown count")
 */
#ifndef PMEMU_XP_USC_H
#define PMEMU_XP_USC_H 1

#include <stdbool.h>
#include <stddef.h>

#include "dimm.h"

/* DIR/.pmemu-dimm into d (the defaults when DIR has none); 0, or -1 with
 * "DIR/.pmemu-dimm: line N: ..." in err */
int xp_usc_load(const char *dir, struct trace_dimm *d, char *err,
		size_t errlen);
/* DIR/.pmemu-dimm as d, its count one higher when moved; 0 or -errno */
int xp_usc_write(const char *dir, const struct trace_dimm *d, bool moved);
/* removes DIR/.pmemu-dimm (an image dir being deleted) */
void xp_usc_remove(const char *dir);
/* a crash state moves the count unless it is a cxl state whose Global
 * Persistent Flush succeeded (dirty_shutdown 0; -1: no cxl region) */
static inline bool
xp_usc_moved(int dirty_shutdown)
{
	return dirty_shutdown != 0;
}

#endif
