/*
 * real.c -- every real-function pointer (real.h) and their resolution
 */
#include <dlfcn.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>

#include "real.h"
#include "shim_fatal.h"

#define SHIM_REAL_DEFINE_(ret, name, params) \
	shim_real_##name##_fn shim_real_##name;
SHIM_REAL_FUNCTIONS(SHIM_REAL_DEFINE_)

volatile bool shim_real_ready;

/* libpmemu.so's extent, found once: dladdr, which searched the symbol
 * table on every lookup, was ~7 % of a small program's start */
static uintptr_t self_lo, self_hi;

/* self_extent -- the lowest and highest bytes the PT_LOAD segments of the
 * object holding `self` span */
static int
self_extent(struct dl_phdr_info *info, size_t size, void *self)
{
	(void)size;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t s = info->dlpi_addr + ph->p_vaddr;
		lo = s < lo ? s : lo;
		hi = s + ph->p_memsz > hi ? s + ph->p_memsz : hi;
	}
	if ((uintptr_t)self < lo || (uintptr_t)self >= hi)
		return 0;
	self_lo = lo;
	self_hi = hi;
	return 1;
}

void
shim_self_extent(uintptr_t *lo, uintptr_t *hi)
{
	if (self_hi == 0)
		dl_iterate_phdr(self_extent, (void *)shim_real_init);
	*lo = self_lo;
	*hi = self_hi;
}

/* is_ours -- p lies in libpmemu.so itself (one of our interposers) */
static bool
is_ours(void *p)
{
	uintptr_t lo, hi;
	shim_self_extent(&lo, &hi);
	return (uintptr_t)p >= lo && (uintptr_t)p < hi;
}

void *
shim_real_lookup(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);
	if (p == NULL || is_ours(p)) {
		/* RTLD_DEFAULT finds libraries loaded before us; never us */
		p = dlsym(RTLD_DEFAULT, name);
		if (p != NULL && is_ours(p))
			p = NULL;
	}
	return p;
}

static void *
lookup_required(const char *name)
{
	void *p = shim_real_lookup(name);
	if (p == NULL)
		shim_fatal("failed to intercept %s: no definition "
			"after libpmemu.so", name);
	return p;
}

#define SHIM_REAL_RESOLVE_(ret, name, params) \
	shim_real_##name = (shim_real_##name##_fn)lookup_required(#name);

void
shim_real_init(void)
{
	if (shim_real_ready)
		return;
	SHIM_REAL_FUNCTIONS(SHIM_REAL_RESOLVE_)
	shim_real_ready = true;
}
