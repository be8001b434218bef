/*
 * site.c -- call sites: interning stacks and source locations into ids
 *
 * Contract between the shim core and the site tables:
 *  - shim_site_init() maps the tables once (the constructor should call
 *    it; otherwise the first shim_site_* call does). Idempotent.
 *  - shim_site_here(), shim_site_ucontext() and shim_site_srcloc() only
 *    unwind (libunwind), hash and intern into preallocated tables: no
 *    lock, no malloc, no trace write, no stdio, so the SIGSEGV/SIGTRAP
 *    handlers may call them. A new site is left PENDING.
 *  - shim_site_flush_pending() (site_write.c), called outside signal
 *    handlers -- on leaving an interposer, and at exit before findings
 *    are read -- resolves the pending sites' frames to modules and writes
 *    TRACE_REC_MODULE (once per module), then TRACE_REC_SITE or
 *    TRACE_REC_SITE_SRC, through the sink set by shim_site_set_sink().
 *    With no sink the sites stay pending until there is one. A SITE record
 *    may therefore follow the first event that names its id: readers
 *    collect the site table before resolving (docs/report-format.md).
 *  - Id 0 (SHIM_SITE_UNKNOWN) is "no site": tables full, or every frame
 *    was inside libpmemu.so.
 *  - Frame values: frame 0 of a ucontext site is the faulting or trapping
 *    instruction itself; every other frame is a return address minus 1,
 *    so each value lies inside the instruction of interest (the call) and
 *    a symbolizer looks it up as it is.
 *  - The tables are shared with forked children (one id space per trace
 *    across fork). A process image started by exec starts fresh tables;
 *    when it joins a trace other images write to, it takes an instance
 *    index there (shim_join.c) and shim_site_set_base() moves its ids
 *    (sites: index << 16, modules: index << 10) past every other
 *    instance's, so one trace never names two sites with one id.
 *
 * libunwind's local unwinding is async-signal-safe (it blocks signals
 * around its caches); it consults dl_iterate_phdr, whose loader lock is
 * recursive, so a handler that interrupted the loader in the same thread
 * does not deadlock.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include <errno.h>
#include <stdbool.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>

#include "common.h"
#include "real.h"
#include "site_impl.h"

#define SITE_UNWIND_MAX (SHIM_SITE_FRAMES + 32) /* room for shim frames */

static _Atomic(struct site_tables *) site_tables;
static uint32_t site_base, module_base; /* this image's ids start there */

void
shim_site_set_base(uint32_t sites, uint32_t modules)
{
	site_base = sites;
	module_base = modules;
}

uint32_t
shim_site_module_base(void)
{
	return module_base;
}

uint32_t
shim_site_id_of_local(uint32_t local)
{
	return site_base + local;
}
static uintptr_t self_lo, self_hi; /* libpmemu.so's own code */

int
shim_site_init(void)
{
	SHIM_REAL_ENSURE(); /* a test may map the tables before the shim starts */
	if (atomic_load_explicit(&site_tables, memory_order_acquire) != NULL)
		return 0;
	/* NORESERVE: only the pages of sites actually taken are touched */
	void *p = REAL(mmap)(NULL, sizeof(struct site_tables), PROT_READ |
			PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
			-1, 0);
	if (p == MAP_FAILED)
		return -errno;
	struct site_tables *t = p;
	atomic_init(&t->next_id, 1);
	atomic_flag_clear(&t->write_lock);
	atomic_init(&t->written_below, 1);
	if (self_hi == 0) /* before publishing: no capture may miss it */
		shim_self_extent(&self_lo, &self_hi);
	struct site_tables *none = NULL;
	if (!atomic_compare_exchange_strong(&site_tables, &none, t)) {
		REAL(munmap)(p, sizeof(*t)); /* another thread won the race */
		return 0;
	}
	return 0;
}

struct site_tables *
site_tables_get(void)
{
	struct site_tables *t = atomic_load_explicit(&site_tables,
			memory_order_acquire);
	if (t == NULL && shim_site_init() == 0)
		t = atomic_load_explicit(&site_tables, memory_order_acquire);
	return t;
}


