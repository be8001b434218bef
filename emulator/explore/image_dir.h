/*
 * image_dir.h -- where the workers' images go when the user named no
 * TMPDIR: tmpfs when they fit; image_dir.c
 */
#ifndef PMEMU_XP_IMAGE_DIR_H
#define PMEMU_XP_IMAGE_DIR_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xp_opts;

/* dir (len bytes): a tmpfs directory (/dev/shm, $XDG_RUNTIME_DIR) when
 * every image directory o may make fits there, else /tmp; note: why not
 * tmpfs when it was refused for size ("" otherwise); 0, or -1 with err
 * (a bad PMEMU_TMPFS_LIMIT) */
int xp_image_dir(const struct xp_opts *o, char *dir, size_t len, char *note,
		size_t notelen, char *err, size_t errlen);
/* the trace's regions at their largest, summed (0 when the trace cannot
 * be read: setup says why), and in *cxl (if not NULL) whether one is in
 * the cxl domain */
uint64_t xp_trace_regions(const char *trace, bool *cxl);
/* dir and everything in it, removed (symbolic links not followed, other
 * file systems not entered) */
void xp_image_dir_remove(const char *dir);

#endif
