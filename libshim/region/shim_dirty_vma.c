/*
 * shim_dirty_vma.c -- a page that keeps cooling down and faulting again
 * gets a kernel VMA of its own, so that its mprotects change one VMA's
 * protection instead of splitting its mapping's VMA and merging it back
 *
 * A page made writable in a read-only mapping splits the mapping's VMA
 * in three, and protecting it again merges them: on the project's
 * machine an mprotect pair cost 4.8 us that way, 1.6 us when the page
 * was a VMA of its own (docs/performance.md, "Transactions: a VMA for a
 * page that cycles"). The kernel merges neighbours whose flags are
 * equal; MADV_NOHUGEPAGE, a hint that changes no byte the program reads
 * or writes (the view's pages are mprotected a page at a time: no huge
 * page maps them while the program runs), sets a flag. It goes on even
 * pages only: an even page marked is its own VMA (its neighbours are
 * odd, unmarked), an odd page is when both its even neighbours are
 * marked. At most MARKS_MAX pages a process are marked (each adds up to
 * two VMAs of the 65,530 a process may have); a mapping moved (mremap,
 * which takes one VMA) is made one VMA again first (shim_dirty_vma_join).
 */
#include <sys/mman.h>

#include "real.h"
#include "shim_dirty.h"
#include "shim_dirty_impl.h"

#define MARKS_MAX 1024

static unsigned marks; /* lock held */

/* mark -- even page pg of m marked, if it is in m and the budget lasts */
static void
mark(struct shim_mapping *m, size_t pg)
{
	if (pg >= shim_dirty_npages(m) || m->page_vma[pg] || marks >= MARKS_MAX)
		return;
	if (REAL(madvise)((void *)(m->base + pg * SHIM_PAGE_LEN), SHIM_PAGE_LEN,
			MADV_NOHUGEPAGE) != 0) {
		marks = MARKS_MAX; /* no THP in this kernel: never again */
		return;
	}
	m->page_vma[pg] = 1;
	marks++;
}

void
shim_dirty_vma_own(struct shim_mapping *m, size_t pg)
{
	if (m->page_vma == NULL)
		return;
	if (pg % 2 == 0) {
		mark(m, pg);
	} else {
		mark(m, pg - 1);
		mark(m, pg + 1);
	}
}

void
shim_dirty_vma_join(struct shim_mapping *m)
{
	if (m->page_vma == NULL)
		return;
	bool any = false;
	for (size_t pg = 0; pg < shim_dirty_npages(m) && !any; pg += 2)
		any = m->page_vma[pg] != 0;
	if (any)
		(void)REAL(madvise)((void *)m->base, m->len, MADV_NOHUGEPAGE);
}

unsigned
shim_dirty_vma_marks(void)
{
	return marks;
}