static uint64_t
site_hash(const struct pmemu_srcloc *loc, const uintptr_t *pc, uint32_t n)
{
	uint64_t h = mix64((uintptr_t)loc ^ ((uint64_t)n << 56));
	for (uint32_t i = 0; i < n; i++)
		h = mix64(h ^ pc[i]);
	return h;
}

static int
site_equal(const struct site_rec *r, uint64_t hash,
		const struct pmemu_srcloc *loc, const uintptr_t *pc, uint32_t n)
{
	if (r->hash != hash || r->loc != loc || r->nframes != n)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (r->pc[i] != pc[i])
			return 0;
	return 1;
}

/*
 * site_intern -- the id of (loc, pc[0..n)), taking a new one if unseen.
 * Records are filled before their id is published in a slot (release),
 * and never change after, so a reader that sees an id may compare it.
 */
static uint32_t site_intern_local(const struct pmemu_srcloc *loc,
		const uintptr_t *pc, uint32_t n);

static uint32_t
site_intern(const struct pmemu_srcloc *loc, const uintptr_t *pc, uint32_t n)
{
	uint32_t id = site_intern_local(loc, pc, n);
	return id == SHIM_SITE_UNKNOWN ? id : site_base + id;
}

/* site_intern_local -- the table's own id (no base) */
static uint32_t
site_intern_local(const struct pmemu_srcloc *loc, const uintptr_t *pc,
		uint32_t n)
{
	struct site_tables *t = site_tables_get();
	if (t == NULL)
		return SHIM_SITE_UNKNOWN;
	uint64_t hash = site_hash(loc, pc, n);
	uint32_t mask = SITE_SLOTS - 1, idx = (uint32_t)hash & mask;
	uint32_t fresh = SHIM_SITE_UNKNOWN;
	for (uint32_t probes = 0; probes < SITE_SLOTS; probes++,
			idx = (idx + 1) & mask) {
		uint32_t id = atomic_load_explicit(&t->slot[idx],
				memory_order_acquire);
		if (id == 0) {
			if (fresh == SHIM_SITE_UNKNOWN) {
				/* look first: a full table must not wrap */
				if (atomic_load(&t->next_id) >= SITE_MAX)
					return SHIM_SITE_UNKNOWN;
				fresh = atomic_fetch_add(&t->next_id, 1);
				if (fresh >= SITE_MAX)
					return SHIM_SITE_UNKNOWN; /* full */
				struct site_rec *r = &t->rec[fresh];
				r->hash = hash;
				r->loc = loc;
				r->nframes = n;
				for (uint32_t i = 0; i < n; i++)
					r->pc[i] = pc[i];
			}
			if (atomic_compare_exchange_strong_explicit(
					&t->slot[idx], &id, fresh,
					memory_order_acq_rel,
					memory_order_acquire)) {
				atomic_store_explicit(&t->rec[fresh].state,
						SITE_PENDING,
						memory_order_release);
				return fresh;
			}
			/* lost the slot: id is the winner's; compare it */
		}
		if (site_equal(&t->rec[id], hash, loc, pc, n)) {
			if (fresh != SHIM_SITE_UNKNOWN)
				atomic_store_explicit(&t->rec[fresh].state,
						SITE_DEAD,
						memory_order_release);
			return id;
		}
	}
	return SHIM_SITE_UNKNOWN;
}

/*
 * site_from_ips -- drops the innermost frames inside libpmemu.so, keeps
 * up to SHIM_SITE_FRAMES, and moves return addresses into their call
 * (exact0: ip[0] is a faulting instruction, not a return address).
 */
static uint32_t
site_from_ips(const uintptr_t *ip, int n, int exact0)
{
	int first = 0;
	while (first < n && ip[first] >= self_lo && ip[first] < self_hi)
		first++;
	uintptr_t pc[SHIM_SITE_FRAMES];
	uint32_t kept = 0;
	for (int i = first; i < n && kept < SHIM_SITE_FRAMES; i++) {
		if (ip[i] == 0)
			break;
		pc[kept++] = (i == 0 && exact0) ? ip[i] : ip[i] - 1;
	}
	if (kept == 0)
		return SHIM_SITE_UNKNOWN;
	return site_intern(NULL, pc, kept);
}

