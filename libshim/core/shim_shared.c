/*
 * shim_shared.c -- lines stored in one process of a run and flushed in
 * another (fork)
 *
 * Each process has its own in-process model, but a file's lines are the
 * file's (MODEL.md): a child that stores and exits and a parent that then
 * flushes the same lines through its mapping are one store and its flush.
 * After the first fork every process of the run shares a table (a shared
 * anonymous mapping made before the fork) of 64-byte pieces with a store
 * no flush has covered yet: {region, piece, the storing pid, its site}.
 * A flush of a piece another process stored gives this process's model
 * that store first (no false "redundant flush"); a forked child leaves
 * its unflushed pieces to the table at exit instead of reporting them,
 * and the process that started the run reports what is left at its exit
 * as its own unpersisted stores (with the child's site). Only the model
 * (findings) sees these events: the trace has every process's events in
 * order already. Stores a child has not settled (diffed) when the parent
 * flushes are not in the table yet (docs/shim.md).
 */
#include <sys/mman.h>
#include <unistd.h>

#include "real.h"
#include "shim_core.h"

#define PIECE_SHIFT 6
#define TABLE_LEN (1u << 16) /* pieces; full: later ones are not shared */
#define PROBES 64            /* a piece is within PROBES of its hash */

struct piece {
	uint64_t key;              /* (region << 40 | piece) + 1; 0 free */
	uint32_t owner;            /* pid with an unflushed store; 0 none */
	uint32_t site;
};

static struct piece *table;    /* shared by the processes of the run */
static bool active;            /* this process has forked or was forked */

void
shim_shared_forking(void)
{
	if (table != NULL)
		return;
	void *p = REAL(mmap)(NULL, TABLE_LEN * sizeof(*table), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p != MAP_FAILED)
		table = p;
}

void
shim_shared_forked(void)
{
	active = table != NULL;
}

/* slot -- the piece's entry, made when `make`; NULL if absent or full */
static struct piece *
slot(uint32_t region, uint64_t piece, bool make)
{
	uint64_t key = ((uint64_t)region << 40 | piece) + 1;
	uint64_t h = key * 0x9e3779b97f4a7c15ull;
	for (uint32_t i = 0; i < PROBES; i++) {
		struct piece *e = &table[((h >> 40) + i) & (TABLE_LEN - 1)];
		uint64_t k = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
		if (k == key)
			return e;
		if (k != 0)
			continue;
		if (!make)
			return NULL;
		if (__atomic_compare_exchange_n(&e->key, &k, key, false,
				__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) || k == key)
			return e;
	}
	return NULL;
}

/* adopt -- this process's model gets another process's store of e */
static void
adopt(const struct piece *e, uint32_t site)
{
	uint64_t k = e->key - 1;
	struct model_event ev = { .kind = MODEL_EV_STORE, .tid = shim_tid(),
		.site = site, .region = (uint32_t)(k >> 40),
		.off = (k & ((1ull << 40) - 1)) << PIECE_SHIFT,
		.len = 1u << PIECE_SHIFT };
	if (shim_model() != NULL)
		(void)model_apply(shim_model(), &ev);
}

/* covered -- a flush or sync covers e: a store of another process in it
 * is adopted first, then no one owns it */
static void
covered(struct piece *e, uint32_t me)
{
	uint32_t owner = __atomic_load_n(&e->owner, __ATOMIC_ACQUIRE);
	if (owner == 0)
		return;
	if (owner != me)
		adopt(e, e->site);
	__atomic_store_n(&e->owner, 0, __ATOMIC_RELEASE);
}

/* cover -- every piece of [off, end) of region (every region: ALL), by
 * range or by table */
static void
cover(uint32_t region, uint64_t off, uint64_t end)
{
	uint32_t me = (uint32_t)getpid();
	uint64_t first = off >> PIECE_SHIFT;
	uint64_t last = (end + (1u << PIECE_SHIFT) - 1) >> PIECE_SHIFT;
	if (region != MODEL_REGION_ALL && last - first <= TABLE_LEN) {
		for (uint64_t p = first; p < last; p++) {
			struct piece *e = slot(region, p, false);
			if (e != NULL)
				covered(e, me);
		}
		return;
	}
	for (uint32_t i = 0; i < TABLE_LEN; i++) {
		uint64_t k = __atomic_load_n(&table[i].key, __ATOMIC_ACQUIRE);
		bool in = region == MODEL_REGION_ALL || (k - 1) >> 40 == region;
		if (k != 0 && in &&
				((k - 1) & ((1ull << 40) - 1)) >= first &&
				((k - 1) & ((1ull << 40) - 1)) < last)
			covered(&table[i], me);
	}
}

void
shim_shared_event(const struct model_event *ev)
{
	if (!active || (ev->region == MODEL_REGION_ALL &&
			ev->kind != MODEL_EV_FSYNC))
		return;
	switch (ev->kind) {
	case MODEL_EV_STORE: {
		uint64_t p = ev->off >> PIECE_SHIFT;
		for (; p << PIECE_SHIFT < ev->off + ev->len; p++) {
			struct piece *e = slot(ev->region, p, true);
			if (e == NULL)
				return;
			e->site = ev->site;
			__atomic_store_n(&e->owner, (uint32_t)getpid(),
				__ATOMIC_RELEASE);
		}
		return;
	}
	case MODEL_EV_CLWB:
	case MODEL_EV_CLFLUSHOPT:
	case MODEL_EV_CLFLUSH:
		cover(ev->region, ev->off, ev->off + ev->len);
		return;
	case MODEL_EV_MSYNC:
		cover(ev->region, ev->off & ~4095ull,
			(ev->off + ev->len + 4095) & ~4095ull);
		return;
	case MODEL_EV_FSYNC:
		cover(ev->region, 0, UINT64_MAX >> 1);
		return;
	default:
		return;
	}
}

void
shim_shared_exit(void)
{
	if (!active)
		return;
	uint32_t me = (uint32_t)getpid();
	bool child = shim_is_forked_child();
	for (uint32_t i = 0; i < TABLE_LEN; i++) {
		struct piece *e = &table[i];
		uint32_t owner = __atomic_load_n(&e->owner, __ATOMIC_ACQUIRE);
		if (owner == 0 || e->key == 0)
			continue;
		uint64_t k = e->key - 1;
		struct model_event ev = { .kind = MODEL_EV_SET_CLEAN,
			.tid = shim_tid(), .region = (uint32_t)(k >> 40),
			.off = (k & ((1ull << 40) - 1)) << PIECE_SHIFT,
			.len = 1u << PIECE_SHIFT };
		if (child && owner == me && shim_model() != NULL)
			/* left to the parent, which still maps the file */
			(void)model_apply(shim_model(), &ev);
		else if (!child && owner != me)
			adopt(e, e->site); /* reported here, at the run's end */
	}
}
