/*
 * shim_dirty.h -- stores of uninstrumented code, seen by page protection
 *
 * A writable view page starts read-only. Its first write fault (the
 * SIGSEGV handler, async-signal-safe, no lock) copies the page to a twin,
 * records the faulting site, makes the page writable and queues it on a
 * lock-free ring; the faulting store is single-stepped and the page
 * protected again after it, while its faults keep naming new lines
 * (shim_dirty_fault.c). Under shim_lock, a flush diffs its lines against the
 * twin (changed: an untraced STORE with the fault's site), and a fence or
 * crash point settles every queued page: diff, store events, read-only
 * again, twin dropped (in batches: shim_dirty_twin.c). Memory is
 * proportional to the dirty pages.
 */
#ifndef PMEMU_SHIM_DIRTY_H
#define PMEMU_SHIM_DIRTY_H 1

#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <ucontext.h>

#include "shim_region.h"

#define SHIM_PAGE_LEN 4096u

/* the pool of twin pages (shim_dirty_twin.c), NULL until the first
 * tracked mapping */
extern uint8_t *shim_dirty_twin_pool;

/* the twin of the byte at a of m, whose page has a twin (its state, or
 * held): in the pool, or in m's own area (async-signal-safe) */
static inline uint8_t *
shim_dirty_twin(const struct shim_mapping *m, uintptr_t a)
{
	size_t off = a - m->base, pg = off / SHIM_PAGE_LEN;
	uint32_t slot = __atomic_load_n(&m->page_twin[pg], __ATOMIC_RELAXED);
	uint8_t *page = slot != 0 ? shim_dirty_twin_pool +
		(size_t)(slot - 1) * SHIM_PAGE_LEN :
		m->twin_area + pg * SHIM_PAGE_LEN;
	return page + off % SHIM_PAGE_LEN;
}

/* the page of a in m is clean: read-only, no twin, every store to it so
 * far seen by a hook or diffed already (no lock: it may be opened next) */
static inline bool
shim_dirty_page_clean(const struct shim_mapping *m, uintptr_t a)
{
	return m->tracked && __atomic_load_n(&m->page_state[(a - m->base) /
		SHIM_PAGE_LEN], __ATOMIC_ACQUIRE) == SHIM_PAGE_CLEAN;
}

/* allocates the page arrays of a new mapping (lock held); 0 or -ENOMEM */
int shim_dirty_setup(struct shim_mapping *m);
/* the distance from m's view to its writable alias when it is the one
 * every alias is placed at, else 0 (no alias, or placed elsewhere) */
uintptr_t shim_dirty_alias_delta(const struct shim_mapping *m);
/* the program unmaps [lo, hi) or maps over it (MAP_FIXED): if that
 * touches m's alias, m has none from now on (lock held) */
void shim_dirty_alias_unmapped(struct shim_mapping *m, uintptr_t lo,
		uintptr_t hi);
/* m goes away (munmap, mremap): its alias goes now, not when its slot
 * is reused, so the program may map that address again (lock held) */
void shim_dirty_alias_drop(struct shim_mapping *m);
/* frees the arrays of a slot's previous mapping (slot reuse) */
void shim_dirty_release(struct shim_mapping *m);

/* the SIGSEGV handler's part: true when the fault was ours (resume);
 * may set the trap flag in uc to single-step the faulting store */
bool shim_dirty_fault(void *addr, ucontext_t *uc);
/* the SIGTRAP handler's part: true when the trap was the single step
 * of a faulting store (its page is protected again; resume) */
bool shim_dirty_step_trap(siginfo_t *si, ucontext_t *uc);

/*
 * lines [lo, hi) of mapping m are about to be flushed: emit a STORE for
 * each line changed since its last snapshot and take the new snapshot
 * (the twin); site: the flush call's (0: none), the best guess for the
 * store of a line no fault named; lock held
 */
void shim_dirty_flush_lines(struct shim_mapping *m, uintptr_t lo,
		uintptr_t hi, uint32_t site);
/*
 * ev is the untraced STORE of a line a diff is emitting now (lock held):
 * that line's view and its twin before the refresh. A file mapped twice
 * has a twin per mapping, and only the diffed mapping's twin tells which
 * of the line's bytes changed (the transaction check, shim_tx.c).
 */
bool shim_dirty_diffed_line(const struct model_event *ev,
		const uint8_t **view, const uint8_t **twin);
/* bytes [lo, hi) were stored and traced: keep the twin in step */
void shim_dirty_traced(struct shim_mapping *m, uintptr_t lo, uintptr_t hi);
/* the same, the bytes copied when they were stored (data: hi - lo) */
void shim_dirty_traced_bytes(struct shim_mapping *m, uintptr_t lo,
		uintptr_t hi, const void *data);
/* the protection dirty tracking gives the page at `page` of m now:
 * read-only while clean, the program's once written */
int shim_dirty_page_prot(const struct shim_mapping *m, uintptr_t page);
/* every protection the tracking sets passes through fn (a poisoned page
 * stays PROT_NONE, shim_poison.c); set once at start (main.c) */
void shim_dirty_set_prot_hook(int (*fn)(const struct shim_mapping *m,
		uintptr_t page, int prot));
/* the pages of m in [lo, hi) made writable, unstepped, before the kernel
 * writes there (a read() buffer), which a protected page would fail
 * with EFAULT; site names their lines' next changes, as a guess; lock
 * held */
void shim_dirty_open_for_kernel(struct shim_mapping *m, uintptr_t lo,
		uintptr_t hi, uint32_t site);
/* page pg of m, written in sequence, had its last line changed and
 * flushed: the page after it is opened now, as its write fault would
 * open it, so the writer's next store does not fault (lock held) */
void shim_dirty_open_next(struct shim_mapping *m, size_t pg);
/* fn is called when a flush finds the last line of page pg of m
 * changed (shim_dirty_open_next); set once at start (main.c) */
void shim_dirty_set_last_line_hook(void (*fn)(struct shim_mapping *m,
		size_t pg));
/* fn runs the store that faulted writing addr (uc's pc) on page, instead
 * of a single step, when it can: its bytes written at the same offsets
 * of `to`, a writable mapping of the same page (true: done, pc past it);
 * set once at start, before any mapping (main.c) */
void shim_dirty_set_store_hook(bool (*fn)(ucontext_t *uc, uintptr_t addr,
		uintptr_t page, uintptr_t to));
/* fn finds the store at uc's pc right after one the store hook ran from
 * from_pc: true with the address its write fault would give in *ea
 * (insn_store_next); set once at start, with the store hook (main.c) */
void shim_dirty_set_next_store_hook(bool (*fn)(const ucontext_t *uc,
		uintptr_t from_pc, uintptr_t *ea));
/* settle the dirty pages of m in [lo, hi) (msync, munmap); lock held */
void shim_dirty_settle_range(struct shim_mapping *m, uintptr_t lo,
		uintptr_t hi);
/* m's pages that became VMAs of their own (shim_dirty_vma.c) join its
 * other pages' VMA again, as mremap wants (lock held; settled first, so
 * that every page has the same protection) */
void shim_dirty_vma_join(struct shim_mapping *m);
/* no page is open: a settle now would find no store (lock held; a
 * handler of another thread may open one right after) */
bool shim_dirty_none_open(void);
/* settle every queued dirty page (fences, crash points, exit) */
void shim_dirty_settle_all(void);
/* the child of a fork: pages that handlers of other threads held are
 * opened (their threads are gone); lock held */
void shim_dirty_forked(void);

#endif