/*
 * The capture cache. Unwinding (libunwind: DWARF CFI per frame, and in
 * its slow path signal masking around its caches) costs microseconds; a
 * program persists from a few call stacks millions of times. Each thread
 * keeps a small set-associative cache from (innermost pc, stack pointer) to
 * the site id, and with it where every frame's return address lives on
 * the stack and what it held: a hit re-reads those slots, so it is exact
 * (the same return addresses at the same stack addresses are the same
 * call chain), not a guess by the innermost caller alone. A capture that
 * interrupts a capture of its own thread (a signal handler) skips the
 * cache and unwinds plainly (libunwind's global cache policy masks signals
 * around its own state, so that is safe).
 *
 * A key may live in either of two sets (two hashes of it) and goes into
 * one with a free way: with one set of 16, where a key falls depends on
 * where ASLR put the stack and the libraries, and a run whose hot keys
 * crowded one set (libpmemobj's transactions have dozens) missed on
 * every call, unwinding a third of its captures: the same bench_obj run
 * took 0.4 or 1.9 s of CPU, at random (docs/performance.md).
 */
#define CACHE_SETS 64            /* per thread; 92 KiB */
#define CACHE_WAYS 4             /* one helper called from four places */
#define CACHE_SLOTS 20           /* frames validated per entry */

/* a set's keys share one cache line (a lookup that misses a way reads
 * no entry), and each recorded frame's stack address and value sit side
 * by side (a hit reads its entry in order) */
struct capture_entry {
	uint32_t site, nslots;       /* site: the id less site_base */
	uintptr_t pc, sp;            /* its key again (capture_last); pc 0
	                                while it is being filled */
	struct {
		uintptr_t slot;      /* stack address of a return address */
		uintptr_t ret;       /* what it held */
	} fr[CACHE_SLOTS];
};

struct capture_set {
	uintptr_t pc[CACHE_WAYS];    /* the keys; pc 0: the way is empty */
	uintptr_t sp[CACHE_WAYS];
	struct capture_entry way[CACHE_WAYS];
	unsigned next;               /* the way the next miss replaces */
} __attribute__((aligned(64)));

static __thread struct capture_set capture_cache[CACHE_SETS]
	__attribute__((tls_model("initial-exec")));
static __thread int capture_busy __attribute__((tls_model("initial-exec")));

/*
 * The entries hit last, two a slot, the slot picked by a cheap fold of
 * the key: a transaction captures from the same call chains each time,
 * and a hit here reads no set's keys (a line that was seldom in L1:
 * a third of cache_hit's samples) and hashes nothing. Two: libpmemobj reaches one interposer at one
 * depth from two places (one key, two entries) in turn. The entry holds
 * its key, so a slot whose entry was replaced since misses; a hit
 * validates the recorded return addresses as cache_hit does.
 */
#define CACHE_LAST 64            /* a power of two */

static __thread struct capture_entry *capture_last[CACHE_LAST][2]
	__attribute__((tls_model("initial-exec")));

static inline struct capture_entry **
last_slot(uintptr_t pc, uintptr_t sp)
{
	return capture_last[(pc ^ (pc >> 6) ^ (sp >> 4)) % CACHE_LAST];
}

/* last_put -- e first in its slot, the one before it second */
static inline void
last_put(struct capture_entry **slot, struct capture_entry *e)
{
	if (slot[0] != e) {
		slot[1] = slot[0];
		slot[0] = e;
	}
}

/* one unwound stack: frame i's pc and stack pointer */
struct unwound {
	uintptr_t ip[SITE_UNWIND_MAX];
	uintptr_t sp[SITE_UNWIND_MAX];
	int n;
};

/* cache_sets -- the two sets the key (pc, sp) may be in */
static void
cache_sets(uintptr_t pc, uintptr_t sp, struct capture_set *set[2])
{
	uint64_t h = mix64(pc ^ (sp << 7));
	set[0] = &capture_cache[h % CACHE_SETS];
	set[1] = &capture_cache[(h >> 32) % CACHE_SETS];
}

/* cache_way -- where a new entry goes: a free way of either set, else
 * the first set's next in turn (a key may have several entries: call
 * chains that reach the same pc at the same stack pointer) */
static struct capture_set *
cache_way(struct capture_set *set[2], int *way)
{
	for (int i = 0; i < 2; i++)
		for (int w = 0; w < CACHE_WAYS; w++)
			if (set[i]->pc[w] == 0) {
				*way = w;
				return set[i];
			}
	*way = (int)(set[0]->next++ % CACHE_WAYS);
	return set[0];
}

