/*
 * shim_prog_prot.c -- the per-page table of the program's own protection
 * of a tracked mapping (shim_prog_prot.h), made at its first mprotect
 * there: a mapping the program never protects again costs nothing
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "real.h"
#include "shim_far.h"
#include "shim_dirty.h"
#include "shim_dirty_impl.h"
#include "shim_prog_prot.h"

int
shim_prog_prot_set(struct shim_mapping *m, uintptr_t lo, uintptr_t hi,
		int prot)
{
	uint8_t *p = m->page_prog;
	size_t n = shim_dirty_npages(m);
	if (p == NULL) {
		p = shim_far_mmap(n, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return -ENOMEM;
		memset(p, m->prot, n);
		__atomic_store_n(&m->page_prog, p, __ATOMIC_RELEASE);
		shim_mappings_changed(); /* no store through its alias now */
	}
	size_t first = (lo - m->base) / SHIM_PAGE_LEN;
	size_t end = (hi - m->base + SHIM_PAGE_LEN - 1) / SHIM_PAGE_LEN;
	for (size_t pg = first; pg < end && pg < n; pg++)
		__atomic_store_n(&p[pg], (uint8_t)(prot & (PROT_READ |
			PROT_WRITE | PROT_EXEC)), __ATOMIC_RELEASE);
	if (!(prot & PROT_WRITE)) { /* see shim_dirty_fault */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		while (__atomic_load_n(&shim_dirty_handlers_open,
				__ATOMIC_ACQUIRE) > (shim_dirty_my_busy != NULL))
			sched_yield();
	}
	return 0;
}

void
shim_prog_prot_moved(struct shim_mapping *m, uint8_t *old, size_t old_n)
{
	if (old == NULL)
		return;
	if (m->tracked && shim_prog_prot_set(m, m->base, m->base, m->prot) ==
			0) {
		for (size_t pg = 0; pg < shim_dirty_npages(m); pg++) {
			uintptr_t page = m->base + pg * SHIM_PAGE_LEN;
			m->page_prog[pg] = old[pg < old_n ? pg : old_n - 1];
			int want = shim_dirty_page_prot(m, page);
			if (want != (m->prot & ~PROT_WRITE))
				REAL(mprotect)((void *)page, SHIM_PAGE_LEN, want);
		}
	}
	REAL(munmap)(old, old_n);
}

void
shim_prog_prot_release(struct shim_mapping *m)
{
	if (m->page_prog != NULL)
		REAL(munmap)(m->page_prog, shim_dirty_npages(m));
	m->page_prog = NULL;
}
