/*
 * shim_pending.h -- write-backs in flight: the snapshot a flush (or a
 * non-temporal store) took, waiting for a fence of the issuing thread to
 * reach the media (MODEL.md, "In flight"); under shim_lock
 */
#ifndef PMEMU_SHIM_PENDING_H
#define PMEMU_SHIM_PENDING_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim_region.h"

/* thread tid wrote back len bytes of r at off with this content */
void shim_pending_add(uint32_t tid, struct shim_region *r, uint64_t off,
		const void *content, size_t len);
/* tid has write-backs in flight */
bool shim_pending_of(uint32_t tid);
/* a fence of tid: its write-backs reach the media, in issue order */
void shim_pending_drain(uint32_t tid);
/* clean shutdown: every write-back reaches the media */
void shim_pending_drain_all(void);

#endif
