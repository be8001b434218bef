/* line_table.c -- touched lines: a dense array hashed by (region, line),
 * and the set of open lines with their open state */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "model_impl.h"

/*
 * line_key_hash -- where a line goes in the index (low 32 bits) and its
 * fingerprint (high 32: line_index.h). The 16 lines of an aligned block
 * hash to 16 adjacent slots, one cache line of the index, at a place
 * the block's hash picks: a program that walks its pool looks its lines
 * up in one index miss per 16 lines, not one per line. The fingerprint
 * hashes the whole key, so the block's lines tell theirs apart.
 */
#define BLOCK_SHIFT 4

uint64_t
line_key_hash(uint64_t key)
{
	uint32_t at = (uint32_t)(mix64(key >> BLOCK_SHIFT) << BLOCK_SHIFT) |
		(uint32_t)(key & ((1u << BLOCK_SHIFT) - 1));
	return (mix64(key) & ~(uint64_t)UINT32_MAX) | at;
}

/* line_recent_slot -- where key's line sits in m->recent: the line
 * number's low bits and a fold of its higher ones and the region (a
 * transaction's lines lie in a few pages of one pool) */
static inline uint32_t *
line_recent_slot(struct model *m, uint64_t key)
{
	uint64_t k = key ^ (key >> 7) ^ (key >> 40);
	return &m->recent[k % MODEL_RECENT_LINES];
}

/* line_recent -- the line of key as m->recent last saw it, else
 * UINT32_MAX; its own key is compared, so a hit is the index's answer
 * (lines are never moved nor dropped: an index stays that line's) */
static inline uint32_t
line_recent(struct model *m, uint64_t key)
{
	uint32_t r = *line_recent_slot(m, key); /* index + 1 */
	if (r != 0 && r <= m->nlines && m->lines[r - 1].key == key)
		return r - 1;
	return UINT32_MAX;
}

/* line_find_far -- line_find past its near lines: the recent lines,
 * then the index */
uint32_t
line_find_far(const struct model *cm, uint64_t key)
{
	struct model *m = (struct model *)cm; /* its caches only */
	uint32_t li = line_recent(m, key);
	if (li == UINT32_MAX) {
		li = line_index_find(&m->index, line_key_hash(key), key,
				m->lines);
		if (li == UINT32_MAX)
			return li;
		*line_recent_slot(m, key) = li + 1;
	}
	m->last_line = li + 1;
	return li;
}

/* lines_grow -- room for one more line (and its history slot) */
static void
lines_grow(struct model *m)
{
	m->lines_cap = m->lines_cap ? m->lines_cap * 2 : 64;
	m->lines = realloc(m->lines, m->lines_cap * sizeof(*m->lines));
	MODEL_ASSERT(m->lines != NULL);
	if (!m->cfg.contents)
		return;
	m->line_hist = realloc(m->line_hist,
			m->lines_cap * sizeof(*m->line_hist));
	MODEL_ASSERT(m->line_hist != NULL);
}

/* line_get_far -- line_get past its near lines: a recent line, found in
 * the index, or touched */
uint32_t
line_get_far(struct model *m, uint64_t key)
{
	uint32_t li = line_recent(m, key);
	if (li != UINT32_MAX) {
		m->last_line = li + 1;
		return li;
	}
	uint64_t hash = line_key_hash(key);
	li = line_index_find(&m->index, hash, key, m->lines);
	if (li == UINT32_MAX) {
		if (m->nlines == m->lines_cap)
			lines_grow(m);
		li = m->nlines++;
		memset(&m->lines[li], 0, sizeof(m->lines[li]));
		m->lines[li].key = key;
		if (m->line_hist)
			m->line_hist[li] = 0;
		line_index_add(&m->index, hash, li, m->lines, line_key_hash);
	}
	*line_recent_slot(m, key) = li + 1;
	m->last_line = li + 1;
	return li;
}

/* line_prefetch -- start loading what a lookup of (region, lineno) reads:
 * the line after the last one found, for writing (the event that looks
 * it up writes it; lines are numbered in first-touch order, so a program
 * that walks its pool again finds them in a row: line_near, no hash),
 * and the index slot only when that line is not the one */
#ifdef __x86_64__
__attribute__((target("prfchw"))) /* prefetchw: prefetcht0 without it */
#endif
void
line_prefetch(const struct model *m, uint32_t region, uint64_t lineno)
{
	if (m->index.slot == NULL)
		return;
	uint64_t key = line_key(region, lineno);
	uint32_t next = m->last_line; /* the last one's index + 1 */
	if (next < m->nlines) {
		__builtin_prefetch(&m->lines[next], 1);
		if (m->lines[next].key == key)
			return;
	}
	uint64_t h = line_key_hash(key);
	__builtin_prefetch(&m->index.slot[h & m->index.mask]);
}

void
line_open_grow(struct model *m)
{
	m->open_cap = m->open_cap ? m->open_cap * 2 : 64;
	m->open = realloc(m->open, m->open_cap * sizeof(*m->open));
	MODEL_ASSERT(m->open != NULL);
}

static int
cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int
by_key(const void *a, const void *b, void *lines)
{
	const struct line_state *l = lines;
	return cmp_u64(l[*(const uint32_t *)a].key, l[*(const uint32_t *)b].key);
}

static int
by_index(const void *a, const void *b, void *lines)
{
	(void)lines;
	return cmp_u64(*(const uint32_t *)a, *(const uint32_t *)b);
}

uint32_t
line_open_in(struct model *m, uint32_t region, uint64_t first, uint64_t last)
{
	if (m->pick_cap < m->nopen) {
		m->pick_cap = m->nopen;
		free(m->pick);
		m->pick = malloc(m->pick_cap * sizeof(*m->pick));
		MODEL_ASSERT(m->pick != NULL);
	}
	uint32_t n = 0;
	for (uint32_t k = 0; k < m->nopen; k++) {
		const struct line_state *l = &m->lines[m->open[k].li];
		if (line_region(l) == region && line_number(l) >= first &&
				line_number(l) <= last)
			m->pick[n++] = m->open[k].li;
	}
	int (*cmp)(const void *, const void *, void *) =
		last - first < m->nlines ? by_key : by_index;
	uint32_t k = 1; /* mostly none, one or in order already */
	while (k < n && cmp(&m->pick[k - 1], &m->pick[k], m->lines) < 0)
		k++;
	if (k < n)
		qsort_r(m->pick, n, sizeof(*m->pick), cmp, m->lines);
	return n;
}

void
line_table_free(struct model *m)
{
	free(m->lines);
	free(m->line_hist);
	line_index_free(&m->index);
	free(m->open);
	free(m->pick);
}
