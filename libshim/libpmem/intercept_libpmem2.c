/*
 * intercept_libpmem2.c -- libpmem2's persistence getters and granularity
 * on emulated mappings
 *
 * pmem2_map_new maps with libc's mmap, which the shim interposes, so the
 * mapping is emulated without help from here. What libpmem2 gets wrong on
 * an emulated mapping is what it decides from the hardware: the functions
 * it hands out flush with instructions the shim cannot see, and its
 * granularity comes from the CPU, not from --domain. Each getter therefore
 * answers for an emulated map with the shim's own functions, chosen once
 * per domain as libpmem2 chooses by granularity; a map that is not
 * emulated gets the real libpmem2's answer.
 */
#include <errno.h>
#include <string.h>

#include <libpmem2.h>

#include "intercept_libpmem.h"
#include "pmem_real.h"
#include "shim_events.h"
#include "shim_fatal.h"
#include "shim_site.h"

_Static_assert(PMEM2_F_MEM_NODRAIN == PMEMI_F_NODRAIN &&
		PMEM2_F_MEM_NONTEMPORAL == PMEMI_F_NONTEMPORAL &&
		PMEM2_F_MEM_TEMPORAL == PMEMI_F_TEMPORAL &&
		PMEM2_F_MEM_WC == PMEMI_F_WC && PMEM2_F_MEM_WB == PMEMI_F_WB &&
		PMEM2_F_MEM_NOFLUSH == PMEMI_F_NOFLUSH, "libpmem2 flags changed");


/* ---- DAX domains (adr, eadr): cache-line granularity or finer ---- */

static void
dax_flush(const void *ptr, size_t size)
{
	pmemi_flush_range(ptr, size, false);
}

static void
dax_drain(void)
{
	pmemi_drain();
}

static void
dax_persist(const void *ptr, size_t size)
{
	pmemi_flush_range(ptr, size, true);
}

static void *
dax_memmove(void *dst, const void *src, size_t len, unsigned flags)
{
	return pmemi_memmove(dst, src, len, flags);
}

static void *
dax_memset(void *dst, int c, size_t len, unsigned flags)
{
	return pmemi_memset(dst, c, len, flags);
}

/* ---- page cache: page granularity, every persist is an msync ---- */

static void
page_persist(const void *ptr, size_t size)
{
	/* libpmem2 aborts when msync fails here; its callers cannot see it */
	if (size != 0 && pmemi_msync(ptr, size) != 0)
		shim_fatal("pmem2 persist: msync(%p, %zu): %s", ptr, size,
				strerror(errno));
}

static void
page_drain(void)
{
	/* nothing to wait for: every flush of a page mapping was an msync */
}

/* page_stored -- the events of stores just made, then msync unless the
 * caller asked not to flush (libpmem2's memmove for non-pmem) */
static void
page_stored(void *dst, size_t len, unsigned flags)
{
	int saved_errno;
	if (shim_enter(&saved_errno)) {
		pmemi_stored(dst, len, PMEMI_COPY_NOFLUSH, shim_site_here());
		shim_leave(saved_errno);
	}
	if (!(flags & PMEM2_F_MEM_NOFLUSH))
		page_persist(dst, len);
}

static void *
page_memmove(void *dst, const void *src, size_t len, unsigned flags)
{
	memmove(dst, src, len);
	page_stored(dst, len, flags);
	return dst;
}

static void *
page_memset(void *dst, int c, size_t len, unsigned flags)
{
	memset(dst, c, len);
	page_stored(dst, len, flags);
	return dst;
}

/* the functions libpmem2 would hand out for a granularity */
struct pmem2_ops {
	pmem2_persist_fn persist;
	pmem2_flush_fn flush;
	pmem2_drain_fn drain;
	pmem2_memmove_fn memmove;
	pmem2_memset_fn memset;
	enum pmem2_granularity granularity;
};

static const struct pmem2_ops ops_by_domain[] = {
	[MODEL_DOMAIN_ADR] = { dax_persist, dax_flush, dax_drain,
		dax_memmove, dax_memset, PMEM2_GRANULARITY_CACHE_LINE },
	[MODEL_DOMAIN_EADR] = { dax_persist, dax_flush, dax_drain,
		dax_memmove, dax_memset, PMEM2_GRANULARITY_BYTE },
	[MODEL_DOMAIN_PAGECACHE] = { page_persist, page_persist, page_drain,
		page_memmove, page_memset, PMEM2_GRANULARITY_PAGE },
	[MODEL_DOMAIN_CXL] = { dax_persist, dax_flush, dax_drain,
		dax_memmove, dax_memset, PMEM2_GRANULARITY_CACHE_LINE },
};

/* map_ops -- the shim's functions for an emulated map, or NULL */
static const struct pmem2_ops *
map_ops(struct pmem2_map *map)
{
	__typeof__(&pmem2_map_get_address) get_address =
		REAL_V(pmem2_map_get_address);
	if (map == NULL || get_address == NULL)
		return NULL;
	const struct shim_mapping *m = shim_mapping_lookup(get_address(map));
	if (m == NULL)
		return NULL;
	enum model_domain d = m->region->domain;
	if ((size_t)d >= sizeof(ops_by_domain) / sizeof(ops_by_domain[0]))
		shim_fatal("pmem2: region %u has unknown domain %d",
				m->region->id, (int)d);
	return &ops_by_domain[d];
}

