/*
 * shim_dirty_impl.h -- what the two halves of page-protection tracking
 * share: the fault handler's (shim_dirty_fault.c, lock-free) and the
 * settling's (shim_dirty.c, under shim_lock)
 */
#ifndef PMEMU_SHIM_DIRTY_IMPL_H
#define PMEMU_SHIM_DIRTY_IMPL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#include "shim_region.h"

/* a page's heat byte */
#define HEAT_FAULTS 0x03  /* faults, up to HOT_FAULTS */
#define HEAT_LEVEL 0x0c   /* times it cooled down, up to 3 (<< 2) */
#define HEAT_QUIET 0x70   /* quiet fences seen while hot (<< 4), in units
                             of 2^level fences */
#define HEAT_TOUCHED 0x80 /* a flush found a store since the last fence */
#define HOT_FAULTS 2      /* faults that make a page hot */
#define HOT_QUIET_MAX 6   /* quiet units after which it cools down */
#define HOT_LEVEL_MAX 3

/* a page's step byte: faults since it was opened (the settle that
 * protects it again resets it), STEP_SEQUENTIAL when it was opened while
 * the page below it was hot (a sequential writer: shim_dirty_open_next),
 * STEP_GROUP when it was opened with its group (below), STEP_AHEAD while
 * such a page has not been found changed since, and STEP_ON while the
 * store of its last fault is being single-stepped, to protect the page
 * again after it */
#define STEP_FAULTS 0x0f
#define STEP_AHEAD 0x10
#define STEP_GROUP 0x20
#define STEP_SEQUENTIAL 0x40
#define STEP_ON 0x80
#define STEP_FAULTS_MAX 8 /* faults per opening; the last is not stepped */

/*
 * Groups: a fast sequential writer (PAGE_GROUP pages written in at most
 * GROUP_FENCES fences) has the next PAGE_GROUP pages, aligned, opened in
 * one mprotect when it reaches them, and protected again in one when the
 * group's last page cools down: each page of the group but the last
 * stays open (hot, compared at every fence) until then, and a page
 * opened ahead counts no quiet fence before it is written, for at most
 * GROUP_WAIT fences after its group was opened (docs/shim.md,
 * "Groups"). An mprotect costs ~1.5 us on the project's machine, a compare
 * of a page that stays open ~20-60 ns a fence: groups of 2 took less CPU
 * than of 4 (more compares) or 8 (docs/performance.md).
 */
#define PAGE_GROUP 2
#define GROUP_FENCES (16 * PAGE_GROUP)
#define GROUP_WAIT (GROUP_FENCES + 2 * HOT_QUIET_MAX)

/* shim_dirty_group.c (lock held; now: shim_dirty_settle_epoch): the
 * group that ends at page pg (its last) was written in at most
 * GROUP_FENCES fences since its first page was opened */
bool shim_dirty_group_fast(const struct shim_mapping *m, size_t pg,
		uint32_t now);
/* page pg's group was opened more than GROUP_WAIT fences ago: it waits
 * for its writer no longer */
bool shim_dirty_group_late(const struct shim_mapping *m, size_t pg,
		uint32_t now);
/* page pg (held in state s, cooled down) waits open for its group's last
 * page: it is writable, of a group, not its last, and the page above it
 * is of the group too, open and hot */
bool shim_dirty_group_waits(const struct shim_mapping *m, size_t pg,
		uint8_t s, uint32_t now);
/* pages [first, last] of m (held, writable) read-only, in one call when
 * the protection hook gives them all the same */
void shim_dirty_group_protect(struct shim_mapping *m, size_t first,
		size_t last);

/* pages of m (its last one may be partly mapped) */
static inline size_t
shim_dirty_npages(const struct shim_mapping *m)
{
	return (m->len + SHIM_PAGE_LEN - 1) / SHIM_PAGE_LEN;
}

/* settles of the ring so far (written under shim_lock, read by the
 * fault handler as a hint: atomic) */
extern uint32_t shim_dirty_settle_epoch;

/* handlers between taking a page (BUSY) and queueing it: the page may be
 * writable already, its state not yet DIRTY */
extern int shim_dirty_handlers_open;
/* the page this thread's handler holds: a signal handler of the program
 * that interrupts it and flushes must not wait for it */
