/*
 * intercept_libpmem.c -- libpmem's flush, drain and copy calls on emulated
 * pmem, turned into model events (MODEL.md: "pmem_flush / pmem_drain /
 * pmem_persist" and "pmem_memcpy*" rows)
 *
 * libpmemu.so exports these with version LIBPMEM_1.0 (libpmem.map), so
 * both the program's calls and those libpmemobj makes through its PLT land
 * here. A range, or the part of it, that lies in no emulated mapping is
 * handed to the real libpmem when it is loaded, and otherwise done here
 * with real instructions (memmove + clflush + sfence), never dropped.
 */
#include <emmintrin.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libpmem.h>

#include "intercept_libpmem.h"
#include "pmem_real.h"
#include "shim_events.h"
#include "shim_site.h"

_Static_assert(PMEM_F_MEM_NODRAIN == PMEMI_F_NODRAIN &&
		PMEM_F_MEM_NONTEMPORAL == PMEMI_F_NONTEMPORAL &&
		PMEM_F_MEM_TEMPORAL == PMEMI_F_TEMPORAL &&
		PMEM_F_MEM_WC == PMEMI_F_WC && PMEM_F_MEM_WB == PMEMI_F_WB &&
		PMEM_F_MEM_NOFLUSH == PMEMI_F_NOFLUSH, "libpmem flags changed");

#define PMEMI_PAGE 4096UL
#define PMEMI_CACHELINE 64UL


/* pmemi_first_piece -- a run of one emulated mapping, or of native pages */
void
pmemi_first_piece(const void *addr, size_t len, struct pmemi_piece *p)
{
	uintptr_t a = (uintptr_t)addr;
	const struct shim_mapping *m = shim_mapping_lookup(addr);
	p->addr = (char *)addr;
	p->map = m;
	if (m != NULL) {
		size_t left = m->base + m->len - a;
		p->len = left < len ? left : len;
		return;
	}
	/* mappings are page aligned: step by pages until one starts */
	size_t n = 0;
	do {
		uintptr_t next = (a & ~(PMEMI_PAGE - 1)) + PMEMI_PAGE;
		n += next - a;
		a = next;
	} while (n < len && shim_mapping_lookup((void *)a) == NULL);
	p->len = n < len ? n : len;
}

#define for_each_piece(p, range_addr, range_len) \
	for (size_t left_ = (range_len), done_ = 0; \
		left_ > 0 && (pmemi_first_piece((char *)(range_addr) + done_, \
			left_, &(p)), 1); \
		done_ += (p).len, left_ -= (p).len)

bool
pmemi_touches_emulated(const void *addr, size_t len)
{
	struct pmemi_piece p;
	for_each_piece(p, addr, len) {
		if (p.map != NULL)
			return true;
	}
	return false;
}

enum model_domain
pmemi_piece_domain(const struct pmemi_piece *p)
{
	return p->map->region->domain;
}

/* native_flush -- clflush: on every x86-64, durable without a fence */
static void
native_flush(const void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr & ~(PMEMI_CACHELINE - 1);
	for (; a < (uintptr_t)addr + len; a += PMEMI_CACHELINE)
		_mm_clflush((const void *)a);
}

void
pmemi_native_flush(const void *addr, size_t len)
{
	__typeof__(&pmem_flush) real = REAL_V(pmem_flush);
	if (real)
		real(addr, len);
	else
		native_flush(addr, len);
}

void
pmemi_flush(const void *addr, size_t len, uint32_t site)
{
	struct pmemi_piece p;
	for_each_piece(p, addr, len) {
		if (p.map == NULL) {
			pmemi_native_flush(p.addr, p.len);
		} else if (pmemi_piece_domain(&p) != MODEL_DOMAIN_EADR) {
			/* libpmem flushes with clwb where it can; the model
			 * treats clflushopt alike (MODEL.md) */
			shim_ev_flush(p.addr, p.len, MODEL_EV_CLWB, site);
		}
	}
}

void
pmemi_fence(uint32_t site)
{
	_mm_sfence();
	shim_ev_fence(MODEL_EV_SFENCE, site);
}

void
pmemi_stored(void *dst, size_t len, enum pmemi_copy_kind kind,
		uint32_t site)
{
	struct pmemi_piece p;
	for_each_piece(p, dst, len) {
		if (p.map == NULL) {
			/* streaming stores bypass pmemi_flush below */
			if (kind == PMEMI_COPY_NONTEMPORAL)
				native_flush(p.addr, p.len);
		} else if (kind == PMEMI_COPY_NONTEMPORAL) {
			shim_ev_nt_store(p.addr, p.len, site);
		} else {
			shim_ev_store(p.addr, p.len, true, site);
		}
	}
	if (kind == PMEMI_COPY_FLUSHED)
		pmemi_flush(dst, len, site);
}

