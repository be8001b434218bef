/*
 * hooks.c -- the entry points of code built with the GCC plugin
 * (pmemu_hooks.h): precise, traced events with source locations
 *
 * Each instrumented module registers its slot; every slot is kept equal
 * to the hull of the emulated mappings, so the inlined range check of a
 * store outside pmem stays false and costs one compare.
 */
#include <sys/mman.h>

#include "pmemu_hooks.h"
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_events.h"
#include "shim_file.h"
#include "shim_hooks.h"
#include "shim_intercept.h"
#include "shim_latency.h"
#include "shim_poison.h"
#include "shim_populate.h"
#include "shim_region.h"
#include "shim_site.h"
#include "shim_store_log.h"

#define SLOTS_MAX 1024
#define HOOK __attribute__((visibility("default")))

/* every registered slot; delta[i]: its third word (ABI 3), or NULL for
 * a module built before it, whose slot has two */
static struct pmemu_slot *slots[SLOTS_MAX];
static volatile uintptr_t *slot_delta[SLOTS_MAX];
static int nslots;
static uintptr_t hull_lo, hull_len, hull_delta;
/* the shim's own copy of a slot, for the hooks' reads (read_delta) */
static struct pmemu_slot_alias own_slot;

/* a hook called from inside the shim (libpmem's memcpy built with the
 * plugin, say) was counted by its interposer already */

/*
 * Stores through the alias. A module of ABI 3 adds, before each plain
 * store whose bytes all lie in the slot's range, the slot's delta to the
 * store's address: the store lands in the views' writable alias
 * (shim_dirty_tables.c), the same page cache pages, and the view page
 * stays read-only and clean (no fault, no twin, no diff). Its hook then
 * reports it as before, with the bytes it reads in the alias (read_delta:
 * the view page is never touched). The delta
 * is not 0 only while the hull is made of views alone, each with its
 * alias at that one distance, writable by the program (never its own
 * mprotect), none with a page unmapped, no line poisoned, and at
 * least PMEMU_ALIAS_MIN bytes long (the check the plugin makes assumes
 * it): else the stores go to the view and fault as any other.
 * PMEMU_ALIAS_STORES=0 keeps it 0.
 */

struct hull {
	uintptr_t lo, hi;
	size_t covered;     /* bytes of the views */
	bool aliased;       /* every view reachable at hull_delta */
	uintptr_t delta;
};

/* alias_ok -- plugin-built stores to m may go through its alias */
static bool
alias_ok(const struct shim_mapping *m, uintptr_t delta)
{
	return delta != 0 && m->tracked && (m->prot & PROT_WRITE) &&
		__atomic_load_n(&m->page_prog, __ATOMIC_ACQUIRE) == NULL &&
		!m->part_gone && shim_dirty_alias_delta(m) == delta;
}

static void
hull_add(struct shim_mapping *m, void *ctx)
{
	struct hull *h = ctx;
	if (m->base < h->lo)
		h->lo = m->base;
	if (m->base + m->len > h->hi)
		h->hi = m->base + m->len;
	h->covered += m->len;
	if (h->delta == 0)
		h->delta = shim_dirty_alias_delta(m);
	h->aliased = h->aliased && alias_ok(m, h->delta);
}

/* set_range -- s (with its delta, or NULL) becomes the hull; never a
 * wrong range in between */
static void
set_range(struct pmemu_slot *s, volatile uintptr_t *delta)
{
	s->len = 0;
	if (delta != NULL)
		*delta = hull_delta;
	s->lo = hull_lo;
	s->len = hull_len;
}

static void
set_slot(int i)
{
	set_range(slots[i], slot_delta[i]);
}

void
shim_hooks_update_slots(void)
{
	struct hull h = { UINTPTR_MAX, 0, 0, true, 0 };
	shim_mapping_for_each(hull_add, &h);
	hull_lo = h.hi > h.lo ? h.lo : 0;
	hull_len = h.hi > h.lo ? h.hi - h.lo : 0;
	hull_delta = hull_len >= PMEMU_ALIAS_MIN && h.covered == hull_len &&
		h.aliased &&
		!shim_opts()->alias_stores_off &&
		__atomic_load_n(&shim_poison_count, __ATOMIC_ACQUIRE) == 0 ?
		h.delta : 0;
	set_range((struct pmemu_slot *)&own_slot, &own_slot.delta);
	for (int i = 0; i < nslots; i++)
		set_slot(i);
}

/*
 * read_delta -- where a hook reads the len bytes a plugin-built store
 * just wrote at addr: addr + the result. The alias when the store went
 * there (the slots' delta covers them: the same page cache pages), so
 * that a program that stores only through the plugin never touches its
 * view pages (a fault each, for nothing: docs/performance.md, "First
 * touches"). Read as the plugin reads its slot: lo, len, then the delta.
 * A sequential pass through the alias has its next pages populated in
 * batches (shim_populate.h: a thread's own state, hints only).
 */
