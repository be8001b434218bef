/*
 * shim_line_site.c -- which site a store seen by page protection gets
 * (docs/report-format.md, "guessed sites"). A write fault names the
 * store that hit one line of the page: that line's first diff gets it,
 * exact. Any other line changed on the page has no store of its own in
 * view; it gets the last site known for its bytes: a flush call whose
 * range covered it when it had changed, a TX_ADD that covered it before
 * it changed, or its own last exact store; failing those the page's
 * fault site. Those are guesses, and findings say so.
 */
#include <string.h>

#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_line_site.h"
#include "shim_site.h"

#define NO_LINE 0u /* page_fault_line holds the line in the page + 1 */

static size_t
line_index(const struct shim_mapping *m, uintptr_t a)
{
	return (a - m->base) / m->region->line_len;
}

void
shim_line_site_fault(struct shim_mapping *m, size_t pg, uintptr_t addr)
{
	uint32_t line = m->region->line_len;
	m->page_fault_line[pg] = line > SHIM_PAGE_LEN ? NO_LINE :
		(uint8_t)((addr - m->base) % SHIM_PAGE_LEN / line + 1);
}

uint32_t
shim_line_site_of(struct shim_mapping *m, uintptr_t a, uint32_t evidence,
		bool *exact)
{
	size_t pg = (a - m->base) / SHIM_PAGE_LEN;
	size_t li = line_index(m, a);
	uint32_t in_page = (uint32_t)((a - m->base) % SHIM_PAGE_LEN /
			m->region->line_len + 1);
	*exact = m->page_fault_line[pg] == in_page;
	if (*exact) {
		m->page_fault_line[pg] = NO_LINE; /* later stores: unseen */
		m->line_site[li] = m->page_site[pg];
		return m->page_site[pg];
	}
	if (evidence != 0)
		m->line_site[li] = evidence;
	return m->line_site[li] != 0 ? m->line_site[li] : m->page_site[pg];
}

void
shim_line_site_forget(struct shim_mapping *m, size_t pg)
{
	uint32_t line = m->region->line_len;
	size_t per_page = line < SHIM_PAGE_LEN ? SHIM_PAGE_LEN / line : 1;
	size_t first = pg * SHIM_PAGE_LEN / line;
	memset(&m->line_site[first], 0, per_page * sizeof(uint32_t));
	m->page_fault_line[pg] = NO_LINE;
}

void
shim_line_site_announced(struct shim_mapping *m, uintptr_t lo, uintptr_t hi,
		uint32_t site)
{
	uint32_t line = m->region->line_len;
	for (uintptr_t a = lo - (lo - m->base) % line; a < hi; a += line) {
		size_t pg = (a - m->base) / SHIM_PAGE_LEN;
		if (__atomic_load_n(&m->page_state[pg], __ATOMIC_ACQUIRE) !=
				SHIM_PAGE_DIRTY)
			continue; /* protected: its next store faults */
		size_t n = m->base + m->len - a < line ?
			m->base + m->len - a : line;
		if (memcmp((void *)a, m->twin + (a - m->base), n) == 0)
			m->line_site[line_index(m, a)] = site;
	}
}

bool
shim_line_site_writable(const struct shim_mapping *m, uintptr_t lo,
		uintptr_t hi)
{
	for (uintptr_t a = lo - (lo - m->base) % SHIM_PAGE_LEN; a < hi;
			a += SHIM_PAGE_LEN)
		if (__atomic_load_n(&m->page_state[(a - m->base) /
				SHIM_PAGE_LEN], __ATOMIC_ACQUIRE) ==
				SHIM_PAGE_DIRTY)
			return true;
	return false;
}