/* entry_holds -- every return address e recorded is still where it was */
static inline bool
entry_holds(const struct capture_entry *e)
{
	uint32_t i = 0;
	while (i < e->nslots &&
			*(const uintptr_t *)e->fr[i].slot == e->fr[i].ret)
		i++;
	return i == e->nslots;
}

/* cache_hit -- the cached site when every recorded return address is
 * still where it was (the entry then goes into capture_last) */
static bool
cache_hit(struct capture_set *set, uintptr_t pc, uintptr_t sp,
		uint32_t *site)
{
	for (int w = 0; w < CACHE_WAYS; w++) {
		if (set->pc[w] != pc || set->sp[w] != sp)
			continue;
		struct capture_entry *e = &set->way[w];
		if (entry_holds(e)) {
			last_put(last_slot(pc, sp), e);
			*site = site_base + e->site;
			return true;
		}
	}
	return false;
}

/*
 * cache_fill -- frame i >= 1 was entered by a call, so its pc (a return
 * address) was read from just below its stack pointer; frames up to the
 * last one the site keeps are recorded (a deeper stack is not cached)
 */
static void
cache_fill(struct capture_set *set[2], uintptr_t pc, uintptr_t sp,
		const struct unwound *u, int last, uint32_t site)
{
	int w;
	struct capture_set *s = cache_way(set, &w);
	struct capture_entry *e = &s->way[w];
	s->pc[w] = 0;
	e->pc = 0; /* capture_last's slots that hold it miss from now */
	if (last >= CACHE_SLOTS + 1 || site == SHIM_SITE_UNKNOWN)
		return;
	uint32_t k = 0;
	for (int i = 1; i <= last && i < u->n; i++, k++) {
		e->fr[k].slot = u->sp[i] - sizeof(uintptr_t);
		e->fr[k].ret = u->ip[i];
	}
	e->nslots = k;
	e->site = site - site_base; /* the base may be set later (exec) */
	e->sp = sp;
	e->pc = pc;
	s->sp[w] = sp;
	s->pc[w] = pc;
	last_put(last_slot(pc, sp), e);
}

/* unwind_cursor -- pcs and stack pointers from cur outwards */
static void
unwind_cursor(unw_cursor_t *cur, struct unwound *u)
{
	u->n = 0;
	do {
		unw_word_t ip, sp;
		if (unw_get_reg(cur, UNW_REG_IP, &ip) < 0 || ip == 0 ||
				unw_get_reg(cur, UNW_REG_SP, &sp) < 0)
			break;
		u->ip[u->n] = (uintptr_t)ip;
		u->sp[u->n] = (uintptr_t)sp;
		u->n++;
	} while (u->n < SITE_UNWIND_MAX && unw_step(cur) > 0);
}

/* last_kept -- the index of the outermost frame site_from_ips keeps */
static int
last_kept(const struct unwound *u)
{
	int first = 0;
	while (first < u->n && u->ip[first] >= self_lo &&
			u->ip[first] < self_hi)
		first++;
	int last = first + SHIM_SITE_FRAMES - 1;
	return last < u->n ? last : u->n - 1;
}

/* cache_lookup -- true with *site when (pc, sp) hits; a capture nested in
 * one of its own thread (a signal handler) never uses the cache */
static bool
cache_lookup(uintptr_t pc, uintptr_t sp, uint32_t *site)
{
	if (capture_busy)
		return false;
	capture_busy++;
	struct capture_entry **last = last_slot(pc, sp);
	bool hit = false;
	for (int i = 0; i < 2 && !hit; i++) {
		struct capture_entry *e = last[i];
		if (e != NULL && e->pc == pc && e->sp == sp &&
				entry_holds(e)) {
			last_put(last, e);
			*site = site_base + e->site;
			hit = true;
		}
	}
	if (!hit) {
		struct capture_set *set[2];
		cache_sets(pc, sp, set);
		hit = cache_hit(set[0], pc, sp, site) || (set[1] != set[0] &&
			cache_hit(set[1], pc, sp, site));
	}
	capture_busy--;
	return hit;
}

