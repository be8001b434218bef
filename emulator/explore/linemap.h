/*
 * linemap.h -- (region, line offset) -> value maps, and line content hashes
 * (linemap.c)
 */
#ifndef PMEMU_XP_LINEMAP_H
#define PMEMU_XP_LINEMAP_H 1

#include <stdint.h>

#include "explore_common.h"

struct xp_linemap;
struct xp_linemap *xp_linemap_new(void);
void xp_linemap_delete(struct xp_linemap *lm);
/* the value slot of a key, or NULL if absent */
void **xp_linemap_find(const struct xp_linemap *lm, uint32_t region,
		uint64_t off);
/* the value slot of a key, inserted (value NULL) if absent */
void **xp_linemap_get(struct xp_linemap *lm, uint32_t region, uint64_t off);
typedef void (*xp_linemap_fn)(void *ctx, uint32_t region, uint64_t off,
		void *value);
void xp_linemap_each(const struct xp_linemap *lm, xp_linemap_fn fn,
		void *ctx);
void xp_linemap_clear(struct xp_linemap *lm);

/* 128-bit content hash of a line, summed over an image (order free) */
struct xp_hash {
	uint64_t a, b;
};
struct xp_hash xp_line_hash(uint32_t region, uint64_t off,
		const uint8_t *content, uint32_t len);
void xp_hash_add(struct xp_hash *h, struct xp_hash x);
void xp_hash_sub(struct xp_hash *h, struct xp_hash x);

#endif
