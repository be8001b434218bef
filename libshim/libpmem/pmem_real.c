/*
 * pmem_real.c -- the real libpmem/libpmem2 functions (pmem_real.h)
 */
#include <dlfcn.h>

#include "pmem_real.h"

#define MISSING ((void *)1)

#define SHIM_REAL_V_DEFINE_(name, ver) void *volatile shim_real_v_##name;
SHIM_REAL_PMEM_FUNCTIONS(SHIM_REAL_V_DEFINE_)

void *
shim_real_versioned(void *volatile *slot, const char *name, const char *ver)
{
	void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (fn == NULL) {
		/* RTLD_NEXT never returns libpmemu's own interposer */
		fn = dlvsym(RTLD_NEXT, name, ver);
		__atomic_store_n(slot, fn ? fn : MISSING, __ATOMIC_RELEASE);
	}
	return fn == MISSING ? NULL : fn;
}

#define SHIM_REAL_V_RESOLVE_(name, ver) (void)REAL_V(name);

void
shim_real_pmem_init(void)
{
	SHIM_REAL_PMEM_FUNCTIONS(SHIM_REAL_V_RESOLVE_)
}
