/*
 * shim_line_site.c -- which site a store seen by page protection gets
 * (docs/report-format.md, "guessed sites"). A write fault names the
 * store that hit one line of the page: that line's first diff gets it,
 * exact. While a page is stepped (shim_dirty_fault.c: protected again
 * after each faulting store) every line its stores hit is named so. Any
 * other line changed on the page has no store of its own in view; it
 * gets the last site known for its bytes: a flush call whose range
 * covered it when it had changed, a TX_ADD that covered it before it
 * changed, or its own last exact store; failing those the page's fault
 * site. Those are guesses, and findings say so.
 */
#include <string.h>

#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_line_site.h"
#include "shim_site.h"

static size_t
line_index(const struct shim_mapping *m, uintptr_t a)
{
	return shim_line_count(m->region, a - m->base);
}

/* line_bit -- the bit of the line at a in its page's page_lines */
static uint64_t
line_bit(const struct shim_mapping *m, uintptr_t a)
{
	uint32_t line = m->region->line_len;
	if (line > SHIM_PAGE_LEN)
		return 1;
	return (uint64_t)1 << ((a - m->base) % SHIM_PAGE_LEN / line);
}

void
shim_line_site_fault(struct shim_mapping *m, size_t pg, uintptr_t addr,
		uint32_t site)
{
	m->page_lines[pg] = line_bit(m, addr);
	m->line_site[line_index(m, addr)] = site;
}

bool
shim_line_site_refault(struct shim_mapping *m, size_t pg, uintptr_t addr,
		uint32_t site)
{
	uint64_t bit = line_bit(m, addr);
	if (m->page_lines[pg] & bit)
		return false; /* stored already: a fill, not a new line */
	uint32_t line = m->region->line_len;
	uintptr_t a = addr - (addr - m->base) % line;
	size_t n = m->base + m->len - a < line ? m->base + m->len - a : line;
	m->line_site[line_index(m, addr)] = site;
	/* changed since the snapshot: another thread stored there while
	 * the page was writable; this store names the line, as a guess */
	if (memcmp((void *)a, shim_dirty_twin(m, a), n) != 0)
		return false;
	m->page_lines[pg] |= bit;
	return true;
}

uint32_t
shim_line_site_of(struct shim_mapping *m, uintptr_t a, uint32_t evidence,
		bool *exact)
{
	size_t pg = (a - m->base) / SHIM_PAGE_LEN;
	size_t li = line_index(m, a);
	uint64_t bit = line_bit(m, a);
	*exact = (m->page_lines[pg] & bit) != 0;
	if (*exact) {
		m->page_lines[pg] &= ~bit; /* its next store: a fault or unseen */
		return m->line_site[li];
	}
	if (evidence != 0)
		m->line_site[li] = evidence;
	return m->line_site[li] != 0 ? m->line_site[li] : m->page_site[pg];
}

uint64_t
shim_line_sites_of(struct shim_mapping *m, size_t pg, uint64_t lines,
		uint32_t evidence, uint32_t *sites)
{
	uint32_t *site = &m->line_site[line_index(m,
			m->base + pg * SHIM_PAGE_LEN)];
	uint64_t exact = m->page_lines[pg] & lines;
	m->page_lines[pg] &= ~exact;
	if (lines == ~(uint64_t)0 && (pg + 2) * SHIM_PAGE_LEN <= m->len)
		for (unsigned j = 64; j < 128; j += 16) /* the next page's */
			__builtin_prefetch(&site[j], 1);
	if (exact == 0 && evidence != 0 && lines == ~(uint64_t)0) {
		for (unsigned j = 0; j < 64; j++) /* a page of 64-byte lines */
			site[j] = sites[j] = evidence;
		return 0;
	}
	for (uint64_t c = lines; c != 0; c &= c - 1) {
		unsigned j = (unsigned)__builtin_ctzll(c);
		if (!((exact >> j) & 1) && evidence != 0)
			site[j] = evidence;
		sites[j] = site[j] != 0 || ((exact >> j) & 1) ? site[j] :
			m->page_site[pg];
	}
	return exact;
}

void
shim_line_site_forget(struct shim_mapping *m, size_t pg)
{
	uint32_t line = m->region->line_len;
	size_t per_page = line < SHIM_PAGE_LEN ? SHIM_PAGE_LEN / line : 1;
	size_t first = pg * SHIM_PAGE_LEN / line;
	memset(&m->line_site[first], 0, per_page * sizeof(uint32_t));
	m->page_lines[pg] = 0;
}

void
shim_line_site_announced(struct shim_mapping *m, uintptr_t lo, uintptr_t hi,
		uint32_t site)
{
	uint32_t line = m->region->line_len;
	for (uintptr_t a = lo - (lo - m->base) % line; a < hi; a += line) {
		size_t pg = (a - m->base) / SHIM_PAGE_LEN;
		uint8_t s = __atomic_load_n(&m->page_state[pg],
				__ATOMIC_ACQUIRE);
		/* held: a stepped page's next fault writes line_site too; it
		 * names the line itself, unless stepping ends first */
		if (!shim_page_has_twin(s) || !__atomic_compare_exchange_n(
				&m->page_state[pg], &s, SHIM_PAGE_BUSY, false,
				__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			continue; /* protected: its next store faults */
		size_t n = m->base + m->len - a < line ?
			m->base + m->len - a : line;
		if (memcmp((void *)a, shim_dirty_twin(m, a), n) == 0)
			m->line_site[line_index(m, a)] = site;
		__atomic_store_n(&m->page_state[pg], s, __ATOMIC_RELEASE);
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
