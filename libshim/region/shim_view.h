/*
 * shim_view.h -- a region's view and media (shim_view.c)
 */
#ifndef PMEMU_SHIM_VIEW_H
#define PMEMU_SHIM_VIEW_H 1

#include <stddef.h>
#include <stdint.h>

#include "shim_region.h"

/* the region's file changed size: the view and media follow */
void shim_region_resized(struct shim_region *r);
/* creates the view of an open media file: a sparse copy of its data */
int shim_view_create(struct shim_region *r);
/* fd (-1: none), a view descriptor the image inherited at exec, is the
 * view of the next region made, when no process of the run holds one */
void shim_view_offer(int fd);
/* (shim_session_lock held) another process of the run holds the view:
 * its clean shutdown is that process's to do */
bool shim_view_shared(const struct shim_region *r);
/* the view's lines [off, off+len) reached the media (durable) */
void shim_media_write(struct shim_region *r, uint64_t off, const void *buf,
		size_t len);
/* marks view pages of [off, off+len) as newer than the media */
void shim_media_mark(struct shim_region *r, uint64_t off, uint64_t len);
/* copies the marked view pages of [off, off+len) to the media */
void shim_media_sync(struct shim_region *r, uint64_t off, uint64_t len);

#endif