int
pmemi_msync(const void *addr, size_t len)
{
	uintptr_t start = (uintptr_t)addr & ~(PMEMI_PAGE - 1);
	/* not inside the shim: msync's own interposer must see this call */
	return msync((void *)start, len + ((uintptr_t)addr - start), MS_SYNC);
}

/*
 * pmemi_copy_kind -- libpmem's choice: NOFLUSH wins, then the
 * non-temporal (NONTEMPORAL, WC) over the temporal (TEMPORAL, WB, none)
 */
enum pmemi_copy_kind
pmemi_copy_kind(unsigned flags)
{
	if (flags & PMEMI_F_NOFLUSH)
		return PMEMI_COPY_NOFLUSH;
	if (flags & (PMEMI_F_NONTEMPORAL | PMEMI_F_WC))
		return PMEMI_COPY_NONTEMPORAL;
	return PMEMI_COPY_FLUSHED;
}

/* NOFLUSH implies no drain either (libpmem's pmem_memmove) */
bool
pmemi_copy_drains(unsigned flags)
{
	return (flags & (PMEMI_F_NODRAIN | PMEMI_F_NOFLUSH)) == 0;
}

void
pmemi_flush_range(const void *addr, size_t len, bool drain)
{
	int saved_errno;
	if (!shim_enter(&saved_errno)) {
		pmemi_native_flush(addr, len);
		if (drain)
			_mm_sfence();
		return;
	}
	uint32_t site = shim_site_here();
	struct pmemi_piece p;
	pmemi_first_piece(addr, len, &p);
	if (drain && len > 0 && p.len == len && p.map != NULL &&
			pmemi_piece_domain(&p) != MODEL_DOMAIN_EADR) {
		/* all in one mapping of emulated pmem: one locked call */
		_mm_sfence();
		shim_ev_persist(addr, len, MODEL_EV_CLWB, MODEL_EV_SFENCE, site);
	} else {
		pmemi_flush(addr, len, site);
		if (drain)
			pmemi_fence(site);
	}
	shim_leave(saved_errno);
}

/* pmem_flush -- flush the lines of [addr, addr + len) */
void
pmem_flush(const void *addr, size_t len)
{
	pmemi_flush_range(addr, len, false);
}

/* pmem_deep_flush -- as pmem_flush: the emulated media is the WPQ too */
void
pmem_deep_flush(const void *addr, size_t len)
{
	pmemi_flush_range(addr, len, false);
}

/* pmem_persist -- flush then fence */
void
pmem_persist(const void *addr, size_t len)
{
	pmemi_flush_range(addr, len, true);
}

void
pmemi_drain(void)
{
	int saved_errno;
	if (!shim_enter(&saved_errno)) {
		_mm_sfence();
		return;
	}
	pmemi_fence(shim_site_here());
	shim_leave(saved_errno);
}

/* pmem_drain -- a fence of the calling thread */
void
pmem_drain(void)
{
	pmemi_drain();
}

/* pmem_has_hw_drain -- x86-64 has no hardware drain (libpmem says 0) */
int
pmem_has_hw_drain(void)
{
	return 0;
}

/* pmem_has_auto_flush -- the caches are persistent only with eadr */
int
pmem_has_auto_flush(void)
{
	return shim_domain() == MODEL_DOMAIN_EADR;
}

/*
 * pmem_is_pmem -- 1 if the whole range is emulated on a DAX domain; a range
 * no emulated mapping touches is the real libpmem's question
 */
int
pmem_is_pmem(const void *addr, size_t len)
{
	struct pmemi_piece p;
	if (!pmemi_touches_emulated(addr, len ? len : 1)) {
		__typeof__(&pmem_is_pmem) real = REAL_V(pmem_is_pmem);
		return real ? real(addr, len) : 0;
	}
	for_each_piece(p, addr, len ? len : 1) {
		if (p.map == NULL ||
				pmemi_piece_domain(&p) == MODEL_DOMAIN_PAGECACHE)
			return 0;
	}
	return 1;
}

/* native_copy_done -- a copy the shim may not record: the real flushes */
static void
native_copy_done(void *dst, size_t len, unsigned flags)
{
	if (pmemi_copy_kind(flags) != PMEMI_COPY_NOFLUSH)
		pmemi_native_flush(dst, len);
	if (pmemi_copy_drains(flags))
		_mm_sfence();
}

