/*
 * shim_store_log.c -- the store log: plugin-built stores of one thread
 * (its owner, the first thread that stores) are copied into a ring with
 * no lock, no model call; whoever takes the emission lock next -- any
 * thread, for any event -- emits them first (shim_state.c's drain hook).
 *
 * Why the order stays the model's: every event of every thread is emitted
 * under the lock, so a logged store is emitted before any event taken
 * after its hook returned (the tail is published with release, read with
 * acquire), and the owner's stores stay in their order. One owner only:
 * two logs drained one after the other would reorder the stores of two
 * threads that synchronized without the shim seeing it. Other threads'
 * stores take the lock as before (docs/shim.md).
 *
 * The entry holds the bytes as stored: a later store to the same bytes
 * must not change what the trace, the twin or the eADR media receive.
 * One entry may hold a run of stores of one size and site, each where the
 * last ended (__pmemu_store_run: an unrolled loop's stores to one line);
 * the drain takes its stores one by one, as if each had its own entry.
 *
 * The drain merges a run of entries that continue each other (the next
 * starts where the last ended) with one site, within one 64-byte line
 * (the shortest line: one line of any region), into one event that
 * says how many stores it stands for (model_event.count): the model
 * counts them as it counts the stores one by one, with that site (the
 * raw benchmark's word stores: one model store per line instead of
 * eight). Not while recording (the trace keeps every store) nor while a
 * transaction is open (its check keeps each store's range).
 *
 * The owner's clwb and clflushopt of a line whose page is clean wait in
 * the log too, with a copy of the line (an entry of count 0, its kind in
 * size): shim_events.c, "Flushes in the store log". Not while a
 * transaction is open or another process shares the pool (hooks that
 * see each flush when it happens, main.c).
 */
#include <string.h>

#include "shim_core.h"
#include "shim_events.h"
#include "shim_intercept.h"
#include "shim_site.h"
#include "shim_store_log.h"
#include "shim_window.h"

#define LOG_ENTRIES 128            /* a power of two */
#define LOG_BYTES 64               /* longer stores are emitted at once */
#define MERGE_LINE 64              /* runs merged within such a line */

struct log_entry {
	uintptr_t addr;
	uint32_t site;
	uint16_t size;             /* of each store; a flush's kind */
	uint16_t count;            /* stores, at addr + i * size; 0: a flush */
	uint8_t bytes[LOG_BYTES];  /* the stores', or the flushed line's */
};

static struct {
	uint32_t head;             /* next to emit: the lock holder's */
	uint32_t tail;             /* next to fill: the owner's (atomic) */
	uint32_t tid;              /* the owner's */
	bool claimed;
	struct log_entry e[LOG_ENTRIES];
} log_ring;

static __thread bool log_mine __attribute__((tls_model("initial-exec")));

/*
 * The owner's last srcloc and its site, one for its stores and one for
 * its flushes: a loop's stores and flushes name one srcloc each, line
 * after line, and a srcloc has one site id for the tables' life (site.c,
 * "The srcloc cache"; the image's base is set before the first site), so
 * a hit is what shim_site_srcloc would give, without its thread's cache
 * (the owner's only: the hooks that read them run at depth 0, never in a
 * handler that interrupted them).
 */
struct site_memo {
	const struct pmemu_srcloc *loc;
	uint32_t site;
};
static struct site_memo store_memo, flush_memo;

static inline uint32_t
memo_site(struct site_memo *m, const struct pmemu_srcloc *loc)
{
	if (m->loc == loc && loc != NULL)
		return m->site;
	uint32_t site = shim_site_srcloc(loc);
	if (site != SHIM_SITE_UNKNOWN) {
		m->loc = loc;
		m->site = site;
	}
	return site;
}

/* the stores an entry holds: all that fit, at most count */
static size_t
entry_stores(size_t size, size_t count)
{
	size_t fit = size == 0 ? 1 : LOG_BYTES / size;
	return count < fit ? count : fit;
}

