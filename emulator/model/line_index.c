/* line_index.c -- the line table's fingerprinted hash index (line_index.h) */
#include <stdlib.h>

#include "model_impl.h"

/* fingerprint -- hash bits above the slot's index bits: the slot number
 * uses the hash's low bits, so these are independent of it */
static inline uint32_t
fingerprint(const struct line_index *x, uint64_t hash)
{
	return (uint32_t)(hash >> 32) & ~x->mask;
}

uint32_t
line_index_find(const struct line_index *x, uint64_t hash, uint64_t key,
		const struct line_state *lines)
{
	if (x->slot == NULL)
		return UINT32_MAX;
	uint32_t fp = fingerprint(x, hash);
	for (uint64_t h = hash;; h++) {
		uint32_t s = x->slot[h & x->mask];
		if (s == 0)
			return UINT32_MAX;
		if ((s & ~x->mask) == fp && lines[(s & x->mask) - 1].key == key)
			return (s & x->mask) - 1;
	}
}

static void
slot_put(struct line_index *x, uint64_t hash, uint32_t li)
{
	for (uint64_t h = hash;; h++) {
		if (x->slot[h & x->mask] == 0) {
			x->slot[h & x->mask] = fingerprint(x, hash) | (li + 1);
			x->used++;
			return;
		}
	}
}

/* grow -- twice the slots, every line put again; a slot's index field
 * (log2(slots) bits) holds li + 1 <= slots / 2 */
static void
grow(struct line_index *x, const struct line_state *lines, uint32_t nlines,
		uint64_t (*hash_of)(uint64_t))
{
	uint64_t size = x->slot ? ((uint64_t)x->mask + 1) * 2 : 64;
	MODEL_ASSERT(size <= (1ull << 31));
	free(x->slot);
	x->slot = calloc(size, sizeof(*x->slot));
	MODEL_ASSERT(x->slot != NULL);
	x->mask = (uint32_t)(size - 1);
	x->used = 0;
	for (uint32_t i = 0; i < nlines; i++)
		slot_put(x, hash_of(lines[i].key), i);
}

void
line_index_add(struct line_index *x, uint64_t hash, uint32_t li,
		const struct line_state *lines, uint64_t (*hash_of)(uint64_t))
{
	if (x->slot == NULL || ((uint64_t)x->used + 1) * 2 > (uint64_t)x->mask + 1)
		grow(x, lines, li, hash_of);
	slot_put(x, hash, li);
}

uint64_t
line_index_bytes(const struct line_index *x)
{
	return x->slot ? ((uint64_t)x->mask + 1) * sizeof(*x->slot) : 0;
}

void
line_index_free(struct line_index *x)
{
	free(x->slot);
	x->slot = NULL;
	x->mask = x->used = 0;
}