/* one getter shape: the shim's function if emulated, else the real one.
 * No guard (shim_enter): a getter emits nothing, and its answer for an
 * emulated map must be the shim's whatever the depth (a nested call must
 * not hand out the real functions for it) */
#define PMEM2_GETTER(type, getter, field) \
type \
getter(struct pmem2_map *map) \
{ \
	const struct pmem2_ops *ops = map_ops(map); \
	if (ops != NULL) \
		return (type)ops->field; \
	__typeof__(&getter) real = REAL_V(getter); \
	if (real == NULL) \
		shim_fatal(#getter ": libpmem2 is not loaded"); \
	return real(map); \
}

PMEM2_GETTER(pmem2_persist_fn, pmem2_get_persist_fn, persist)
PMEM2_GETTER(pmem2_flush_fn, pmem2_get_flush_fn, flush)
PMEM2_GETTER(pmem2_drain_fn, pmem2_get_drain_fn, drain)
PMEM2_GETTER(pmem2_memmove_fn, pmem2_get_memmove_fn, memmove)
/* memcpy is memmove, as in libpmem2 */
PMEM2_GETTER(pmem2_memcpy_fn, pmem2_get_memcpy_fn, memmove)
PMEM2_GETTER(pmem2_memset_fn, pmem2_get_memset_fn, memset)

/* pmem2_map_get_store_granularity -- what --domain makes of the map */
enum pmem2_granularity
pmem2_map_get_store_granularity(struct pmem2_map *map)
{
	const struct pmem2_ops *ops = map_ops(map);
	if (ops != NULL)
		return ops->granularity;
	__typeof__(&pmem2_map_get_store_granularity) real =
		REAL_V(pmem2_map_get_store_granularity);
	if (real == NULL)
		shim_fatal("pmem2_map_get_store_granularity: libpmem2 is not "
				"loaded");
	return real(map);
}

/*
 * pmem2_deep_flush -- on an emulated file libpmem2 ends in msync of the
 * range (fsdax has no deep-flush register), which the shim turns into
 * flushes and a fence of the pages
 */
int
pmem2_deep_flush(struct pmem2_map *map, void *ptr, size_t size)
{
	const struct pmem2_ops *ops = map_ops(map);
	if (ops == NULL) {
		__typeof__(&pmem2_deep_flush) real =
			REAL_V(pmem2_deep_flush);
		if (real == NULL)
			shim_fatal("pmem2_deep_flush: libpmem2 is not loaded");
		return real(map, ptr, size);
	}
	uintptr_t base = (uintptr_t)REAL_V(pmem2_map_get_address)(map);
	size_t map_len = REAL_V(pmem2_map_get_size)(map);
	if ((uintptr_t)ptr < base || size > map_len ||
			(uintptr_t)ptr - base > map_len - size)
		return PMEM2_E_DEEP_FLUSH_RANGE;
	if (size != 0 && pmemi_msync(ptr, size) != 0)
		return -errno;
	return 0;
}

/* source_domain -- the domain of an emulated source's file, or -1 */
static int
source_domain(const struct pmem2_source *src)
{
	int fd;
	__typeof__(&pmem2_source_get_fd) get_fd =
		REAL_V(pmem2_source_get_fd);
	if (get_fd == NULL || get_fd(src, &fd) != 0)
		return -1;
	const struct shim_region *r = shim_fd_region(fd);
	return r == NULL ? -1 : (int)r->domain;
}

/*
 * pmem2_map_new -- libpmem2 asks the CPU whether the caches are persistent
 * (eADR) and refuses PMEM2_GRANULARITY_BYTE when they are not; on an
 * emulated eadr file they are. Only that refusal is retried, asking for
 * cache-line granularity (all libpmem2 itself can see) for the mapping
 * call and restoring the caller's config after.
 */
int
pmem2_map_new(struct pmem2_map **map_ptr, const struct pmem2_config *cfg,
		const struct pmem2_source *src)
{
	__typeof__(&pmem2_map_new) real = REAL_V(pmem2_map_new);
	__typeof__(&pmem2_config_set_required_store_granularity) set_gran =
		REAL_V(pmem2_config_set_required_store_granularity);
	if (real == NULL || set_gran == NULL)
		shim_fatal("pmem2_map_new: libpmem2 is not loaded");
	int ret = real(map_ptr, cfg, src);
	if (ret != PMEM2_E_GRANULARITY_NOT_SUPPORTED ||
			source_domain(src) != MODEL_DOMAIN_EADR)
		return ret;
	struct pmem2_config *c = (struct pmem2_config *)cfg;
	if (set_gran(c, PMEM2_GRANULARITY_CACHE_LINE) != 0)
		return ret;
	ret = real(map_ptr, cfg, src);
	(void)set_gran(c, PMEM2_GRANULARITY_BYTE);
	return ret;
}