size_t
shim_store_log_append(void *addr, size_t size, size_t count,
		uintptr_t read_delta, const struct pmemu_srcloc *loc)
{
	if (!log_mine || size > LOG_BYTES || shim_depth != 0 || !shim_active)
		return 0;
	shim_depth++; /* a signal handler's hook must not fill this entry */
	uint32_t site = memo_site(&store_memo, loc);
	size_t done = 0;
	while (done < count) {
		uint32_t t = log_ring.tail;
		if (t - __atomic_load_n(&log_ring.head, __ATOMIC_ACQUIRE) >=
				LOG_ENTRIES)
			break; /* full */
		size_t n = entry_stores(size, count - done);
		const uint8_t *from = (const uint8_t *)addr + done * size;
		struct log_entry *e = &log_ring.e[t & (LOG_ENTRIES - 1)];
		e->addr = (uintptr_t)from;
		e->site = site;
		e->size = (uint16_t)size;
		e->count = (uint16_t)n;
		shim_copy_small(e->bytes, from + read_delta, n * size);
		__atomic_store_n(&log_ring.tail, t + 1, __ATOMIC_RELEASE);
		done += n;
	}
	shim_depth--;
	return done;
}

static bool (*flush_ok)(void);

void
shim_store_log_set_flush(bool (*fn)(void))
{
	flush_ok = fn;
}

bool
shim_store_log_flush(const void *addr, enum model_ev kind,
		const struct pmemu_srcloc *loc)
{
	if (!log_mine || shim_depth != 0 || !shim_active || flush_ok == NULL)
		return false;
	shim_depth++; /* a signal handler's hook must not fill this entry */
	uint32_t t = log_ring.tail;
	struct log_entry *e = &log_ring.e[t & (LOG_ENTRIES - 1)];
	bool logged = t - __atomic_load_n(&log_ring.head, __ATOMIC_ACQUIRE) <
		LOG_ENTRIES && flush_ok() &&
		shim_ev_flush_copy(addr, kind, e->bytes);
	if (logged) {
		e->addr = (uintptr_t)addr;
		e->site = memo_site(&flush_memo, loc);
		e->size = (uint16_t)kind;
		e->count = 0;
		__atomic_store_n(&log_ring.tail, t + 1, __ATOMIC_RELEASE);
	}
	shim_depth--;
	return logged;
}

void
shim_store_log_claim(void)
{
	if (shim_opts()->store_log_off ||
			__atomic_load_n(&log_ring.claimed, __ATOMIC_RELAXED))
		return;
	shim_lock();
	if (!log_ring.claimed) {
		log_ring.claimed = true;
		log_ring.tid = shim_tid();
		log_mine = true;
	}
	shim_unlock();
}

static bool (*merge_ok)(void);

void
shim_store_log_set_merge(bool (*fn)(void))
{
	merge_ok = fn;
}

/* A run of logged stores the drain emits as one event: each starts
 * where the last ended, one site, within the first one's 64-byte line. */
struct run {
	uintptr_t addr;
	size_t len;
	uint32_t site, count;
	const uint8_t *bytes;      /* the first store's, or buf */
	uint8_t buf[MERGE_LINE];
};

/* continues -- the store [addr, addr + len) of site extends r */
static bool
continues(const struct run *r, uintptr_t addr, size_t len, uint32_t site)
{
	return r->count != 0 && addr == r->addr + r->len && site == r->site &&
		(addr + len - 1) / MERGE_LINE == r->addr / MERGE_LINE;
}

static void
run_emit(struct run *r)
{
	if (r->count != 0)
		shim_ev_store_logged(r->addr, r->len, r->bytes, log_ring.tid,
			r->site, r->count);
	r->count = 0;
}

/* run_begin -- r is n stores [addr, addr + len) of site, their bytes
 * at `bytes` */
static void
run_begin(struct run *r, uintptr_t addr, size_t len, const uint8_t *bytes,
		uint32_t site, uint32_t n)
{
	r->addr = addr;
	r->len = len;
	r->site = site;
	r->count = n;
	r->bytes = bytes;
}

/* run_extend -- r takes n stores [addr, addr + len) of site, their
 * bytes at `bytes`, when they continue it: true (the bytes copied into
 * r->buf once the run spans two entries) */
static bool
run_extend(struct run *r, uintptr_t addr, size_t len, const uint8_t *bytes,
		uint32_t site, uint32_t n)
{
	if (!continues(r, addr, len, site))
		return false;
	if (bytes != r->bytes + r->len) { /* not in one entry */
		if (r->bytes != r->buf) {
			memcpy(r->buf, r->bytes, r->len);
			r->bytes = r->buf;
		}
		memcpy(r->buf + r->len, bytes, len);
	}
	r->len += len;
	r->count += n;
	return true;
}

/* run_add -- n logged stores of len bytes in all, each where the last
 * ended, within one 64-byte line (or n == 1): extend the run (merge) or
 * emit it and begin the next; as n calls of one store each would */