static __thread struct shim_populate alias_ahead
	__attribute__((tls_model("initial-exec")));

static inline uintptr_t
read_delta(const void *addr, size_t len)
{
	uintptr_t lo = own_slot.lo, n = own_slot.len;
	uintptr_t at = (uintptr_t)addr - lo;
	if (at >= n || len > n - at)
		return 0;
	uintptr_t d = own_slot.delta;
	if (d != 0)
		shim_populate_touch(&alias_ahead, lo + d + at, lo + d,
			lo + d + n);
	return d;
}

/* register_slot -- slot (with its third word delta, or NULL) is kept
 * equal to the hull from now on */
static int
register_slot(struct pmemu_slot *slot, volatile uintptr_t *delta)
{
	shim_lock();
	if (nslots < SLOTS_MAX) {
		slots[nslots] = slot;
		slot_delta[nslots] = delta;
		set_slot(nslots++);
	}
	shim_unlock();
	return PMEMU_HOOKS_ABI;
}

HOOK int
__pmemu_register_slot(struct pmemu_slot *slot)
{
	return register_slot(slot, NULL);
}

HOOK int
__pmemu_register_slot_alias(struct pmemu_slot_alias *slot)
{
	return register_slot((struct pmemu_slot *)slot, &slot->delta);
}

/* log_or_emit -- the owner of the store log only copies the stores
 * (shim_store_log.c); what it could not log is emitted at once, store by
 * store (the lock drains the log first, so the order is kept) */
static inline void
log_or_emit(void *addr, size_t size, size_t count,
		const struct pmemu_srcloc *loc)
{
	size_t logged = shim_store_log_append(addr, size, count,
		read_delta(addr, size * count), loc);
	if (logged == count)
		return;
	SHIM_ENTER_OR_RETURN();
	shim_store_log_claim();
	uint32_t site = shim_site_srcloc(loc);
	for (size_t i = logged; i < count; i++)
		shim_ev_store((char *)addr + i * size, size, true, site);
	SHIM_LEAVE();
}

HOOK void
__pmemu_store(void *addr, size_t len, const struct pmemu_srcloc *loc)
{
	log_or_emit(addr, len, 1, loc);
}

HOOK void
__pmemu_store_run(void *addr, size_t size, size_t count,
		const struct pmemu_srcloc *loc)
{
	log_or_emit(addr, size, count, loc);
}

HOOK void
__pmemu_store_nt(void *addr, size_t len, const struct pmemu_srcloc *loc)
{
	SHIM_ENTER_OR_RETURN();
	shim_ev_nt_store(addr, len, shim_site_srcloc(loc));
	SHIM_LEAVE();
}

HOOK void
__pmemu_movdir64b(void *dst, const struct pmemu_srcloc *loc)
{
	SHIM_ENTER_OR_RETURN();
	shim_ev_movdir64b(dst, shim_site_srcloc(loc));
	SHIM_LEAVE();
}

static const enum model_ev flush_kinds[] = {
	[PMEMU_HOOK_CLWB] = MODEL_EV_CLWB,
	[PMEMU_HOOK_CLFLUSHOPT] = MODEL_EV_CLFLUSHOPT,
	[PMEMU_HOOK_CLFLUSH] = MODEL_EV_CLFLUSH,
};

static const enum model_ev fence_kinds[] = {
	[PMEMU_HOOK_SFENCE] = MODEL_EV_SFENCE,
	[PMEMU_HOOK_MFENCE] = MODEL_EV_MFENCE,
	[PMEMU_HOOK_LOCKED] = MODEL_EV_LOCKED,
};

HOOK void
__pmemu_flush(const void *addr, int kind, const struct pmemu_srcloc *loc)
{
	if (kind < 0 || kind > PMEMU_HOOK_CLFLUSH)
		shim_fatal("plugin hook: flush kind %d", kind);
	if (shim_store_log_flush(addr, flush_kinds[kind], loc)) {
		shim_latency_flush(1);
		return;
	}
	SHIM_ENTER_OR_RETURN();
	shim_ev_flush(addr, 1, flush_kinds[kind], shim_site_srcloc(loc));
	SHIM_LEAVE();
}

HOOK void
__pmemu_fence(int kind, const struct pmemu_srcloc *loc)
{
	if (kind < 0 || kind > PMEMU_HOOK_LOCKED)
		shim_fatal("plugin hook: fence kind %d", kind);
	SHIM_ENTER_OR_RETURN();
	shim_ev_fence(fence_kinds[kind], shim_site_srcloc(loc));
	SHIM_LEAVE();
}
