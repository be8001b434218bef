/* image_impl.h -- the base image shared by image_base.c (its lines, its
 * change log and the log's undo content) and image.c (the slots) */
#ifndef PMEMU_XP_IMAGE_IMPL_H
#define PMEMU_XP_IMAGE_IMPL_H 1

#include <stddef.h>
#include <stdint.h>

#include "image.h"

struct xp_base_change {
	uint32_t region;
	uint64_t off;
	size_t undo;            /* where its previous content is (undo_at) */
};

struct xp_base {
	struct xp_media *md;
	struct xp_linemap *durable;   /* line -> content */
	struct xp_base_change *log;
	size_t nlog, caplog;
	struct xp_hash hash;
	/* the durable content each change of log[undo_from..] replaced,
	 * kept while a slot set before it may be rewound (xp_slot_restore) */
	uint8_t *undo;
	size_t nundo, capundo;
	size_t undo_from;             /* the first change with its content */
	size_t undo_shift;            /* bytes of undo dropped from the front */
	size_t *pins;                 /* a slot's seq while it may be rewound,
	                               * SIZE_MAX when not */
	size_t npins, cappins;
};

uint32_t xp_base_line_len(const struct xp_base *b, uint32_t region);
/* a pin for a new slot (SIZE_MAX: none yet) */
size_t xp_base_pin_new(struct xp_base *b);
/* the durable content of the line of change k before it, or NULL when
 * no pinned slot needed it any more */
const uint8_t *xp_base_undo(const struct xp_base *b, size_t k);

#endif