/* capture -- unwinds the stack at ctx and caches its site */
static uint32_t
capture(unw_context_t *ctx, int init_flags, int exact0, uintptr_t pc,
		uintptr_t sp)
{
	bool cached = !capture_busy;
	capture_busy++;
	unw_cursor_t cur;
	struct unwound u;
	u.n = 0;
	if (unw_init_local2(&cur, ctx, init_flags) == 0)
		unwind_cursor(&cur, &u);
	uint32_t site = site_from_ips(u.ip, u.n, exact0);
	if (cached) {
		struct capture_set *set[2];
		cache_sets(pc, sp, set);
		cache_fill(set, pc, sp, &u, last_kept(&u), site);
	}
	capture_busy--;
	return site;
}

__attribute__((noinline)) uint32_t
shim_site_here(void)
{
	if (site_tables_get() == NULL)
		return SHIM_SITE_UNKNOWN;
	/* the key: who called us, and at which depth */
	uintptr_t pc = (uintptr_t)__builtin_return_address(0);
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	uint32_t site;
	if (cache_lookup(pc, sp, &site))
		return site;
	unw_context_t ctx;
	if (unw_getcontext(&ctx) != 0)
		return SHIM_SITE_UNKNOWN;
	return capture(&ctx, 0, 0, pc, sp);
}

uint32_t
shim_site_ucontext(const ucontext_t *uc)
{
	if (site_tables_get() == NULL)
		return SHIM_SITE_UNKNOWN;
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	uint32_t site;
	if (cache_lookup(pc, sp, &site))
		return site;
	/* libunwind's x86-64 unw_context_t is a ucontext_t; it reads the
	 * registers, but its API is not const: give it a copy */
	unw_context_t ctx;
	memcpy(&ctx, uc, sizeof(ctx));
	return capture(&ctx, UNW_INIT_SIGNAL_FRAME, 1, pc, sp);
}

/*
 * The srcloc cache: a plugin-built program's every pmem store names its
 * srcloc (the hook's, or the store log's), and interning one is a hash
 * and a probe of the shared table. Each thread keeps the local ids of
 * the last srclocs it interned, direct-mapped by pointer: a record never
 * changes once its id is published and one srcloc has one id for the
 * tables' life (forked children share them), so a hit is the id the
 * table would give. A lookup that interrupts an update of its own thread
 * (a signal handler's hook) skips the cache: it never reads a half
 * written entry.
 */
#define SRCLOC_CACHE 64          /* entries per thread, a power of two */

static __thread struct {
	const struct pmemu_srcloc *loc;
	uint32_t id;                 /* local: without site_base */
} srcloc_cache[SRCLOC_CACHE] __attribute__((tls_model("initial-exec")));
static __thread int srcloc_busy __attribute__((tls_model("initial-exec")));

uint32_t
shim_site_srcloc(const struct pmemu_srcloc *loc)
{
	if (loc == NULL)
		return SHIM_SITE_UNKNOWN;
	/* the plugin emits one static srcloc per site: the pointer is the
	 * identity, and interning it costs no unwind */
	size_t i = ((uintptr_t)loc >> 3) & (SRCLOC_CACHE - 1);
	if (srcloc_busy)
		return site_intern(loc, NULL, 0);
	srcloc_busy++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	uint32_t id;
	if (srcloc_cache[i].loc == loc) {
		id = srcloc_cache[i].id;
	} else {
		id = site_intern_local(loc, NULL, 0);
		srcloc_cache[i].loc = id == SHIM_SITE_UNKNOWN ? NULL : loc;
		srcloc_cache[i].id = id;
	}
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	srcloc_busy--;
	return id == SHIM_SITE_UNKNOWN ? id : site_base + id;
}

uint32_t
shim_site_frames(uint32_t site, uintptr_t *pc, uint32_t max)
{
	struct site_tables *t = site_tables_get();
	if (t == NULL || site <= site_base || site - site_base >= SITE_MAX)
		return 0;
	const struct site_rec *r = &t->rec[site - site_base];
	uint32_t st = atomic_load_explicit(&r->state, memory_order_acquire);
	if (st != SITE_PENDING && st != SITE_WRITTEN)
		return 0;
	uint32_t n = r->nframes < max ? r->nframes : max;
	for (uint32_t i = 0; i < n; i++)
		pc[i] = r->pc[i];
	return n;
}
