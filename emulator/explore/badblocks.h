/*
 * badblocks.h -- the bad blocks of a crash image: the lines a state left
 * poisoned (--strategy poison), kept as the shim keeps a pmem dir's,
 * DIR.pmemu/badblocks beside the image dir DIR (badblocks.c; docs/shim.md,
 * "Bad blocks")
 */
#ifndef PMEMU_XP_BADBLOCKS_H
#define PMEMU_XP_BADBLOCKS_H 1

#include <stdbool.h>
#include <stddef.h>

#include "image.h"
#include "media.h"

/* DIR.pmemu/badblocks: one `FILE OFFSET LEN` per poisoned line of
 * lines[0..n); removed (with DIR.pmemu, if empty) when none is; returns
 * whether some is, or -errno */
int xp_badblocks_write(const char *dir, struct xp_media *md,
		const struct xp_line_set *lines, size_t n);
/* DIR.pmemu/badblocks and DIR.pmemu (if empty) removed */
void xp_badblocks_remove(const char *dir);

#endif