/*
 * copy_persist_whole -- a copy that drains, all in one mapping of
 * emulated pmem whose lines need flushing: its stores, flushes and fence
 * under one take of the lock (libpmemobj's draining copies: two takes
 * or three otherwise); false, nothing done, for any other
 */
static bool
copy_persist_whole(void *dst, size_t len, unsigned flags, uint32_t site)
{
	if (!pmemi_copy_drains(flags))
		return false;
	struct pmemi_piece p;
	pmemi_first_piece(dst, len, &p);
	if (p.map == NULL || p.len != len ||
			pmemi_piece_domain(&p) == MODEL_DOMAIN_EADR)
		return false;
	_mm_sfence();
	shim_ev_copy_persist(dst, len,
		pmemi_copy_kind(flags) == PMEMI_COPY_NONTEMPORAL,
		MODEL_EV_SFENCE, site);
	return true;
}

/*
 * copy_finish -- after the bytes are in place: the stores, flushes and
 * fence as events (emulated pieces) or instructions (native ones). by_real:
 * libpmem did a native range whole; its fence still orders this thread's
 * earlier flushes of emulated lines, so the model hears of it.
 */
static void
copy_finish(void *dst, size_t len, unsigned flags, bool by_real)
{
	int saved_errno;
	if (!shim_enter(&saved_errno)) {
		if (!by_real)
			native_copy_done(dst, len, flags);
		return;
	}
	uint32_t site = shim_site_here();
	if (by_real || !copy_persist_whole(dst, len, flags, site)) {
		if (!by_real)
			pmemi_stored(dst, len, pmemi_copy_kind(flags), site);
		if (pmemi_copy_drains(flags))
			pmemi_fence(site);
	}
	shim_leave(saved_errno);
}

/* move_flags -- what every pmem_mem{cpy,move}* variant does */
static void *
move_flags(void *dst, const void *src, size_t len, unsigned flags)
{
	if (len == 0)
		return dst;
	__typeof__(&pmem_memmove) real = REAL_V(pmem_memmove);
	bool by_real = real != NULL && !pmemi_touches_emulated(dst, len);
	if (by_real)
		real(dst, src, len, flags);
	else
		memmove(dst, src, len);
	copy_finish(dst, len, flags, by_real);
	return dst;
}

/* set_flags -- what every pmem_memset* variant does */
static void *
set_flags(void *dst, int c, size_t len, unsigned flags)
{
	if (len == 0)
		return dst;
	__typeof__(&pmem_memset) real = REAL_V(pmem_memset);
	bool by_real = real != NULL && !pmemi_touches_emulated(dst, len);
	if (by_real)
		real(dst, c, len, flags);
	else
		memset(dst, c, len);
	copy_finish(dst, len, flags, by_real);
	return dst;
}

void *
pmemi_memmove(void *dst, const void *src, size_t len, unsigned flags)
{
	return move_flags(dst, src, len, flags);
}

void *
pmemi_memset(void *dst, int c, size_t len, unsigned flags)
{
	return set_flags(dst, c, len, flags);
}

void *
pmem_memmove(void *dst, const void *src, size_t len, unsigned flags)
{
	return move_flags(dst, src, len, flags);
}

void *
pmem_memcpy(void *dst, const void *src, size_t len, unsigned flags)
{
	return move_flags(dst, src, len, flags);
}

void *
pmem_memset(void *dst, int c, size_t len, unsigned flags)
{
	return set_flags(dst, c, len, flags);
}

void *
pmem_memmove_persist(void *dst, const void *src, size_t len)
{
	return move_flags(dst, src, len, 0);
}

void *
pmem_memcpy_persist(void *dst, const void *src, size_t len)
{
	return move_flags(dst, src, len, 0);
}

void *
pmem_memset_persist(void *dst, int c, size_t len)
{
	return set_flags(dst, c, len, 0);
}

void *
pmem_memmove_nodrain(void *dst, const void *src, size_t len)
{
	return move_flags(dst, src, len, PMEM_F_MEM_NODRAIN);
}

void *
pmem_memcpy_nodrain(void *dst, const void *src, size_t len)
{
	return move_flags(dst, src, len, PMEM_F_MEM_NODRAIN);
}

void *
pmem_memset_nodrain(void *dst, int c, size_t len)
{
	return set_flags(dst, c, len, PMEM_F_MEM_NODRAIN);
}