extern __thread uint8_t *shim_dirty_my_busy
	__attribute__((tls_model("initial-exec")));

/* shim_dirty_ring.c: queue a page made writable (signal handler) */
void shim_dirty_ring_push(uintptr_t page);
/* the ring overflowed since the last call: every mapping must be settled
 * (lock held) */
bool shim_dirty_ring_overflowed(void);
/* settle(page) for each page queued, in order; the ring empties but for
 * the slots of handlers that have not filled theirs yet (lock held) */
void shim_dirty_ring_drain(void (*settle)(uintptr_t page));

/* a store hook is set (shim_dirty_set_store_hook) */
bool shim_dirty_runs_stores(void);
/* the store hook ran the store that faulted writing addr on page, its
 * bytes written through `to` (the page in m->alias): false when there
 * is none or it could not */
bool shim_dirty_run_store(ucontext_t *uc, uintptr_t addr, uintptr_t page,
		uintptr_t to);

/* the next-store hook found the store at uc's pc, right after one run
 * from from_pc: its write fault's address in *ea */
bool shim_dirty_next_store(const ucontext_t *uc, uintptr_t from_pc,
		uintptr_t *ea);

/* prot as the program's own protection of the page (shim_prog_prot.h)
 * and the registered hook let a page of m have it (a poisoned page stays
 * PROT_NONE: shim_dirty_set_prot_hook) */
int shim_dirty_prot(const struct shim_mapping *m, uintptr_t page, int prot);
/* what lets the shim read a page the program made PROT_NONE (a
 * poisoned page stays PROT_NONE) */
int shim_dirty_readable_prot(const struct shim_mapping *m, uintptr_t page);
/* page pg of m, written in sequence, had its last line found changed by
 * a flush: the hook registered with shim_dirty_set_last_line_hook, if
 * any (lock held) */
void shim_dirty_last_line_flushed(struct shim_mapping *m, size_t pg);

/* page pg of m cools down not for the first time: it becomes a VMA of
 * its own if the budget lasts, so that its mprotects split and merge no
 * VMA (lock held; shim_dirty_vma.c) */
void shim_dirty_vma_own(struct shim_mapping *m, size_t pg);
/* pages marked so far in this process */
unsigned shim_dirty_vma_marks(void);

/* the pool of twin pages, made at the first tracked mapping (lock
 * held; without it, every twin is in its mapping's area) */
void shim_dirty_twin_pool_init(void);
/* page pg of m, held, is being opened: its twin is a page of the pool
 * if one is free (async-signal-safe, no lock), else in m's area */
void shim_dirty_twin_take(struct shim_mapping *m, size_t pg);
/* page pg of m is being settled (held, lock held): its twin goes back
 * to the pool, or is given back with a batch of others
 * (shim_dirty_twin.c) */
void shim_dirty_twin_drop(struct shim_mapping *m, size_t pg);
/* m's arrays are freed: its pool slots are free again, no batch may
 * name its pages (lock held) */
void shim_dirty_twin_forget(struct shim_mapping *m);

/* the lines at page (page pg of m, whole, held) at a flush while a
 * persist's batch is held, as a flush gives them (evidence: the flush's
 * site); the changed ones, a bit each (shim_dirty_held.c) */
uint64_t shim_dirty_flush_held(struct shim_mapping *m, size_t pg,
		uintptr_t page, uint32_t evidence);
/* the pages [lo, hi) of m that flush compared (one run; m NULL: none),
 * lock held; hidden: read without the GOT at every settle */
struct shim_dirty_fresh {
	const struct shim_mapping *m;
	size_t lo, hi;
};
extern struct shim_dirty_fresh shim_dirty_fresh
	__attribute__((visibility("hidden")));
/* page pg of m was compared by that flush: its settle at the fence that
 * follows need not compare it again (lock held throughout) */
static inline bool
shim_dirty_held_fresh(const struct shim_mapping *m, size_t pg)
{
	return shim_dirty_fresh.m == m && pg >= shim_dirty_fresh.lo &&
		pg < shim_dirty_fresh.hi;
}
/* no page is: a new flush starts, or the fence's settle is done */
static inline void
shim_dirty_held_forget(void)
{
	shim_dirty_fresh.m = NULL;
}

#endif
