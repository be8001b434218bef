/*
 * usc.h -- the unsafe shutdown count of a pmem dir and of the crash images
 * built from it (usc.c; docs/model.md, "Unsafe shutdown count")
 */
#ifndef PMEMU_XP_USC_H
#define PMEMU_XP_USC_H 1

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "dimm.h"

/* DIR/.pmemu-dimm into d (the defaults when DIR has none); 0, or -1 with
 * "DIR/.pmemu-dimm: line N: ..." in err */
int xp_usc_load(const char *dir, struct trace_dimm *d, char *err,
		size_t errlen);
/* DIR/.pmemu-dimm as d, its count one higher when moved; 0 or -errno */
int xp_usc_write(const char *dir, const struct trace_dimm *d, bool moved);
/*
 * what a worker wrote last: xp_usc_write_cached skips the write while the
 * file is as it left it (same dir, count, inode and mtime), since a write
 * per state would cost more than a fast check (one stat instead)
 */
struct xp_usc_cache {
	char *dir;
	bool moved;
	ino_t ino;
	struct timespec mtim;
};
int xp_usc_write_cached(struct xp_usc_cache *c, const char *dir,
		const struct trace_dimm *d, bool moved);
void xp_usc_cache_free(struct xp_usc_cache *c);
/* removes DIR/.pmemu-dimm (an image dir being deleted) */
void xp_usc_remove(const char *dir);
/* a crash state moves the count only when it is a dirty shutdown: a cxl
 * state whose Global Persistent Flush failed (dirty_shutdown 1; 0: it
 * succeeded; -1: no cxl region, adr and eadr flush on power loss) */
static inline bool
xp_usc_moved(int dirty_shutdown)
{
	return dirty_shutdown == 1;
}

#endif
