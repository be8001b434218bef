/*
 * shim_prog_prot.h -- the program's own protection of view pages (its
 * mprotect or pkey_mprotect, file/shim_mprotect.c), which every
 * protection dirty tracking sets respects: a page the program lets write
 * is read-only while tracked clean, as any; one it made read-only or
 * PROT_NONE has exactly its protection, and a fault there is its own
 */
#ifndef PMEMU_SHIM_PROG_PROT_H
#define PMEMU_SHIM_PROG_PROT_H 1

#include <stdint.h>
#include <sys/mman.h>

#include "shim_dirty.h"
#include "shim_region.h"

/* the program's protection of the page at `page` of m: what it mapped
 * m with until it called mprotect there (async-signal-safe) */
static inline int
shim_prog_prot(const struct shim_mapping *m, uintptr_t page)
{
	const uint8_t *p = __atomic_load_n(&m->page_prog, __ATOMIC_ACQUIRE);
	return p == NULL ? m->prot :
		__atomic_load_n(&p[(page - m->base) / SHIM_PAGE_LEN],
			__ATOMIC_RELAXED);
}

/* prot, which tracking wants the page at `page` of m to have, as the
 * program's protection lets it: the write bit is tracking's while the
 * program may write there, else the program's protection as it is */
static inline int
shim_prog_prot_filter(const struct shim_mapping *m, uintptr_t page, int prot)
{
	int prog = shim_prog_prot(m, page);
	if (!(prog & PROT_WRITE))
		return prog;
	return (prog & ~PROT_WRITE) | (prot & PROT_WRITE);
}

/* the program set prot on the pages of m in [lo, hi) (lock held); 0, or
 * -ENOMEM when m's table could not be made. Without PROT_WRITE, once it
 * returns no fault handler opens those pages (they may be made
 * unreadable: a handler reads the page it opens) */
int shim_prog_prot_set(struct shim_mapping *m, uintptr_t lo, uintptr_t hi,
		int prot);
/* m was moved by mremap (lock held): its pages take the protection the
 * program gave them at their old place, from `old` (old_n pages; the
 * pages it grew by: the last one's), which is freed; NULL: none */
void shim_prog_prot_moved(struct shim_mapping *m, uint8_t *old,
		size_t old_n);
/* m's table is freed (shim_dirty_release) */
void shim_prog_prot_release(struct shim_mapping *m);

#endif