static void
run_add(struct run *r, bool merge, uintptr_t addr, size_t len,
		const uint8_t *bytes, uint32_t site, uint32_t n)
{
	if (merge && run_extend(r, addr, len, bytes, site, n))
		return;
	run_emit(r);
	run_begin(r, addr, len, bytes, site, n);
}

/* entry_add -- an entry's stores: at once when they merge and lie in one
 * 64-byte line (the first continues the run or begins it, and each next
 * one continues it: the line is the first's), else one by one */
static void
entry_add(struct run *r, bool merge, const struct log_entry *e)
{
	size_t len = (size_t)e->size * e->count;
	if (merge && e->count > 1 && len != 0 &&
			e->addr / MERGE_LINE == (e->addr + len - 1) / MERGE_LINE) {
		run_add(r, merge, e->addr, len, e->bytes, e->site, e->count);
		return;
	}
	for (uint32_t i = 0; i < e->count; i++)
		run_add(r, merge, e->addr + (uintptr_t)i * e->size, e->size,
			e->bytes + (size_t)i * e->size, e->site, 1);
}

/* window_add_store -- entry e's stores begin line r's run (stored: r
 * has none yet) or extend it: all within one 64-byte line */
static bool
window_add_store(struct run *r, bool stored, const struct log_entry *e)
{
	size_t len = (size_t)e->size * e->count;
	if (len == 0 || e->addr / MERGE_LINE != (e->addr + len - 1) / MERGE_LINE)
		return false;
	if (stored)
		return run_extend(r, e->addr, len, e->bytes, e->site, e->count);
	run_begin(r, e->addr, len, e->bytes, e->site, e->count);
	return true;
}

/*
 * window_drain -- the entries [h, t) as a window before the owner's
 * fence (shim_window.c): each line's stores, merged into one run within
 * the line, then its flush; anything else (a store not followed by its
 * line's flush, two runs in a line, a flush with no store): false, and
 * nothing done
 */
static bool
window_drain(uint32_t h, uint32_t t)
{
	static struct shim_window_line w[SHIM_WINDOW_LINES];
	static struct run runs[SHIM_WINDOW_LINES];
	uint32_t n = 0;
	bool stored = false;
	for (; h != t; h++) {
		const struct log_entry *e = &log_ring.e[h & (LOG_ENTRIES - 1)];
		if (n == SHIM_WINDOW_LINES)
			return false;
		if (e->count != 0) {
			if (!window_add_store(&runs[n], stored, e))
				return false;
			stored = true;
			continue;
		}
		const struct run *r = &runs[n];
		if (!stored || e->addr / MERGE_LINE != r->addr / MERGE_LINE)
			return false;
		w[n] = (struct shim_window_line){ .addr = r->addr,
			.len = (uint32_t)r->len, .count = r->count,
			.site = r->site, .bytes = r->bytes,
			.flush_addr = e->addr, .flush = (enum model_ev)e->size,
			.flush_site = e->site, .line = e->bytes };
		n++;
		stored = false;
	}
	return !stored && shim_window_apply(w, n, log_ring.tid);
}

void
shim_store_log_drain(void)
{
	uint32_t h = log_ring.head;
	uint32_t t = __atomic_load_n(&log_ring.tail, __ATOMIC_ACQUIRE);
	if (h == t)
		return; /* most takes of shim_lock: no run to set up */
	bool merge = h != t && merge_ok != NULL && !shim_trace_events() &&
		merge_ok();
	if (merge && log_ring.e[(t - 1) & (LOG_ENTRIES - 1)].count == 0 &&
			log_mine && shim_window_wanted() && window_drain(h, t)) {
		__atomic_store_n(&log_ring.head, t, __ATOMIC_RELEASE);
		return;
	}
	struct run r;
	r.count = 0; /* not an initializer: that zeroes buf too (rep stos) */
	for (; h != t; h++) {
		const struct log_entry *e = &log_ring.e[h & (LOG_ENTRIES - 1)];
		if (e->count != 0) {
			entry_add(&r, merge, e);
			continue;
		}
		run_emit(&r); /* the stores before the flush */
		shim_ev_flush_logged(e->addr, (enum model_ev)e->size,
			log_ring.tid, e->site, e->bytes);
	}
	run_emit(&r); /* before head frees the entries its bytes are in */
	__atomic_store_n(&log_ring.head, h, __ATOMIC_RELEASE);
}

void
shim_store_log_forked(void)
{
	log_ring.head = log_ring.tail;
	log_ring.claimed = log_mine;
	if (log_mine)
		log_ring.tid = shim_tid();
}
