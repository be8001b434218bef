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
 *
 * The drain merges a run of entries that continue each other (the next
 * starts where the last ended) with one site, within one 64-byte line
 * (the shortest line: one line of any region), into one event that
 * says how many stores it stands for (model_event.count): the model
 * counts them as it counts the stores one by one, with that site (the
 * raw benchmark's word stores: one model store per line instead of
 * eight). Not while recording (the trace keeps every store) nor while a
 * transaction is open (its check keeps each store's range).
 */
#include <string.h>

#include "shim_core.h"
#include "shim_events.h"
#include "shim_intercept.h"
#include "shim_site.h"
#include "shim_store_log.h"

#define LOG_ENTRIES 1024           /* a power of two */
#define LOG_BYTES 32               /* longer stores are emitted at once */
#define MERGE_LINE 64              /* runs merged within such a line */

struct log_entry {
	uintptr_t addr;
	uint32_t len;
	uint32_t site;
	uint8_t bytes[LOG_BYTES];
};

static struct {
	uint32_t head;             /* next to emit: the lock holder's */
	uint32_t tail;             /* next to fill: the owner's (atomic) */
	uint32_t tid;              /* the owner's */
	bool claimed;
	struct log_entry e[LOG_ENTRIES];
} log_ring;

static __thread bool log_mine __attribute__((tls_model("initial-exec")));

bool
shim_store_log_append(void *addr, size_t len,
		const struct pmemu_srcloc *loc)
{
	if (!log_mine || len > LOG_BYTES || shim_depth != 0 || !shim_active)
		return false;
	shim_depth++; /* a signal handler's hook must not fill this entry */
	uint32_t t = log_ring.tail;
	bool room = t - __atomic_load_n(&log_ring.head, __ATOMIC_ACQUIRE) <
		LOG_ENTRIES;
	if (room) {
		struct log_entry *e = &log_ring.e[t & (LOG_ENTRIES - 1)];
		e->addr = (uintptr_t)addr;
		e->len = (uint32_t)len;
		e->site = shim_site_srcloc(loc);
		shim_copy_small(e->bytes, addr, len);
		__atomic_store_n(&log_ring.tail, t + 1, __ATOMIC_RELEASE);
	}
	shim_depth--;
	return room;
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

/* continues -- entry n starts where the run [addr, addr + len) of site
 * ends, within the run's 64-byte line */
static bool
continues(const struct log_entry *n, uintptr_t addr, size_t len,
		uint32_t site)
{
	return n->addr == addr + len && n->site == site &&
		(n->addr + n->len - 1) / MERGE_LINE == addr / MERGE_LINE;
}

static const struct log_entry *
at(uint32_t i)
{
	return &log_ring.e[i & (LOG_ENTRIES - 1)];
}

void
shim_store_log_drain(void)
{
	uint32_t h = log_ring.head;
	uint32_t t = __atomic_load_n(&log_ring.tail, __ATOMIC_ACQUIRE);
	bool merge = h != t && merge_ok != NULL && !shim_trace_events() &&
		merge_ok();
	while (h != t) {
		const struct log_entry *e = at(h++);
		if (!merge || h == t || !continues(at(h), e->addr, e->len,
				e->site)) {
			shim_ev_store_logged(e->addr, e->len, e->bytes,
				log_ring.tid, e->site, 1);
			continue;
		}
		uint8_t run[MERGE_LINE];
		size_t len = e->len;
		uint32_t count = 1;
		memcpy(run, e->bytes, e->len);
		for (; h != t && continues(at(h), e->addr, len, e->site); h++) {
			memcpy(run + len, at(h)->bytes, at(h)->len);
			len += at(h)->len;
			count++;
		}
		shim_ev_store_logged(e->addr, len, run, log_ring.tid, e->site,
			count);
	}
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
