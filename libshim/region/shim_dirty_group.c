/*
 * shim_dirty_group.c -- a fast sequential writer's pages in groups
 * (shim_dirty_impl.h, "Groups"): whether a writer is fast enough for its
 * next group to be opened at once, whether a page of a group waits open
 * for the group's last page, and a run of pages protected again in one
 * mprotect. The opening is shim_dirty_open_next's (shim_dirty_fault.c),
 * the waiting and closing the settle's (shim_dirty.c), under shim_lock;
 * `now` is the settle epoch (shim_dirty_settle_epoch).
 */
#include <sys/mman.h>

#include "real.h"
#include "shim_dirty.h"
#include "shim_dirty_impl.h"

bool
shim_dirty_group_fast(const struct shim_mapping *m, size_t pg, uint32_t now)
{
	return pg + 1 >= PAGE_GROUP && (pg + 1) % PAGE_GROUP == 0 &&
		now - m->page_cooled[pg + 1 - PAGE_GROUP] <= GROUP_FENCES;
}

bool
shim_dirty_group_late(const struct shim_mapping *m, size_t pg, uint32_t now)
{
	return now - m->page_cooled[pg] > GROUP_WAIT;
}

bool
shim_dirty_group_waits(const struct shim_mapping *m, size_t pg, uint8_t s,
		uint32_t now)
{
	size_t up = pg + 1;
	return s == SHIM_PAGE_DIRTY && (m->page_step[pg] & STEP_GROUP) &&
		up % PAGE_GROUP != 0 && up < shim_dirty_npages(m) &&
		!shim_dirty_group_late(m, pg, now) &&
		(m->page_step[up] & STEP_GROUP) &&
		(m->page_heat[up] & HEAT_FAULTS) >= HOT_FAULTS &&
		__atomic_load_n(&m->page_state[up], __ATOMIC_ACQUIRE) ==
			SHIM_PAGE_DIRTY;
}

void
shim_dirty_group_protect(struct shim_mapping *m, size_t first, size_t last)
{
	uintptr_t lo = m->base + first * SHIM_PAGE_LEN;
	int ro = m->prot & ~PROT_WRITE;
	int prot = shim_dirty_prot(m, lo, ro);
	bool same = true;
	for (size_t pg = first + 1; pg <= last; pg++)
		same = same && shim_dirty_prot(m, m->base + pg * SHIM_PAGE_LEN,
			ro) == prot;
	if (same) {
		REAL(mprotect)((void *)lo, (last - first + 1) * SHIM_PAGE_LEN,
			prot);
		return;
	}
	for (size_t pg = first; pg <= last; pg++) { /* one is poisoned, or the program's */
		uintptr_t page = m->base + pg * SHIM_PAGE_LEN;
		REAL(mprotect)((void *)page, SHIM_PAGE_LEN,
			shim_dirty_prot(m, page, ro));
	}
}
