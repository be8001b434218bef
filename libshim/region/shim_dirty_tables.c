/*
 * shim_dirty_tables.c -- the per-page tables of page-protection tracking
 * for one mapping (state, sites, heat, steps, line sites, twins), made
 * when it is mapped and given back when it goes, and made consistent in
 * a forked child; shim_dirty.c and shim_dirty_fault.c use them
 */
#include <errno.h>
#include <sys/mman.h>

#include "real.h"
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_dirty_impl.h"
#include "shim_far.h"
#include "shim_prog_prot.h"

static void *
anon(size_t len)
{
	void *p = shim_far_mmap(len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* line_site_len -- bytes of m's line_site: room for the shortest line
 * (64 bytes) whatever the region's, so release needs no region */
static size_t
line_site_len(const struct shim_mapping *m)
{
	return shim_dirty_npages(m) * (SHIM_PAGE_LEN / 64) * sizeof(uint32_t);
}

/* the distance from a view to its alias chosen for the first alias;
 * every later one is placed at that distance when the address is free,
 * so that plugin-built code can reach the alias of every view by adding
 * one number (shim_dirty_alias_delta). The first is tried far below its
 * view, so that aliases do not sit between views the kernel places one
 * below the other (the slot's range must hold views alone). */
static uintptr_t alias_delta;
#define ALIAS_FAR ((uintptr_t)1 << 40)

/*
 * alias_of -- a second, writable, shared mapping of m's view pages, when
 * the fault handler runs stores (a store hook is set): it writes the
 * store there and leaves the page read-only, with no mprotect to open it
 * and none to protect it again (docs/performance.md, "Single-stepping a
 * faulting store"); plugin-built stores write there too (api/hooks.c,
 * "Stores through the alias"). The same page cache pages: no memory,
 * address space only. NULL when it cannot be made: stores are stepped.
 */
static uint8_t *
alias_of(const struct shim_mapping *m)
{
	int fd = m->region->view_fd;
	if (!shim_dirty_runs_stores() || fd < 0)
		return NULL;
	uintptr_t want = alias_delta != 0 ? m->base + alias_delta :
		m->base > 2 * ALIAS_FAR ? m->base - ALIAS_FAR : 0;
	void *p = shim_mmap_at(want, m->len, PROT_READ | PROT_WRITE,
		MAP_SHARED | MAP_NORESERVE, fd, (off_t)m->file_off);
	if (p == MAP_FAILED)
		p = REAL(mmap)(NULL, m->len, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_NORESERVE, fd, (off_t)m->file_off);
	if (p == MAP_FAILED)
		return NULL;
	if (alias_delta == 0)
		alias_delta = (uintptr_t)p - m->base;
	return p;
}

void
shim_dirty_alias_unmapped(struct shim_mapping *m, uintptr_t lo, uintptr_t hi)
{
	uintptr_t a = (uintptr_t)m->alias;
	if (m->alias == NULL || hi <= a || lo >= a + m->len)
		return;
	/* its pages are the program's now: the fault handler steps, and
	 * plugin-built stores go to the view (the slots' listener runs) */
	__atomic_store_n(&m->alias, NULL, __ATOMIC_RELEASE);
	if (lo > a)
		REAL(munmap)((void *)a, lo - a);
	if (hi < a + m->len)
		REAL(munmap)((void *)hi, a + m->len - hi);
}

void
shim_dirty_alias_drop(struct shim_mapping *m)
{
	uint8_t *a = m->alias;
	if (a == NULL)
		return;
	__atomic_store_n(&m->alias, NULL, __ATOMIC_RELEASE);
	REAL(munmap)(a, m->len);
}

uintptr_t
shim_dirty_alias_delta(const struct shim_mapping *m)
{
	uintptr_t d = (uintptr_t)m->alias - m->base;
	return m->alias != NULL && d == alias_delta ? d : 0;
}

int
shim_dirty_setup(struct shim_mapping *m)
{
	m->tracked = false;
	if (!(m->prot & PROT_WRITE))
		return 0;
	size_t n = shim_dirty_npages(m);
	m->page_state = anon(n);
	m->page_site = anon(n * sizeof(uint32_t));
	m->page_lines = anon(n * sizeof(uint64_t));
	m->page_step = anon(n);
	m->line_site = anon(line_site_len(m));
	m->twin_area = anon(n * SHIM_PAGE_LEN);
	m->page_heat = anon(n);
	m->page_cooled = anon(n * sizeof(uint32_t));
	m->page_twin = anon(n * sizeof(uint32_t));
	m->page_vma = anon(n);
	if (!m->page_state || !m->page_site || !m->twin_area || !m->page_heat ||
			!m->page_cooled ||
			!m->page_lines || !m->page_step || !m->line_site ||
			!m->page_twin || !m->page_vma) {
		shim_dirty_release(m);
		return -ENOMEM;
	}
	shim_dirty_twin_pool_init();
	m->view_ahead = (struct shim_populate){ .read = true };
	m->alias = alias_of(m);
	/* last: a fault handler may look at m (mprotect made it writable) */
	__atomic_store_n(&m->tracked, true, __ATOMIC_RELEASE);
	return 0;
}

void
shim_dirty_release(struct shim_mapping *m)
{
	size_t n = shim_dirty_npages(m);
	shim_dirty_twin_forget(m);
	shim_prog_prot_release(m);
	if (m->page_state)
		REAL(munmap)(m->page_state, n);
	if (m->page_site)
		REAL(munmap)(m->page_site, n * sizeof(uint32_t));
	if (m->twin_area)
		REAL(munmap)(m->twin_area, n * SHIM_PAGE_LEN);
	if (m->page_heat)
		REAL(munmap)(m->page_heat, n);
	if (m->page_cooled)
		REAL(munmap)(m->page_cooled, n * sizeof(uint32_t));
	if (m->page_lines)
		REAL(munmap)(m->page_lines, n * sizeof(uint64_t));
	if (m->page_step)
		REAL(munmap)(m->page_step, n);
	if (m->line_site)
		REAL(munmap)(m->line_site, line_site_len(m));
	if (m->page_twin)
		REAL(munmap)(m->page_twin, n * sizeof(uint32_t));
	if (m->alias)
		REAL(munmap)(m->alias, m->len);
	m->alias = NULL;
	if (m->page_vma)
		REAL(munmap)(m->page_vma, n);
	m->page_vma = NULL;
	m->page_twin = NULL;
	m->twins_pooled = 0;
	m->page_lines = NULL;
	m->page_step = NULL;
	m->line_site = NULL;
	m->page_heat = NULL;
	m->page_cooled = NULL;
	m->page_state = NULL;
	m->page_site = NULL;
	m->twin_area = NULL;
}

/* forked_mapping -- pages a handler of a thread gone at fork held */
static void
forked_mapping(struct shim_mapping *m, void *ctx)
{
	(void)ctx;
	if (!m->tracked)
		return;
	for (size_t pg = 0; pg < shim_dirty_npages(m); pg++) {
		if (m->page_state[pg] != SHIM_PAGE_BUSY)
			continue;
		uint8_t *page = (uint8_t *)(m->base + pg * SHIM_PAGE_LEN);
		REAL(mprotect)(page, SHIM_PAGE_LEN, shim_dirty_prot(m,
			(uintptr_t)page, m->prot));
		m->page_step[pg] = STEP_FAULTS_MAX; /* not stepped */
		m->page_state[pg] = SHIM_PAGE_DIRTY;
		shim_dirty_ring_push((uintptr_t)page);
	}
}

void
shim_dirty_forked(void)
{
	__atomic_store_n(&shim_dirty_handlers_open, 0, __ATOMIC_RELEASE);
	shim_mapping_for_each(forked_mapping, NULL);
}
