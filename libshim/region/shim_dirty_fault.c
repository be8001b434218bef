/*
 * shim_dirty_fault.c -- the signal handlers' side of page-protection
 * tracking: the write fault that opens a view page, and the single step
 * after it that protects the page again (lock-free, async-signal-safe)
 *
 * A page's first write fault copies it to its twin, names the store's
 * line (shim_line_site.c), makes it writable and queues it. Without more,
 * later stores to other lines of the page are seen only at the next
 * flush or fence, by diffing, and their sites are guesses. So on a cold
 * page (not hot: docs/shim.md) the store that faulted is run by the
 * handler itself when it is a plain store (insn_store_run.c, through
 * the store hook), written through the mapping's alias with the page
 * left read-only, else single-stepped (shim_step.c) and the page
 * protected again after it: either way the page ends WATCHED (twin
 * kept, queued already), the next store to it faults too and names its
 * own line (when it is the next instruction, a plain store, that fault
 * is taken in the same signal: shim_dirty_fault). Stepping stops for the page, until a settle
 * protects it again, when a fault hits a line stored already (a fill:
 * its next stores would all fault) or after STEP_FAULTS_MAX faults, so a
 * loop pays about one more fault and trap per page. Hot pages, which
 * stay writable across fences, are not stepped: they would pay it at
 * every opening (run_bench.py: up to 2x on libpmemobj). A store of another thread that lands while the page is
 * writable for the stepped store is not seen: its line's site is
 * a guess, named by the next store there (shim_line_site_refault). A
 * sequential writer's next page is opened without a fault, at the flush
 * of the last line of the page below (shim_dirty_open_next).
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "real.h"
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_dirty_impl.h"
#include "shim_line_site.h"
#include "shim_prog_prot.h"
#include "shim_site.h"
#include "shim_step.h"

#define NEXT_STORES_MAX 64 /* stores taken after a fault's, in its signal */

/* neighbour_hot -- page pg is hot and writable now (a racy read of two
 * bytes: a hint only) */
static bool
neighbour_hot(const struct shim_mapping *m, size_t pg)
{
	return (__atomic_load_n(&m->page_heat[pg], __ATOMIC_RELAXED) &
			HEAT_FAULTS) >= HOT_FAULTS &&
		__atomic_load_n(&m->page_state[pg], __ATOMIC_RELAXED) ==
			SHIM_PAGE_DIRTY;
}

static void
handler_die(const char *msg)
{
	ssize_t r = REAL(write)(2, msg, strlen(msg));
	(void)r;
	REAL(_exit)(2);
}

/* take_page -- the page's state before this handler held it (BUSY):
 * CLEAN or WATCHED; DIRTY or GONE when there is nothing to hold */
