/*
 * shim_far.h -- addresses away from where the kernel places mappings:
 * the program's views, when it lets pmemu place them, start in an area
 * of their own, so that pools mapped one after the other can lie next to
 * each other; the shim's own mappings that come and go with the views
 * (per-mapping tables, the media map, the page bitmaps) go further down,
 * not between them (docs/shim.md, "Plugin-built stores through the
 * alias")
 */
#ifndef PMEMU_SHIM_FAR_H
#define PMEMU_SHIM_FAR_H 1

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* the end of the views' area: the first view goes right below it; 0
 * when the address space has no room for it */
uintptr_t shim_far_views_end(void);

/* mmap at exactly want when nothing is mapped there
 * (MAP_FIXED_NOREPLACE: never over another mapping), else MAP_FAILED */
void *shim_mmap_at(uintptr_t want, size_t len, int prot, int flags, int fd,
		off_t off);

/* mmap(NULL, len, prot, flags, fd, off) at an address of the far area
 * when it is free (MAP_FIXED_NOREPLACE: never over another mapping),
 * else where the kernel chooses; MAP_FAILED as mmap. Thread-safe. */
void *shim_far_mmap(size_t len, int prot, int flags, int fd, off_t off);

#endif
