/*
 * shim_shared.c -- lines stored in one process of a run and flushed in
 * another (fork, exec, processes a shell starts apart)
 *
 * Each process has its own in-process model, but a file's lines are the
 * file's (MODEL.md): a child that stores and exits and a parent that then
 * flushes the same lines through its mapping are one store and its flush.
 * The processes of a run share a table of 64-byte pieces with a store no
 * flush has covered yet: {region, piece, the storing pid, its site}. It
 * is in the run's session memfd (region/shim_session.c, every process of
 * the run reaches it), else a shared anonymous mapping made before the
 * first fork. A process uses it (each event of its model passes through
 * it first) once it is not alone: every process but the run's first from
 * its start, the first from its first fork; so a run of one process pays
 * nothing per event. A flush of a piece another process stored gives
 * this process's model that store first (no false "redundant flush").
 * Who reports a store nobody flushed: shim_shared_exit.c. Only the model
 * (findings) sees these events: the trace has every process's events in
 * order already. Stores a process has not settled (diffed) when another
 * flushes are not in the table yet (docs/shim.md).
 */
#include <sys/mman.h>
#include <unistd.h>

#include "real.h"
#include "shim_core.h"
#include "shim_shared.h"
#include "shim_shared_impl.h"

#define PROBES 64            /* a piece is within PROBES of its hash */

static pid_t forking_pid;      /* the process in fork's prepare handler */

size_t
shim_shared_size(void)
{
	return sizeof(struct shared_table);
}

void
shim_shared_start(void *area, bool first)
{
	shared = area;
	shared_first = first;
	if (shared != NULL && (!first || shared_others_live()))
		shared_join(); /* not alone (the first after exec: children) */
}

void
shim_shared_forking(void)
{
	forking_pid = getpid();
	if (shared == NULL) {
		void *p = REAL(mmap)(NULL, sizeof(*shared),
			PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED)
			shared = p;
	}
	if (shared != NULL && !shared_active)
		shared_join();
}

void
shim_shared_forked(void)
{
	if (getpid() == forking_pid || shared == NULL)
		return;
	shared_first = false; /* a child: it joins as itself */
	shared_active = false;
	shared_join();
}

/* slot -- the piece's entry, made when `make`; NULL if absent or full */
static struct piece *
slot(uint32_t region, uint64_t piece, bool make)
{
	uint64_t key = ((uint64_t)region << 40 | piece) + 1;
	uint64_t h = key * 0x9e3779b97f4a7c15ull;
	for (uint32_t i = 0; i < PROBES; i++) {
		struct piece *e = &shared->pieces[((h >> 40) + i) &
			(TABLE_LEN - 1)];
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

/* covered -- a flush or sync covers e: a store of another process in it
 * is adopted first, then no one owns it (whoever clears the owner does
 * it, so a store is adopted once) */
static void
covered(struct piece *e, uint32_t me)
{
	uint32_t owner = __atomic_load_n(&e->owner, __ATOMIC_ACQUIRE);
	while (owner != 0) {
		if (__atomic_compare_exchange_n(&e->owner, &owner, 0, false,
				__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			if ((owner & OWNER_PID) != me ||
					(owner & OWNER_LEFT))
				shared_adopt(e);
			return;
		}
	}
}

/* piece_in -- the key of e is a piece of [first, last) of region (ALL:
 * every region) */
static bool
piece_in(uint64_t k, uint32_t region, uint64_t first, uint64_t last)
{
	uint64_t p = (k - 1) & ((1ull << 40) - 1);
	return k != 0 && (region == MODEL_REGION_ALL ||
		(k - 1) >> 40 == region) && p >= first && p < last;
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
		struct piece *e = &shared->pieces[i];
		if (piece_in(__atomic_load_n(&e->key, __ATOMIC_ACQUIRE),
				region, first, last))
			covered(e, me);
	}
}

bool
shim_shared_in_use(void)
{
	return shared_active;
}

void
shim_shared_event(const struct model_event *ev)
{
	if (!shared_active || (ev->region == MODEL_REGION_ALL &&
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
