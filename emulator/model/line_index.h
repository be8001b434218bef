/*
 * line_index.h -- the line table's hash index: open addressing over
 * 4-byte slots, each holding a line's index + 1 in its low bits and a
 * fingerprint of the line's hash in the bits the index does not need, so
 * that looking up a line the table does not hold reads only this array
 * (one cache miss, no line's key) and a hit reads only the line it finds
 */
#ifndef PMEMU_LINE_INDEX_H
#define PMEMU_LINE_INDEX_H 1

#include <stdint.h>

struct line_state;

struct line_index {
	uint32_t *slot;     /* 0 = empty */
	uint32_t mask;      /* slots - 1, also a slot's index bits */
	uint32_t used;      /* slots in use */
};

/* the index of the line with this key and hash in `lines`, or UINT32_MAX */
uint32_t line_index_find(const struct line_index *x, uint64_t hash,
		uint64_t key, const struct line_state *lines);
/* line_index_add -- line li, not in the index yet; the index grows (by
 * the lines' hashes, `hash`) to keep its load at most 1/2 */
void line_index_add(struct line_index *x, uint64_t hash, uint32_t li,
		const struct line_state *lines, uint64_t (*hash_of)(uint64_t));
uint64_t line_index_bytes(const struct line_index *x);
void line_index_free(struct line_index *x);

#endif
