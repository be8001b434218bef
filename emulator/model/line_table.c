/* line_table.c -- touched lines: a dense array hashed by (region, line) */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "model_impl.h"

static inline uint64_t
line_key(uint32_t region, uint64_t lineno)
{
	return ((uint64_t)region << 40) | lineno;
}

/* line_find -- index of a touched line, or UINT32_MAX */
uint32_t
line_find(const struct model *m, uint32_t region, uint64_t lineno)
{
	uint64_t key = line_key(region, lineno);
	if (m->last_line && m->lines[m->last_line - 1].key == key)
		return m->last_line - 1;
	if (m->index == NULL)
		return UINT32_MAX;
	for (uint64_t h = mix64(key);; h++) {
		uint32_t slot = m->index[h & m->index_mask];
		if (slot == 0)
			return UINT32_MAX;
		if (m->lines[slot - 1].key == key) {
			((struct model *)m)->last_line = slot;
			return slot - 1;
		}
	}
}

static void
index_insert(uint32_t *index, uint32_t mask, uint64_t key, uint32_t li)
{
	for (uint64_t h = mix64(key);; h++) {
		if (index[h & mask] == 0) {
			index[h & mask] = li + 1;
			return;
		}
	}
}

/* index_grow -- keep the load factor at most 1/2 */
static void
index_grow(struct model *m)
{
	uint32_t size = m->index ? (m->index_mask + 1) * 2 : 64;
	uint32_t *index = calloc(size, sizeof(*index));
	MODEL_ASSERT(index != NULL);
	for (uint32_t i = 0; i < m->nlines; i++)
		index_insert(index, size - 1, m->lines[i].key, i);
	free(m->index);
	m->index = index;
	m->index_mask = size - 1;
}

/* line_get -- index of a line, touching it if new */
uint32_t
line_get(struct model *m, uint32_t region, uint64_t lineno)
{
	uint32_t li = line_find(m, region, lineno);
	if (li != UINT32_MAX)
		return li;
	if (m->nlines == m->lines_cap) {
		m->lines_cap = m->lines_cap ? m->lines_cap * 2 : 64;
		m->lines = realloc(m->lines, m->lines_cap * sizeof(*m->lines));
		MODEL_ASSERT(m->lines != NULL);
	}
	if (m->index == NULL || (uint64_t)(m->nlines + 1) * 2 > m->index_mask + 1)
		index_grow(m);
	li = m->nlines++;
	struct line_state *l = &m->lines[li];
	memset(l, 0, sizeof(*l));
	l->key = line_key(region, lineno);
	index_insert(m->index, m->index_mask, l->key, li);
	m->last_line = li + 1;
	return li;
}

/* line_open_change -- keep m->open = the lines a crash now may change
 * (so crash points cost what is open, not what was ever touched) */
void
line_open_change(struct model *m, uint32_t li)
{
	struct line_state *l = &m->lines[li];
	bool open = l->vcount > l->durable_v;
	if (open && l->open_pos == 0) {
		if (m->nopen == m->open_cap) {
			m->open_cap = m->open_cap ? m->open_cap * 2 : 64;
			m->open = realloc(m->open, m->open_cap * sizeof(*m->open));
			MODEL_ASSERT(m->open != NULL);
		}
		m->open[m->nopen++] = li;
		l->open_pos = m->nopen;
	} else if (!open && l->open_pos != 0) {
		uint32_t last = m->open[--m->nopen];
		m->open[l->open_pos - 1] = last;
		m->lines[last].open_pos = l->open_pos;
		l->open_pos = 0;
	}
}

void
line_table_free(struct model *m)
{
	free(m->lines);
	free(m->index);
	free(m->open);
}
