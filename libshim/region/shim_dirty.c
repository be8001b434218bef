/*
 * shim_dirty.c -- page-protection dirty tracking: the flushes and the
 * settling of dirty pages (under shim_lock); the signal handlers' part
 * is shim_dirty_fault.c
 *
 * Page states go CLEAN or WATCHED -> BUSY -> DIRTY in the fault handler
 * (CLEAN -> BUSY -> DIRTY at a flush too, for a sequential writer's next
 * page: shim_dirty_open_next), DIRTY -> BUSY -> WATCHED in the trap
 * after a stepped store, DIRTY or WATCHED -> BUSY -> CLEAN when
 * settled, and are held BUSY while a flush diffs their lines; BUSY makes
 * the other side wait, so a twin is never copied while it is being
 * diffed or dropped. The fault handler queues
 * each page it opens on a ring (shim_dirty_ring.c) that the next settle
 * drains.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "real.h"
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_dirty_cmp.h"
#include "shim_dirty_impl.h"
#include "shim_emit.h"
#include "shim_line_site.h"
#include "shim_prog_prot.h"
#include "shim_site.h"
#include "shim_view.h"

uint32_t shim_dirty_settle_epoch; /* settles of the ring */
__thread uint8_t *shim_dirty_my_busy
	__attribute__((tls_model("initial-exec")));

/*
 * page_opened -- the page's state once no fault handler holds it. Under
 * shim_lock a BUSY page is a handler's on another thread (settles hold
 * the lock): it makes the page writable before it marks it DIRTY, so a
 * store of a third thread may already be in the page. A flush or settle
 * that skipped it would miss that store and call its flush redundant.
 */
static uint8_t
page_opened(const struct shim_mapping *m, size_t pg)
{
	uint8_t s;
	while ((s = __atomic_load_n(&m->page_state[pg], __ATOMIC_ACQUIRE)) ==
			SHIM_PAGE_BUSY && shim_dirty_my_busy != &m->page_state[pg])
		sched_yield(); /* a handler: memcpy and mprotect, no lock */
	return s;
}

/*
 * page_hold -- the page's state, held (BUSY) when it has a twin, so that
 * no fault or step handler changes its line sites or protection while
 * its lines are diffed (lock held); page_release gives it back
 */
