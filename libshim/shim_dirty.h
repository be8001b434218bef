/*
 * shim_dirty.h -- stores of uninstrumented code, seen by page protection
 *
 * A writable view page starts read-only. Its first write fault (the
 * SIGSEGV handler, async-signal-safe, no lock) copies the page to a twin,
 * records the faulting site, makes the page writable and queues it on a
 * lock-free ring. Under shim_lock, a flush diffs its lines against the
 * twin (changed: an untraced STORE with the fault's site), and a fence or
 * crash point settles every queued page: diff, store events, read-only
 * again, twin dropped. Memory is proportional to the dirty pages.
 */
#ifndef PMEMU_SHIM_DIRTY_H
#define PMEMU_SHIM_DIRTY_H 1

#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

#include "shim_region.h"

#define SHIM_PAGE_LEN 4096u

/* allocates the page arrays of a new mapping (lock held); 0 or -ENOMEM */
int shim_dirty_setup(struct shim_mapping *m);
/* frees the arrays of a slot's previous mapping (slot reuse) */
void shim_dirty_release(struct shim_mapping *m);

/* the SIGSEGV handler's part: true when the fault was ours (resume) */
bool shim_dirty_fault(void *addr, const ucontext_t *uc);

/*
 * lines [lo, hi) of mapping m are about to be flushed: emit a STORE for
 * each line changed since its last snapshot and take the new snapshot
 * (the twin); site: the flush call's (0: none), the best guess for the
 * store of a line no fault named; lock held
 */
void shim_dirty_flush_lines(struct shim_mapping *m, uintptr_t lo,
		uintptr_t hi, uint32_t site);
/* bytes [lo, hi) were stored and traced: keep the twin in step */
void shim_dirty_traced(struct shim_mapping *m, uintptr_t lo, uintptr_t hi);
/* settle the dirty pages of m in [lo, hi) (msync, munmap); lock held */
void shim_dirty_settle_range(struct shim_mapping *m, uintptr_t lo,
		uintptr_t hi);
/* settle every queued dirty page (fences, crash points, exit) */
void shim_dirty_settle_all(void);
/* the child of a fork: pages that handlers of other threads held are
 * opened (their threads are gone); lock held */
void shim_dirty_forked(void);

/* shim_line_site.c: the sites of stores seen by page protection */
/* the write fault of page pg of m hit addr (signal handler) */
void shim_line_site_fault(struct shim_mapping *m, size_t pg, uintptr_t addr);
/* the site for a change found in the line at a, and whether it is that
 * store's own; evidence (a flush call covering the line, or 0) becomes
 * the line's last known site */
uint32_t shim_line_site_of(struct shim_mapping *m, uintptr_t a,
		uint32_t evidence, bool *exact);
/* page pg is protected again: what was known of its lines is stale */
void shim_line_site_forget(struct shim_mapping *m, size_t pg);
/* a call at site named [lo, hi) before storing there (a TX_ADD): the
 * unchanged lines of writable pages in it take site as their last known
 * (their next stores will not fault); lock held */
void shim_line_site_announced(struct shim_mapping *m, uintptr_t lo,
		uintptr_t hi, uint32_t site);
/* some page of [lo, hi) of m is writable (announcing is worth a site) */
bool shim_line_site_writable(const struct shim_mapping *m, uintptr_t lo,
		uintptr_t hi);

/* shim_events.c: a store of [addr, addr+len) of m became known (lock
 * held); traced: its bytes are the view's now */
/* the line's view content now, into the trace when recording */
void shim_emit_snapshot(struct shim_mapping *m, uintptr_t addr, size_t len,
		uint32_t site);
void shim_emit_store(struct shim_mapping *m, uintptr_t addr, size_t len,
		bool traced, bool site_exact, uint32_t site);

#endif
