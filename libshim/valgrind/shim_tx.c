/*
 * shim_tx.c -- pmemcheck's transactions (stores not added to them) and
 * clean ranges (SET_CLEAN), declared by client requests
 *
 * Ranges are kept in region space ({region, file offsets}): ADD_TO_TX
 * gives program addresses, the model's store events give offsets. A store
 * seen while a transaction is open is narrowed to the bytes it changed
 * (untraced: against the page's twin, which still holds the content of
 * the last snapshot while the store is emitted, shim_dirty.c) and kept
 * when no range covers it; END_TX judges what is kept against every range
 * added during the transaction (docs/client-requests.md explains why
 * "during", not "before"). Called from the SIGTRAP handler of a patched
 * request, outside the shim (shim_depth 0): the functions take shim_lock.
 */
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "real.h"
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_line_site.h"
#include "shim_region.h"
#include "shim_site.h"
#include "shim_tx.h"
#include "shim_tx_impl.h"

#define TX_THREADS 64      /* threads with a transaction open at once */
#define TX_RANGES 2048     /* ranges added to one transaction */
#define TX_STORES 1024     /* uncovered stores kept for END_TX */
#define TX_IGNORES 4096    /* global ignore ranges */

struct tx_store {
	struct tx_range at;
	uint32_t site;
	bool untraced;         /* site: the page's first store (a guess) */
};

struct tx_slot {
	unsigned depth;        /* START_TX nesting */
	size_t nranges, nstores;
	bool overflow;         /* a table filled up: judge nothing */
	struct tx_range ranges[TX_RANGES];
	struct tx_store stores[TX_STORES];
};

struct tx_tables {
	/* slot i's thread, 0: free; apart from the slots (80 KiB each) so
	 * that finding a thread's slot reads one 256-byte array, not a line
	 * of every slot (each request and each store event in a
	 * transaction looks it up) */
	uint32_t tid[TX_THREADS];
	struct tx_slot slots[TX_THREADS];
	size_t nignores;
	bool ignores_full;
	struct tx_range ignores[TX_IGNORES];
};

atomic_uint shim_tx_open_count;
static struct tx_tables *tables;   /* under shim_lock */