static uint8_t
page_hold(struct shim_mapping *m, size_t pg)
{
	for (;;) {
		uint8_t s = page_opened(m, pg);
		if (!shim_page_has_twin(s) || __atomic_compare_exchange_n(
				&m->page_state[pg], &s, SHIM_PAGE_BUSY, false,
				__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return s;
	}
}

static void
page_release(struct shim_mapping *m, size_t pg, uint8_t s)
{
	__atomic_store_n(&m->page_state[pg], s, __ATOMIC_RELEASE);
}

/* view_end -- where the view's file data ends in m (no SIGBUS past it) */
static uintptr_t
view_end(const struct shim_mapping *m)
{
	uint64_t flen = m->region->len;
	uint64_t in_map = flen > m->file_off ? flen - m->file_off : 0;
	return m->base + (in_map < m->len ? in_map : m->len);
}

/* the site of the flush whose lines are being diffed, 0 for a settle
 * (lock held) */
static uint32_t flush_evidence;

/* the line whose STORE diff_line is emitting (lock held) */
static struct diffed_line {
	uint32_t region;
	uint64_t off, len;
	const uint8_t *view, *twin;
} diffing;

bool
shim_dirty_diffed_line(const struct model_event *ev, const uint8_t **view,
		const uint8_t **twin)
{
	if (diffing.view == NULL || ev->region != diffing.region ||
			ev->off != diffing.off || ev->len != diffing.len)
		return false;
	*view = diffing.view;
	*twin = diffing.twin;
	return true;
}

/* diff_line -- shim_emit_changed_line of line a, its site as
 * shim_line_site_of says, the line and its twin known meanwhile to the
 * transaction check; with `refresh` the twin takes the new content */
static void
diff_line(struct shim_mapping *m, uintptr_t a, size_t n, bool refresh)
{
	bool exact;
	uint32_t site = shim_line_site_of(m, a, flush_evidence, &exact);
	diffing = (struct diffed_line){ m->region->id,
		m->file_off + (a - m->base), n, (const uint8_t *)a,
		shim_dirty_twin(m, a) };
	shim_emit_changed_line(m, a, n, site, exact);
	diffing.view = NULL; /* no event but this one's (lock held) */
	if (refresh)
		memcpy(shim_dirty_twin(m, a), (void *)a, n);
}

/* diff_page -- diff_lines of the whole page at `page` (within the view's
 * data): one pass finds its changed 64-byte chunks (shim_dirty_cmp.c,
 * the common case of a hot page at a fence: none), then each line that
 * holds one is diffed, in address order */
static bool
diff_page(struct shim_mapping *m, uintptr_t page, bool refresh)
{
	uint64_t changed = shim_page_changed((const uint8_t *)page,
			shim_dirty_twin(m, page));
	uint32_t line = m->region->line_len; /* 64..4096, a power of two */
	uint32_t k = line / SHIM_CMP_CHUNK;   /* chunks a line */
	uint64_t whole = k == 64 ? ~(uint64_t)0 : ((uint64_t)1 << k) - 1;
	bool any = changed != 0;
	while (changed) {
		unsigned first = (unsigned)__builtin_ctzll(changed) / k * k;
		diff_line(m, page + first * SHIM_CMP_CHUNK, line, refresh);
		changed &= ~(whole << first);
	}
	return any;
}

/* diff_lines -- a STORE for every line of [lo, hi) that differs from the
 * twin; with `refresh` the twin takes the new content (a snapshot) */
static bool
diff_lines(struct shim_mapping *m, uintptr_t lo, uintptr_t hi, bool refresh)
{
	bool changed = false;
	uint32_t line = m->region->line_len;
	uintptr_t end = view_end(m);
	if (hi > end)
		hi = end;
	if (hi > lo && hi - lo == SHIM_PAGE_LEN &&
			(lo - m->base) % SHIM_PAGE_LEN == 0)
		return diff_page(m, lo, refresh);
	for (uintptr_t a = lo; a < hi; a += line) {
		size_t n = hi - a < line ? hi - a : line;
		if (shim_line_same((const uint8_t *)a,
				shim_dirty_twin(m, a), n))
			continue;
		changed = true;
		diff_line(m, a, n, refresh);
	}
	return changed;
}

/*
 * alias -- calls fn for [lo, hi) of m and for the same bytes of the file in
 * every other mapping of it: a file mapped twice has one set of lines
 * (MODEL.md), so a store seen through one mapping's twin must be diffed
 * when a line is flushed, settled or traced through the other (lock held)
 */
struct alias_ctx {
	const struct shim_mapping *m;
	uint64_t off, end;         /* the file bytes */
	void (*fn)(struct shim_mapping *m, uintptr_t lo, uintptr_t hi);
};

static void
alias_one(struct shim_mapping *m, void *ctx)
{
	const struct alias_ctx *c = ctx;
	if (m == c->m || m->region != c->m->region)
		return;
	uint64_t lo = c->off > m->file_off ? c->off : m->file_off;
	uint64_t hi = c->end < m->file_off + m->len ? c->end :
		m->file_off + m->len;
	if (lo < hi)
		c->fn(m, m->base + (lo - m->file_off),
			m->base + (hi - m->file_off));
}

static void
alias(struct shim_mapping *m, uintptr_t lo, uintptr_t hi,
		void (*fn)(struct shim_mapping *m, uintptr_t lo, uintptr_t hi))
{
	fn(m, lo, hi);
	if (m->region->nmappings < 2)
		return;
	struct alias_ctx c = { m, m->file_off + (lo - m->base),
		m->file_off + (hi - m->base), fn };
	shim_mapping_for_each(alias_one, &c);
}

/*
 * flush_page_lines -- the lines at [lo, hi), all in page pg, held: a
 * STORE for each that differs from the twin (twin refreshed), one of the
 * same value for each that does not (within the view's data); a whole
 * page's changed lines found in one pass (shim_page_changed). Whether
 * the page's last line changed, or was flushed while the page had a
 * store since the last fence.
 */
static bool
flush_page_lines(struct shim_mapping *m, size_t pg, uintptr_t lo,
		uintptr_t hi)
{
	uint32_t line = m->region->line_len;
	uintptr_t page = m->base + pg * SHIM_PAGE_LEN;
	uint64_t changed = 0; /* by 64-byte chunk, when the page is whole */
	bool whole = lo == page && hi == page + SHIM_PAGE_LEN &&
		hi <= view_end(m);
	if (whole && shim_batch_on) {
		changed = shim_dirty_flush_held(m, pg, page, flush_evidence);
		if (changed != 0)
			m->page_heat[pg] |= HEAT_TOUCHED;
		return (changed >> (SHIM_PAGE_LEN / line - 1)) & 1;
	}
	if (whole)
		changed = shim_page_changed((const uint8_t *)page,
				shim_dirty_twin(m, page));
	bool last_changed = false;
	for (uintptr_t a = lo; a < hi; a += line) {
		bool diff;
		if (whole) {
			uint64_t chunks = line >= 4096 ? ~(uint64_t)0 :
				(((uint64_t)1 << (line / SHIM_CMP_CHUNK)) - 1) <<
				((a - page) / SHIM_CMP_CHUNK);
			diff = (changed & chunks) != 0;
			if (diff)
				diff_line(m, a, line, true);
		} else {
			diff = diff_lines(m, a, a + line, true);
		}
		if (diff) {
			m->page_heat[pg] |= HEAT_TOUCHED;
		} else if (a < view_end(m)) {
			shim_emit_same_value(m, a, line, m->page_site[pg]);
		}
		/* or stored by a traced store (the plugin build's: in the
		 * twin already), as far as the page says */
		last_changed = diff || (m->page_heat[pg] & HEAT_TOUCHED);
	}
	return last_changed && hi == page + SHIM_PAGE_LEN;
}

static void
flush_lines_one(struct shim_mapping *m, uintptr_t lo, uintptr_t hi)
{
	if (!m->tracked)
		return;
	lo = m->base + shim_line_floor(m->region, lo - m->base);
	while (lo < hi) {
		size_t pg = (lo - m->base) / SHIM_PAGE_LEN;
		uintptr_t page_end = m->base + (pg + 1) * SHIM_PAGE_LEN;
		uintptr_t to = hi < page_end ? hi : page_end;
		uintptr_t line = m->region->line_len; /* a power of two */
		to = (to + line - 1) & ~(line - 1); /* whole lines (base: a page) */
		uint8_t s = page_hold(m, pg);
		if (shim_page_has_twin(s)) {
			bool last = flush_page_lines(m, pg, lo, to);
			page_release(m, pg, s);
			if (last) /* the page's last line */
				shim_dirty_last_line_flushed(m, pg);
		}
		lo = to;
	}
}

void
shim_dirty_flush_lines(struct shim_mapping *m, uintptr_t lo, uintptr_t hi,
		uint32_t site)
{
	flush_evidence = site;
	shim_dirty_held_forget();
	alias(m, lo, hi, flush_lines_one);
	flush_evidence = 0;
}

/* the bytes a traced store wrote, from the file offset traced_off; NULL:
 * read them from the view (lock held) */
static const uint8_t *traced_data;
static uint64_t traced_off;

static void
traced_one(struct shim_mapping *m, uintptr_t lo, uintptr_t hi)
{
	if (!m->tracked)
		return;
	for (uintptr_t a = lo; a < hi;) {
		size_t pg = (a - m->base) / SHIM_PAGE_LEN;
		uintptr_t pend = m->base + (pg + 1) * SHIM_PAGE_LEN;
		uintptr_t e = hi < pend ? hi : pend;
		const void *src = traced_data == NULL ? (const void *)a :
			traced_data + (m->file_off + (a - m->base) -
					traced_off);
		if (shim_page_has_twin(__atomic_load_n(&m->page_state[pg],
				__ATOMIC_ACQUIRE))) {
			shim_copy_small(shim_dirty_twin(m, a), src, e - a);
			/* a store, as a flush that finds one: the page stays
			 * hot. Its bytes are in the twin before any compare,
			 * so a page the plugin build (or libpmem's copies)
			 * writes looked quiet, cooled and faulted again at its
			 * next store: twice the plain build's faults */
			m->page_heat[pg] |= HEAT_TOUCHED;
		}
		a = e;
	}
}

void
shim_dirty_traced(struct shim_mapping *m, uintptr_t lo, uintptr_t hi)
{
	alias(m, lo, hi, traced_one);
}

void
shim_dirty_traced_bytes(struct shim_mapping *m, uintptr_t lo, uintptr_t hi,
		const void *data)
{
	traced_data = data;
	traced_off = m->file_off + (lo - m->base);
	alias(m, lo, hi, traced_one);
	traced_data = NULL;
}

/* keep_open -- page pg (held, diffed) stays open with this heat:
 * writable, or stepped (its next faults name their lines until its
 * faults run out), and queued to be settled next time */
static void
keep_open(struct shim_mapping *m, size_t pg, uint8_t heat, uint8_t s)
{
	m->page_heat[pg] = heat;
	m->page_lines[pg] = 0; /* each line's next store: a fault or unseen */
	page_release(m, pg, s);
	shim_dirty_ring_push(m->base + pg * SHIM_PAGE_LEN);
}

/*
 * stay_hot -- a hot page at a fence (held): diff it (the event source),
 * refresh its twin, keep it open (writable, or stepped: its next faults
 * name their lines until its faults run out) and queued. The later
 * stores of a writable one keep the site of its last fault
 * (docs/shim.md). False when it has been quiet for HOT_QUIET_MAX units:
 * protect it again. A page that cooled down before and faulted again is
 * hot at once and waits twice as long per level (a transaction that
 * writes a page once every few fences keeps it hot), unless the fault
 * came later than the longer wait would have covered (cooled_long_ago,
 * shim_dirty_fault.c: a pass over a big pool); so is a page first
 * written while the page below it is hot (a sequential writer: no second
 * fault per page).
 */
static bool
stay_hot(struct shim_mapping *m, size_t pg, uint8_t heat, uint8_t s)
{
	uintptr_t page = m->base + pg * SHIM_PAGE_LEN;
	bool changed = !shim_dirty_held_fresh(m, pg) &&
		diff_lines(m, page, page + SHIM_PAGE_LEN, true);
	unsigned level = (heat & HEAT_LEVEL) >> 2;
	unsigned quiet = (heat & HEAT_QUIET) >> 4;
	uint32_t now = shim_dirty_settle_epoch;
	if (changed || (heat & HEAT_TOUCHED)) {
		quiet = 0;
		m->page_step[pg] &= (uint8_t)~STEP_AHEAD;
	} else if ((m->page_step[pg] & STEP_AHEAD) &&
			!shim_dirty_group_late(m, pg, now)) {
		quiet = 0; /* opened ahead of the writer, not reached yet */
	} else if ((now & ((1u << level) - 1)) == 0) {
		quiet++;
	}
	if (quiet >= HOT_QUIET_MAX)
		return false;
	keep_open(m, pg, (uint8_t)((heat & (HEAT_FAULTS | HEAT_LEVEL)) |
		(quiet << 4)), s);
	return true;
}

/* group_waits -- page pg of a group, cooled down (held, writable),
 * stays open until the group's last page cools down (shim_dirty_group.c);
 * its quiet count says it waits */
static bool
group_waits(struct shim_mapping *m, size_t pg, uint8_t heat, uint8_t s)
{
	if (!shim_dirty_group_waits(m, pg, s, shim_dirty_settle_epoch))
		return false;
	keep_open(m, pg, (uint8_t)((heat & (HEAT_FAULTS | HEAT_LEVEL)) |
		HEAT_QUIET), s);
	return true;
}

/* group_below -- the first page of the run of pages below pg, in its
 * group, that wait for it (group_waits), each held; pg if none */
static size_t
group_below(struct shim_mapping *m, size_t pg)
{
	size_t first = pg;
	while (first % PAGE_GROUP != 0 &&
			(m->page_heat[first - 1] & HEAT_QUIET) == HEAT_QUIET) {
		uint8_t s = page_hold(m, first - 1);
		if (s != SHIM_PAGE_DIRTY) {
			if (shim_page_has_twin(s))
				page_release(m, first - 1, s);
			break;
		}
		first--;
	}
	return first;
}

/* cooled_heat -- the heat page pg keeps when it cools down: the next
 * fault makes it hot again, longer */
static uint8_t
cooled_heat(struct shim_mapping *m, size_t pg, uint8_t heat)
{
	unsigned level = (heat & HEAT_LEVEL) >> 2;
	if (level > 0) /* a cycle: it will fault again */
		shim_dirty_vma_own(m, pg);
	if (level < HOT_LEVEL_MAX)
		level++;
	m->page_cooled[pg] = shim_dirty_settle_epoch;
	return (uint8_t)(HOT_FAULTS | (level << 2));
}

/* close_page -- page pg (held, read-only now): its last stores found,
 * its twin dropped, clean, keeping heat `keep`; `reprotect`: made
 * readable for the diff only, the program's protection again after it */
static void
close_page(struct shim_mapping *m, size_t pg, uint8_t keep, bool reprotect)
{
	uintptr_t page = m->base + pg * SHIM_PAGE_LEN;
	(void)diff_lines(m, page, page + SHIM_PAGE_LEN, false);
	if (reprotect)
		REAL(mprotect)((void *)page, SHIM_PAGE_LEN, shim_dirty_prot(m,
			page, m->prot & ~PROT_WRITE));
	shim_line_site_forget(m, pg);
	m->page_heat[pg] = keep;
	m->page_step[pg] = 0;
	shim_dirty_twin_drop(m, pg); /* when a batch is full */
	page_release(m, pg, SHIM_PAGE_CLEAN);
}

/*
 * settle_page -- diff a dirty or stepped page, protect it again, drop
 * its twin; a hot page (HOT_FAULTS faults) stays writable while it keeps
 * being written (stay_hot). With `cold`, every page is protected again
 * (msync, munmap, exit).
 */
static void
settle_page(struct shim_mapping *m, size_t pg, bool cold)
{
	uintptr_t page = m->base + pg * SHIM_PAGE_LEN;
	uint8_t s = page_hold(m, pg);
	if (!shim_page_has_twin(s))
		return;
	uint8_t heat = m->page_heat[pg];
	uint8_t keep = heat & (HEAT_FAULTS | HEAT_LEVEL);
	size_t first = pg;
	int prog = shim_prog_prot(m, page);
	if (!cold && (heat & HEAT_FAULTS) >= HOT_FAULTS &&
			(prog & PROT_WRITE)) {
		if (stay_hot(m, pg, heat, s) || group_waits(m, pg, heat, s))
			return;
		keep = cooled_heat(m, pg, heat);
		if (s == SHIM_PAGE_DIRTY)
			first = group_below(m, pg);
	}
	/* read-only first: a store racing with the diff faults and waits;
	 * a page the program made PROT_NONE while it was open (its
	 * mprotect raced with a fault) is read for the diff, then closed */
	if (!(prog & PROT_READ)) {
		REAL(mprotect)((void *)page, SHIM_PAGE_LEN,
			shim_dirty_readable_prot(m, page));
		close_page(m, pg, keep, true);
		return;
	}
	if (s == SHIM_PAGE_DIRTY)
		shim_dirty_group_protect(m, first, pg);
	for (size_t q = first; q < pg; q++) /* waited for pg: cool too */
		close_page(m, q, cooled_heat(m, q, m->page_heat[q]), false);
	close_page(m, pg, keep, false);
}

static void
settle_range_one(struct shim_mapping *m, uintptr_t lo, uintptr_t hi)
{
	if (!m->tracked)
		return;
	if (lo < m->base)
		lo = m->base;
	if (hi > m->base + m->len)
		hi = m->base + m->len;
	for (uintptr_t a = lo - (lo - m->base) % SHIM_PAGE_LEN; a < hi;
			a += SHIM_PAGE_LEN)
		settle_page(m, (a - m->base) / SHIM_PAGE_LEN, true);
}

void
shim_dirty_settle_range(struct shim_mapping *m, uintptr_t lo, uintptr_t hi)
{
	alias(m, lo, hi, settle_range_one);
}

static void
settle_whole(struct shim_mapping *m, void *ctx)
{
	(void)ctx;
	shim_dirty_settle_range(m, m->base, m->base + m->len);
}

/* settle_queued -- the page at `page`, if a tracked mapping still has it */
static void
settle_queued(uintptr_t page)
{
	struct shim_mapping *m = (struct shim_mapping *)
		shim_mapping_lookup((void *)page);
	if (m != NULL && m->tracked)
		settle_page(m, (page - m->base) / SHIM_PAGE_LEN, false);
}

void
shim_dirty_settle_all(void)
{
	/* a page being opened is queued next: its stores come before the
	 * fence or crash point that settles now */
	while (__atomic_load_n(&shim_dirty_handlers_open, __ATOMIC_ACQUIRE) >
			(shim_dirty_my_busy != NULL))
		sched_yield();
	if (shim_dirty_ring_overflowed())
		shim_mapping_for_each(settle_whole, NULL);
	__atomic_store_n(&shim_dirty_settle_epoch, shim_dirty_settle_epoch + 1,
		__ATOMIC_RELAXED);
	shim_dirty_ring_drain(settle_queued);
	shim_dirty_held_forget();
}