static uint8_t
take_page(uint8_t *st)
{
	for (;;) {
		uint8_t s = __atomic_load_n(st, __ATOMIC_ACQUIRE);
		if (s == SHIM_PAGE_DIRTY || s == SHIM_PAGE_GONE)
			return s;
		if (s == SHIM_PAGE_BUSY) {
			sched_yield(); /* a settle is running on another thread */
			continue;
		}
		if (__atomic_compare_exchange_n(st, &s, SHIM_PAGE_BUSY, false,
				__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return s;
	}
}

/*
 * cooled_long_ago -- page pg, hot before, cooled down (its level raised
 * to wait longer next time) and faults again now: if it stayed protected
 * for longer than the raised level would keep it hot, the longer wait
 * would not have saved this fault, so the level goes back down. A
 * sequential writer of a big pool (every page once per pass) stays at
 * level 0: its pages cool 6 fences after their last store instead of 48,
 * and each fence compares ~1 page behind the writer instead of ~6.
 */
static void
cooled_long_ago(struct shim_mapping *m, size_t pg)
{
	uint8_t heat = m->page_heat[pg];
	unsigned level = (heat & HEAT_LEVEL) >> 2;
	uint32_t now = __atomic_load_n(&shim_dirty_settle_epoch,
			__ATOMIC_RELAXED);
	if (level > 0 && now - m->page_cooled[pg] >
			(uint32_t)HOT_QUIET_MAX << level)
		m->page_heat[pg] = (uint8_t)((heat & ~HEAT_LEVEL) |
			((level - 1) << 2));
}

/* open_page -- the first fault since the page was protected: twin,
 * sites, heat (the page is held); true when the page was cold (its first
 * or second opening) and is not written in sequence: worth stepping */
static bool
open_page(struct shim_mapping *m, size_t pg, uintptr_t addr, uint32_t site)
{
	uintptr_t page = m->base + pg * SHIM_PAGE_LEN;
	shim_dirty_twin_take(m, pg);
	memcpy(shim_dirty_twin(m, page), (void *)page, SHIM_PAGE_LEN);
	m->page_site[pg] = site;
	m->page_step[pg] = 0;
	shim_line_site_fault(m, pg, addr, site);
	bool cold = (m->page_heat[pg] & HEAT_FAULTS) < HOT_FAULTS;
	if (cold)
		m->page_heat[pg]++;
	else
		cooled_long_ago(m, pg);
	if (pg > 0 && neighbour_hot(m, pg - 1)) { /* a sequential writer */
		m->page_heat[pg] |= HOT_FAULTS;
		m->page_step[pg] = STEP_SEQUENTIAL;
		cold = false;
	}
	m->page_cooled[pg] = __atomic_load_n(&shim_dirty_settle_epoch,
			__ATOMIC_RELAXED); /* opened: read by groups */
	return cold;
}

/* fault_once -- the write fault of the store at uc's pc on addr (or,
 * `next`, the fault it would raise: a poisoned page's is the poison
 * handler's, so not taken); *ran when the store was run here and its
 * page left read-only. False, nothing changed: not ours */
static bool
fault_once(void *addr, ucontext_t *uc, bool next, bool *ran)
{
	struct shim_mapping *m = (struct shim_mapping *)
		shim_mapping_lookup(addr);
	*ran = false;
	if (m == NULL || !m->tracked ||
			!(uc->uc_mcontext.gregs[REG_ERR] & 2) /* a write */)
		return false;
	size_t pg = ((uintptr_t)addr - m->base) / SHIM_PAGE_LEN;
	if (!(shim_prog_prot(m, m->base + pg * SHIM_PAGE_LEN) & PROT_WRITE))
		return false; /* the program made it read-only: its fault */
	if (next && !(shim_dirty_prot(m, m->base + pg * SHIM_PAGE_LEN,
			m->prot) & PROT_WRITE))
		return false;
	uint8_t *st = &m->page_state[pg];
	uint8_t was = take_page(st);
	if (was == SHIM_PAGE_DIRTY)
		return true; /* another thread opened it: retry */
	if (was == SHIM_PAGE_GONE)
		return false;
	__atomic_add_fetch(&shim_dirty_handlers_open, 1, __ATOMIC_SEQ_CST);
	uintptr_t page = m->base + pg * SHIM_PAGE_LEN;
	if (!(shim_prog_prot(m, page) & PROT_WRITE)) {
		/* its mprotect took the write away since: it waits for
		 * open handlers (shim_prog_prot_set), or this one sees it */
		__atomic_store_n(st, was, __ATOMIC_RELEASE);
		__atomic_sub_fetch(&shim_dirty_handlers_open, 1,
			__ATOMIC_ACQ_REL);
		return false;
	}
	shim_dirty_my_busy = st;
	uint32_t site = shim_site_ucontext(uc);
	bool new_line; /* and the page cold: step on */
	if (was == SHIM_PAGE_CLEAN)
		new_line = open_page(m, pg, (uintptr_t)addr, site);
	else
		new_line = shim_line_site_refault(m, pg, (uintptr_t)addr, site);
	unsigned faults = (m->page_step[pg] & STEP_FAULTS) + 1u;
	if (faults > STEP_FAULTS_MAX)
		faults = STEP_FAULTS_MAX;
	bool watch = new_line && faults < STEP_FAULTS_MAX;
	int open = shim_dirty_prot(m, page, m->prot);
	uint8_t now = SHIM_PAGE_DIRTY;
	bool step = false;
	uint8_t *alias = __atomic_load_n(&m->alias, __ATOMIC_ACQUIRE);
	if (watch && alias != NULL && (open & PROT_WRITE) &&
			shim_step_free(uc) && shim_dirty_run_store(uc,
				(uintptr_t)addr, page, (uintptr_t)alias +
				(page - m->base))) {
		now = SHIM_PAGE_WATCHED; /* as step_done leaves it; read-only
		                            still: no mprotect, no trap */
		*ran = true;
	} else {
		if (REAL(mprotect)((void *)page, SHIM_PAGE_LEN, open) != 0)
			handler_die("pmemu: error: cannot unprotect a view "
				"page (too many mappings? see "
				"vm.max_map_count)\n");
		step = watch && shim_step_arm(uc, page);
	}
	m->page_step[pg] = (uint8_t)(faults | (step ? STEP_ON : 0) |
		(m->page_step[pg] & (STEP_SEQUENTIAL | STEP_GROUP |
			STEP_AHEAD)));
	__atomic_store_n(st, now, __ATOMIC_RELEASE);
	if (was == SHIM_PAGE_CLEAN) /* a WATCHED page is queued already */
		shim_dirty_ring_push(page);
	shim_dirty_my_busy = NULL;
	__atomic_sub_fetch(&shim_dirty_handlers_open, 1, __ATOMIC_ACQ_REL);
	return true;
}

/*
 * A store run here leaves its page read-only: the next store to another
 * line of it faults again, a signal each (memcpy's loop stores four
 * lines in a row: 8 faults a cold page, 2,048 for the first copy of
 * 1 MiB). So when the instruction after it is a plain store
 * (insn_store_next: within one line, no #GP) its fault is taken here
 * and now, by the same code, with the address the processor would give:
 * on a page protected still (this one, watched, or a clean one of a
 * view) the same line is named by the same site (the same registers, pc
 * past the store), the store run or not, stepped or not, as if it had
 * faulted. A store that would not fault to this handler (not to a view,
 * to a page open already, poisoned, made read-only by the program) is
 * left to run, and fault, as before. At most NEXT_STORES_MAX a signal.
 */
bool
shim_dirty_fault(void *addr, ucontext_t *uc)
{
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	uintptr_t next;
	bool ran;
	if (!fault_once(addr, uc, false, &ran))
		return false;
	for (unsigned n = 0; n < NEXT_STORES_MAX && ran &&
			shim_dirty_next_store(uc, pc, &next); n++) {
		pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
		if (!fault_once((void *)next, uc, true, &ran))
			break;
	}
	return true;
}

/*
 * step_done -- the stepped store ran: protect its page again, unless
 * someone holds it (a settle, a flush, a handler of another thread) or
 * stepping stopped meanwhile; either way the page stays writable and its
 * later stores are found by diffing, as guesses
 */
static void
step_done(uintptr_t page)
{
	struct shim_mapping *m = (struct shim_mapping *)
		shim_mapping_lookup((void *)page);
	if (m == NULL || !m->tracked)
		return;
	size_t pg = (page - m->base) / SHIM_PAGE_LEN;
	uint8_t *st = &m->page_state[pg];
	uint8_t s = SHIM_PAGE_DIRTY;
	if (!__atomic_compare_exchange_n(st, &s, SHIM_PAGE_BUSY, false,
			__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	/* held as a fault handler holds it: a program's signal handler
	 * that interrupts this one and flushes the page does not wait */
	__atomic_add_fetch(&shim_dirty_handlers_open, 1, __ATOMIC_ACQ_REL);
	uint8_t *outer = shim_dirty_my_busy;
	shim_dirty_my_busy = st;
	if ((m->page_step[pg] & STEP_ON) && REAL(mprotect)((void *)page,
			SHIM_PAGE_LEN, shim_dirty_prot(m, page,
				m->prot & ~PROT_WRITE)) == 0)
		s = SHIM_PAGE_WATCHED;
	m->page_step[pg] &= (uint8_t)~STEP_ON;
	__atomic_store_n(st, s, __ATOMIC_RELEASE);
	shim_dirty_my_busy = outer;
	__atomic_sub_fetch(&shim_dirty_handlers_open, 1, __ATOMIC_ACQ_REL);
}

bool
shim_dirty_step_trap(siginfo_t *si, ucontext_t *uc)
{
	uintptr_t pages[SHIM_STEP_PAGES];
	bool program = false;
	size_t n = shim_step_take(si, uc, pages, &program);
	for (size_t i = 0; i < n; i++)
		step_done(pages[i]);
	return n > 0 && !program;
}

/* pages_in_file -- m's pages that the file covers whole (a copy of a
 * page past its end would raise SIGBUS) */
static size_t
pages_in_file(const struct shim_mapping *m)
{
	uint64_t flen = m->region->len;
	uint64_t in_map = flen > m->file_off ? flen - m->file_off : 0;
	return (in_map < m->len ? in_map : m->len) / SHIM_PAGE_LEN;
}

/*
 * A sequential writer (bench_store.c over a 1 GiB pool: a store, a
 * flush and a fence per line) paid a write fault, a signal and an
 * mprotect to open each page, and an mprotect to protect it again once
 * it cooled down (docs/performance.md, "The next page opened at the
 * flush"). When the last line of a page opened in sequence is found
 * changed by a flush, the page after it is opened there, as its fault
 * would open it: twin, hot, queued, writable. The signal is saved; the
 * mprotect is made here instead. Its stores are found by the compare at
 * the flushes and fences, as those of any hot page; their sites are
 * guesses named by the fault site of the page below (the loop's store),
 * or by a flush that covered them. A page opened so that the writer
 * never stores to cools down after HOT_QUIET_MAX fences, as any hot page.
 * A fast writer that reaches a group's first page has the whole group
 * opened in one mprotect (shim_dirty_impl.h, "Groups").
 */

/* take_clean -- page pg of m held (BUSY) to be opened, if it is clean
 * and not poisoned */
static bool
take_clean(struct shim_mapping *m, size_t pg)
{
	uintptr_t page = m->base + pg * SHIM_PAGE_LEN;
	if (shim_dirty_prot(m, page, m->prot) != m->prot)
		return false; /* poisoned: PROT_NONE, not to be read */
	/* open already (a run of hot pages, each flushed): no locked
	 * compare-and-swap, which waits for the flush's twin stores. Under
	 * shim_lock no page goes from DIRTY, WATCHED or GONE to CLEAN */
	if (__atomic_load_n(&m->page_state[pg], __ATOMIC_ACQUIRE) >
			SHIM_PAGE_BUSY)
		return false;
	uint8_t s = SHIM_PAGE_CLEAN;
	return __atomic_compare_exchange_n(&m->page_state[pg], &s,
		SHIM_PAGE_BUSY, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

void
shim_dirty_open_next(struct shim_mapping *m, size_t pg)
{
	size_t next = pg + 1, in_file = pages_in_file(m);
	if (!m->tracked || !(m->prot & PROT_READ) ||
			!(m->page_step[pg] & STEP_SEQUENTIAL) ||
			m->region->line_len > SHIM_PAGE_LEN ||
			next >= in_file)
		return;
	size_t want = shim_dirty_group_fast(m, pg, __atomic_load_n(
		&shim_dirty_settle_epoch, __ATOMIC_RELAXED)) ? PAGE_GROUP : 1;
	size_t n = 0;
	if (want > in_file - next)
		want = in_file - next;
	while (n < want && take_clean(m, next + n))
		n++; /* open already, held (a fault waits), gone: not taken */
	if (n == 0)
		return;
	uintptr_t page = m->base + next * SHIM_PAGE_LEN;
	/* the pages after them mapped in batches: no read fault each at
	 * its twin's copy (shim_populate.h) */
	for (size_t i = 0; i < n; i++)
		shim_populate_touch(&m->view_ahead, page + i * SHIM_PAGE_LEN,
			m->base, m->base + in_file * SHIM_PAGE_LEN);
	uint8_t group = n > 1 ? STEP_GROUP | STEP_AHEAD | STEP_SEQUENTIAL : 0;
	for (size_t i = 0; i < n; i++) {
		(void)open_page(m, next + i, page + i * SHIM_PAGE_LEN,
			m->page_site[pg]);
		m->page_lines[next + i] = 0; /* no store seen: sites guessed */
		m->page_step[next + i] |= STEP_FAULTS_MAX | group; /* no step */
		if (group)
			m->page_heat[next + i] |= HOT_FAULTS;
	}
	bool open = REAL(mprotect)((void *)page, n * SHIM_PAGE_LEN, m->prot) == 0;
	for (size_t i = 0; i < n; i++) {
		if (open) {
			__atomic_store_n(&m->page_state[next + i],
				SHIM_PAGE_DIRTY, __ATOMIC_RELEASE);
			shim_dirty_ring_push(page + i * SHIM_PAGE_LEN);
		} else { /* protected still: its fault opens it */
			m->page_step[next + i] = 0;
			shim_dirty_twin_drop(m, next + i);
			__atomic_store_n(&m->page_state[next + i],
				SHIM_PAGE_CLEAN, __ATOMIC_RELEASE);
		}
	}
}

/*
 * open_for_kernel -- page pg of m made writable for a write that cannot
 * fault to us (the kernel's copy into a read() buffer: it would fail
 * with EFAULT), not stepped; its lines in [lo, hi) take `site` as their
 * last known (lock held). A page the program made read-only stays so:
 * the kernel's copy fails with EFAULT, as without pmemu.
 */
static void
open_for_kernel(struct shim_mapping *m, size_t pg, uintptr_t lo,
		uintptr_t hi, uint32_t site)
{
	uint8_t *st = &m->page_state[pg];
	uint8_t was;
	if (!(shim_prog_prot(m, m->base + pg * SHIM_PAGE_LEN) & PROT_WRITE))
		return;
	for (;;) {
		was = __atomic_load_n(st, __ATOMIC_ACQUIRE);
		if (was == SHIM_PAGE_GONE)
			return;
		if (was == SHIM_PAGE_BUSY) {
			sched_yield(); /* a handler of another thread */
			continue;
		}
		if (__atomic_compare_exchange_n(st, &was, SHIM_PAGE_BUSY,
				false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
	}
	uintptr_t page = m->base + pg * SHIM_PAGE_LEN;
	if (was == SHIM_PAGE_CLEAN) {
		(void)open_page(m, pg, lo, site);
		m->page_lines[pg] = 0; /* no store seen: the copy may be short */
	}
	m->page_step[pg] = STEP_FAULTS_MAX; /* a pending step: no effect */
	uint32_t line = m->region->line_len;
	for (uintptr_t a = lo - (lo - m->base) % line; a < hi; a += line)
		m->line_site[(a - m->base) / line] = site;
	if (was != SHIM_PAGE_DIRTY && REAL(mprotect)((void *)page,
			SHIM_PAGE_LEN, shim_dirty_prot(m, page, m->prot)) != 0)
		handler_die("pmemu: error: cannot unprotect a view page "
			"(too many mappings? see vm.max_map_count)\n");
	__atomic_store_n(st, SHIM_PAGE_DIRTY, __ATOMIC_RELEASE);
	if (was == SHIM_PAGE_CLEAN)
		shim_dirty_ring_push(page);
}

void
shim_dirty_open_for_kernel(struct shim_mapping *m, uintptr_t lo,
		uintptr_t hi, uint32_t site)
{
	if (!m->tracked)
		return;
	lo = lo < m->base ? m->base : lo;
	hi = hi > m->base + m->len ? m->base + m->len : hi;
	for (uintptr_t a = lo; a < hi;) {
		size_t pg = (a - m->base) / SHIM_PAGE_LEN;
		uintptr_t end = m->base + (pg + 1) * SHIM_PAGE_LEN;
		end = end < hi ? end : hi;
		open_for_kernel(m, pg, a, end, site);
		a = end;
	}
}
