/*
 * pmem_real.h -- the real libpmem and libpmem2 functions the interposers
 * fall back to (ranges pmemu does not emulate), as real.h's REAL but
 * versioned (LIBPMEM_1.0, LIBPMEM2_1.0: libpmemobj.so.1 binds those) and
 * optional (a program that does not load libpmem has none): REAL_V(name)
 * is the function, or NULL. One list; main.c resolves them all at
 * start-up (shim_real_pmem_init: dlvsym may allocate, not in hot paths),
 * a call before it resolves its own.
 */
#ifndef PMEMU_SHIM_PMEM_REAL_H
#define PMEMU_SHIM_PMEM_REAL_H 1

#include <libpmem.h>
#include <libpmem2.h>

#define SHIM_REAL_PMEM_FUNCTIONS(X) \
	X(pmem_flush, "LIBPMEM_1.0") \
	X(pmem_is_pmem, "LIBPMEM_1.0") \
	X(pmem_memmove, "LIBPMEM_1.0") \
	X(pmem_memset, "LIBPMEM_1.0") \
	X(pmem_map_file, "LIBPMEM_1.0") \
	X(pmem_unmap, "LIBPMEM_1.0") \
	X(pmem_errormsg, "LIBPMEM_1.0") \
	X(pmem_check_version, "LIBPMEM_1.0") \
	X(pmem2_map_get_address, "LIBPMEM2_1.0") \
	X(pmem2_map_get_size, "LIBPMEM2_1.0") \
	X(pmem2_map_get_store_granularity, "LIBPMEM2_1.0") \
	X(pmem2_get_persist_fn, "LIBPMEM2_1.0") \
	X(pmem2_get_flush_fn, "LIBPMEM2_1.0") \
	X(pmem2_get_drain_fn, "LIBPMEM2_1.0") \
	X(pmem2_get_memmove_fn, "LIBPMEM2_1.0") \
	X(pmem2_get_memcpy_fn, "LIBPMEM2_1.0") \
	X(pmem2_get_memset_fn, "LIBPMEM2_1.0") \
	X(pmem2_deep_flush, "LIBPMEM2_1.0") \
	X(pmem2_map_new, "LIBPMEM2_1.0") \
	X(pmem2_source_get_fd, "LIBPMEM2_1.0") \
	X(pmem2_config_set_required_store_granularity, "LIBPMEM2_1.0") \
	X(pmem2_badblock_context_new, "LIBPMEM2_1.0") \
	X(pmem2_badblock_next, "LIBPMEM2_1.0") \
	X(pmem2_badblock_clear, "LIBPMEM2_1.0") \
	X(pmem2_badblock_context_delete, "LIBPMEM2_1.0") \
	X(pmem2_source_device_usc, "LIBPMEM2_1.0") \
	X(pmem2_source_device_id, "LIBPMEM2_1.0")

#pragma GCC visibility push(hidden)

/* the next definition of name@ver after libpmemu, or NULL; cached in
 * *slot */
void *shim_real_versioned(void *volatile *slot, const char *name,
		const char *ver);

#define SHIM_REAL_V_DECLARE_(name, ver) \
	extern void *volatile shim_real_v_##name; \
	static inline __typeof__(&name) \
	shim_real_v_get_##name(void) \
	{ \
		return (__typeof__(&name))shim_real_versioned( \
			&shim_real_v_##name, #name, ver); \
	}
SHIM_REAL_PMEM_FUNCTIONS(SHIM_REAL_V_DECLARE_)

#define REAL_V(name) (shim_real_v_get_##name())

void shim_real_pmem_init(void);

#pragma GCC visibility pop

#endif