/* tables_get -- mapped on first use (lazily backed: NORESERVE) */
static struct tx_tables *
tables_get(void)
{
	if (tables != NULL)
		return tables;
	void *p = REAL(mmap)(NULL, sizeof(*tables), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		shim_fatal("out of memory for transaction tables");
	tables = p;
	return tables;
}

/* slot_of -- the open transaction of thread tid, or NULL (tid 0: the
 * first free slot); the slot found last is tried first: one thread's
 * requests and store events look theirs up again and again, and with no
 * transaction open (each START_TX asks) there is nothing to search */
static struct tx_slot *
slot_of(uint32_t tid)
{
	static size_t last; /* under shim_lock */
	struct tx_tables *t = tables_get();
	if (tid != 0 && t->tid[last] == tid)
		return &t->slots[last];
	if (tid != 0 && atomic_load_explicit(&shim_tx_open_count,
			memory_order_relaxed) == 0)
		return NULL;
	for (size_t i = 0; i < TX_THREADS; i++)
		if (t->tid[i] == tid) {
			last = tid != 0 ? i : last;
			return &t->slots[i];
		}
	return NULL;
}

/* only_open_slot -- the one open transaction, or NULL (none, several) */
static struct tx_slot *
only_open_slot(void)
{
	struct tx_slot *found = NULL;
	for (size_t i = 0; i < TX_THREADS; i++) {
		if (tables->tid[i] == 0)
			continue;
		if (found != NULL)
			return NULL;
		found = &tables->slots[i];
	}
	return found;
}

/* range_push -- append r to a table; false when it is full */
static bool
range_push(struct tx_range *table, size_t *n, size_t max,
		const struct tx_range *r)
{
	if (*n > 0) { /* libpmemobj adds neighbours: grow the last one */
		struct tx_range *last = &table[*n - 1];
		if (last->region == r->region && r->lo <= last->hi &&
				r->hi >= last->lo) {
			last->lo = r->lo < last->lo ? r->lo : last->lo;
			last->hi = r->hi > last->hi ? r->hi : last->hi;
			return true;
		}
	}
	if (*n == max)
		return false;
	table[(*n)++] = *r;
	return true;
}

/* covered_by_tx -- every byte of s lies in the slot's or the ignores */
static bool
covered_by_tx(const struct tx_slot *slot, const struct tx_range *s)
{
	uint64_t lo = s->lo, hi = s->hi;
	for (;;) {
		uint64_t before = lo;
		if (!tx_uncovered(slot->ranges, slot->nranges, s->region, &lo,
				&hi))
			return true;
		if (!tx_uncovered(tables->ignores, tables->nignores, s->region,
				&lo, &hi))
			return true;
		if (!tx_not_pmem_uncovered(s->region, &lo, &hi))
			return true;
		if (lo == before)
			return false;
	}
}

static void
add_piece(const struct tx_range *r, void *ctx)
{
	struct tx_slot *slot = ctx;
	if (!range_push(slot->ranges, &slot->nranges, TX_RANGES, r))
		slot->overflow = true;
}

static void
ignore_piece(struct shim_mapping *m, uintptr_t lo, uintptr_t hi,
		const struct tx_range *r, void *ctx)
{
	(void)m, (void)lo, (void)hi, (void)ctx;
	if (!range_push(tables->ignores, &tables->nignores, TX_IGNORES, r))
		tables->ignores_full = true;
}

void
shim_tx_start(void)
{
	shim_lock();
	struct tx_slot *slot = slot_of(shim_tid());
	if (slot == NULL) {
		/* stores made before it are not the transaction's */
		shim_dirty_settle_all();
		slot = slot_of(0);
		if (slot == NULL) { /* more threads in transactions: unjudged */
			shim_unlock();
			return;
		}
		memset(slot, 0, offsetof(struct tx_slot, ranges));
		tables->tid[slot - tables->slots] = shim_tid();
		atomic_fetch_add(&shim_tx_open_count, 1);
	}
	slot->depth++;
	shim_unlock();
}

/* ---- stores made before their TX_ADD ---- */

/*
 * changed_run -- the next run [*lo, *hi) of bytes where view differs
 * from twin, searched from *hi (0 at first) up to n; false when there is
 * none. Equal bytes are skipped a word at a time: an added range is
 * mostly unchanged (libpmemobj adds before it stores), a line's changed
 * run is short.
 */
static bool
changed_run(const uint8_t *view, const uint8_t *twin, size_t n, size_t *lo,
		size_t *hi)
{
	size_t i = *hi;
	for (; i + sizeof(uint64_t) <= n; i += sizeof(uint64_t)) {
		uint64_t x, y;
		memcpy(&x, view + i, sizeof(x));
		memcpy(&y, twin + i, sizeof(y));
		if (x != y) { /* little-endian: the first differing byte */
			i += (size_t)__builtin_ctzll(x ^ y) / 8;
			break;
		}
	}
	while (i < n && view[i] == twin[i])
		i++;
	if (i >= n)
		return false;
	size_t j = i + 1;
	while (j < n && view[j] != twin[j])
		j++;
	*lo = i;
	*hi = j;
	return true;
}

#define LATE_SEEN 8

struct late_ctx {
	struct tx_slot *slot;
	const ucontext_t *uc;  /* the request's, for the add's site */
	uint32_t add_site;     /* taken on first need: an unwind */
	bool site_taken;
	/* the piece being added through every mapping of its file; NULL
	 * while through one (no run can be seen twice) */
	const struct tx_range *added;
	/* runs reported through one mapping of a file mapped twice, not
	 * reported again through the other */
	struct tx_range seen[LATE_SEEN];
	unsigned nseen;
};

/* add_site -- the TX_ADD's site, taken on first need (an unwind) */
static uint32_t
add_site(struct late_ctx *c)
{
	if (!c->site_taken) {
		c->add_site = c->uc ? shim_site_ucontext(c->uc) : 0;
		c->site_taken = true;
	}
	return c->add_site;
}

/* late_seen -- x lies in a run already reported for this piece; else
 * remembered (when there is room: a run reported twice is a count too
 * many, never a finding missed) */
static bool
late_seen(struct late_ctx *c, const struct tx_range *x)
{
	for (unsigned k = 0; k < c->nseen; k++)
		if (c->seen[k].region == x->region &&
				c->seen[k].lo <= x->lo && x->hi <= c->seen[k].hi)
			return true;
	if (c->nseen < LATE_SEEN)
		c->seen[c->nseen++] = *x;
	return false;
}

/* late_report -- x was stored in this transaction before it was added */
static void
late_report(struct late_ctx *c, uint32_t store_site, bool untraced,
		const struct tx_range *x)
{
	if (shim_model() == NULL || covered_by_tx(c->slot, x))
		return; /* added before: the store came after an add */
	struct model_finding f = { .cls = MODEL_FIND_TX_ADD_LATE,
		.site = store_site, .count = 1, .lines = 1,
		.region = x->region, .off = x->lo, .related = add_site(c),
		.guessed = untraced };
	model_report(shim_model(), &f);
}

/* late_kept -- stores of this transaction already emitted into r */
static void
late_kept(struct late_ctx *c, const struct tx_range *r)
{
	for (size_t i = 0; i < c->slot->nstores; i++) {
		struct tx_range x = c->slot->stores[i].at;
		if (x.region != r->region || x.hi <= r->lo || x.lo >= r->hi)
			continue;
		x.lo = x.lo > r->lo ? x.lo : r->lo;
		x.hi = x.hi < r->hi ? x.hi : r->hi;
		late_report(c, c->slot->stores[i].site,
				c->slot->stores[i].untraced, &x);
	}
}

/*
 * late_untraced -- stores not yet emitted (page protection) into
 * [lo, hi) of m: the bytes that differ from the page's twin, which holds
 * the content of the last settle, made in this transaction (START_TX
 * settles every page)
 */
static void
late_untraced(struct late_ctx *c, struct shim_mapping *m, uintptr_t lo,
		uintptr_t hi)
{
	for (uintptr_t a = lo; m->tracked && a < hi;) {
		size_t pg = (a - m->base) / SHIM_PAGE_LEN;
		uintptr_t e = m->base + (pg + 1) * SHIM_PAGE_LEN;
		e = e < hi ? e : hi;
		const uint8_t *view = (const uint8_t *)a;
		size_t n = e - a, i, j = 0;
		if (!shim_page_has_twin(__atomic_load_n(&m->page_state[pg],
				__ATOMIC_ACQUIRE)))
			n = 0;
		/* where the twin is: known once the page has one */
		const uint8_t *twin = shim_dirty_twin(m, a);
		while (changed_run(view, twin, n, &i, &j)) {
			uint64_t off = m->file_off + (a + i - m->base);
			struct tx_range x = { m->region->id, off, off + j - i };
			if (c->added != NULL && late_seen(c, &x))
				continue;
			late_report(c, m->page_site[pg], true, &x);
		}
		a = e;
	}
}

/* late_untraced_mapping -- late_untraced in m, if m maps the piece's
 * bytes: each mapping of a file has its own twins, and a store through
 * one shows only in that one's diff (its page may be open, the other's
 * not) */
static void
late_untraced_mapping(struct shim_mapping *m, void *ctx)
{
	struct late_ctx *c = ctx;
	const struct tx_range *r = c->added;
	if (m->region->id != r->region)
		return;
	uint64_t lo = r->lo > m->file_off ? r->lo : m->file_off;
	uint64_t hi = r->hi < m->file_off + m->len ? r->hi :
		m->file_off + m->len;
	if (lo < hi)
		late_untraced(c, m, m->base + (lo - m->file_off),
				m->base + (hi - m->file_off));
}

/* add_with_late -- one piece of a TX_ADD: stores made before it, then
 * the range joins the transaction */
static void
add_with_late(struct shim_mapping *m, uintptr_t lo, uintptr_t hi,
		const struct tx_range *r, void *ctx)
{
	struct late_ctx *c = ctx;
	late_kept(c, r);
	if (m->region->nmappings < 2) {
		late_untraced(c, m, lo, hi);
	} else {
		c->added = r;
		c->nseen = 0;
		shim_mapping_for_each(late_untraced_mapping, c);
		c->added = NULL;
	}
	/* the stores the add announces will not fault on a writable page:
	 * the add's site is the best guess for them */
	if (m->tracked && shim_line_site_writable(m, lo, hi))
		shim_line_site_announced(m, lo, hi, add_site(c));
	add_piece(r, c->slot);
}

void
shim_tx_add(const void *addr, size_t len, const ucontext_t *uc)
{
	shim_lock();
	struct tx_slot *slot = slot_of(shim_tid());
	struct late_ctx c; /* seen[] is read only below nseen: not zeroed */
	c.slot = slot;
	c.uc = uc;
	c.add_site = 0;
	c.site_taken = false;
	c.added = NULL;
	c.nseen = 0;
	if (slot != NULL)
		tx_for_each_region_piece(addr, len, add_with_late, &c);
	shim_unlock();
}

void
shim_tx_ignore(const void *addr, size_t len)
{
	shim_lock();
	tables_get();
	tx_for_each_region_piece(addr, len, ignore_piece, NULL);
	shim_unlock();
}

/* report_site -- one finding for the kept stores of site (END_TX) */
static void
report_site(struct tx_slot *slot, size_t first, bool *done)
{
	const struct tx_store *s0 = &slot->stores[first];
	uint64_t count = 0, lines = 0;
	for (size_t i = first; i < slot->nstores; i++) {
		const struct tx_store *s = &slot->stores[i];
		if (done[i] || s->site != s0->site)
			continue;
		done[i] = true;
		count++;
		uint32_t line = model_region_line(shim_model(), s->at.region);
		if (line != 0)
			lines += (s->at.hi + line - 1) / line - s->at.lo / line;
	}
	struct model_finding f = { .cls = MODEL_FIND_TX_UNADDED,
		.site = s0->site, .count = count, .lines = lines,
		.region = s0->at.region, .off = s0->at.lo,
		.guessed = s0->untraced };
	model_report(shim_model(), &f);
}

/* judge -- the kept stores no range added during the transaction covers */
static void
judge(struct tx_slot *slot)
{
	bool done[TX_STORES];
	if (slot->overflow || tables->ignores_full || shim_model() == NULL)
		return; /* a range may be missing: no false alarm */
	for (size_t i = 0; i < slot->nstores; i++)
		done[i] = covered_by_tx(slot, &slot->stores[i].at);
	for (size_t i = 0; i < slot->nstores; i++)
		if (!done[i])
			report_site(slot, i, done);
}

void
shim_tx_end(void)
{
	shim_lock();
	struct tx_slot *slot = slot_of(shim_tid());
	if (slot != NULL && --slot->depth == 0) {
		shim_dirty_settle_all(); /* its stores become events now */
		judge(slot);
		tx_not_pmem_clean_all();
		tables->tid[slot - tables->slots] = 0;
		atomic_fetch_sub(&shim_tx_open_count, 1);
	}
	shim_unlock();
}

/* keep -- an uncovered changed run [lo, hi) of a store, for END_TX */
static void
keep(struct tx_slot *slot, uint32_t region, uint64_t lo, uint64_t hi,
		uint32_t site, bool untraced)
{
	struct tx_store s = { { region, lo, hi }, site, untraced };
	if (covered_by_tx(slot, &s.at))
		return;
	if (slot->nstores == TX_STORES) {
		slot->overflow = true;
		return;
	}
	slot->stores[slot->nstores++] = s;
}

/*
 * keep_changed_runs -- an untraced store covers a whole line; only the
 * bytes that differ from the twin of the mapping it was diffed in were
 * stored (or stored with a new value). Without that diff, the whole line.
 */
static void
keep_changed_runs(struct tx_slot *slot, const struct model_event *ev)
{
	const uint8_t *view, *twin;
	if (!shim_dirty_diffed_line(ev, &view, &twin)) {
		keep(slot, ev->region, ev->off, ev->off + ev->len, ev->site,
				true);
		return;
	}
	size_t i, j = 0;
	while (changed_run(view, twin, ev->len, &i, &j))
		keep(slot, ev->region, ev->off + i, ev->off + j, ev->site,
				true);
}

void
shim_tx_event_slow(const struct model_event *ev)
{
	bool untraced = ev->kind == MODEL_EV_STORE && ev->data == NULL;
	if ((ev->kind != MODEL_EV_STORE && ev->kind != MODEL_EV_NT_STORE &&
			ev->kind != MODEL_EV_MOVDIR64B) || tables == NULL)
		return;
	/* an untraced store is emitted by whichever thread settles it */
	struct tx_slot *slot = slot_of(ev->tid);
	if (slot == NULL && untraced)
		slot = only_open_slot();
	if (slot == NULL || slot->depth == 0)
		return;
	if (untraced)
		keep_changed_runs(slot, ev);
	else
		keep(slot, ev->region, ev->off, ev->off + ev->len, ev->site,
				false);
}

/* ---- SET_CLEAN ---- */

struct clean_ctx {
	uint32_t site;
	struct tx_slot *slot;
};

/* clean_piece -- diff and snapshot the piece's lines, then SET_CLEAN */
static void
clean_piece(struct shim_mapping *m, uintptr_t lo, uintptr_t hi,
		const struct tx_range *r, void *ctx)
{
	const struct clean_ctx *c = ctx;
	uint32_t line = m->region->line_len;
	uint64_t off = r->lo;
	uintptr_t llo = lo - off % line;
	uintptr_t lhi = hi + (line - (m->file_off + (hi - m->base)) % line) %
		line;
	if (lhi > m->base + m->len)
		lhi = m->base + m->len;
	shim_dirty_flush_lines(m, llo, lhi, 0);
	struct model_event ev = { .kind = MODEL_EV_SET_CLEAN,
		.tid = shim_tid(), .site = c->site, .region = m->region->id,
		.off = off, .len = hi - lo };
	shim_emit_locked(&ev);
	if (c->slot != NULL) /* clean bytes are not the program's stores */
		add_piece(r, c->slot);
}

void
shim_ev_set_clean(const void *addr, size_t len, uint32_t site)
{
	shim_lock();
	struct clean_ctx c = { site,
		tables != NULL ? slot_of(shim_tid()) : NULL };
	tx_for_each_region_piece(addr, len, clean_piece, &c);
	shim_unlock();
}
