/*
 * intercept_ndctl.c -- libndctl as libpmem2 and libpmemobj ask it for the
 * unsafe shutdown count and the device id of a file (docs/shim.md,
 * "Unsafe shutdown count")
 *
 * PMDK (src/libpmem2/usc_ndctl.c, region_namespace_ndctl.c, compiled into
 * libpmemobj.so.1 too) walks every bus, region and namespace, takes the
 * namespace whose /sys/block/<blockdev>/dev is the file's st_dev, and sums
 * ndctl_dimm_get_dirty_shutdown over the DIMMs of its region. Each context
 * therefore shows the pmem dir first, as a bus of its own
 * (ndctl_topology.c), then the real libndctl's buses; every call on a real
 * object goes to the real libndctl, found with dlvsym (RTLD_NEXT), so the
 * shim never needs libndctl itself. Answered for our objects, besides the
 * walk: the poisoned lines as the namespace's bad blocks
 * (ndctl_badblock.c), no btt/pfn device, fsdax mode but for a device
 * DAX's namespace (devdax, with a dax device, its daxctl region and
 * device: libpmem2 reads a device DAX's size and alignment there).
 */
#define _GNU_SOURCE 1 /* dladdr */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <stddef.h>

#include "ndctl_badblock.h"
#include "ndctl_topology.h"
#include "ndctl_types.h"
#include "pmem_real.h"
#include "shim_devdax.h"
#include "shim_dimm.h"

/* the real libndctl's name@ver, or NULL (cached in its own slot) */
#define REAL_NDCTL(name, ver) \
	((__typeof__(&name))shim_real_versioned(&real_##name, #name, ver))

int ndctl_new(struct ndctl_ctx **ctx);
struct ndctl_ctx *ndctl_unref(struct ndctl_ctx *ctx);
struct ndctl_bus *ndctl_bus_get_first(struct ndctl_ctx *ctx);
struct ndctl_dimm *ndctl_region_get_next_dimm(struct ndctl_region *region,
		struct ndctl_dimm *dimm);
struct ndctl_cmd *ndctl_bus_cmd_new_ars_cap(struct ndctl_bus *bus,
		unsigned long long address, unsigned long long len);

static void *volatile real_ndctl_new, *volatile real_ndctl_unref,
	*volatile real_ndctl_bus_get_first,
	*volatile real_ndctl_region_get_next_dimm,
	*volatile real_ndctl_bus_cmd_new_ars_cap;

/* bus_next -- after our bus, the real context's first bus */
static struct ndctl_bus *
bus_next(struct pmemi_ndctl *t)
{
	struct ndctl_ctx *ctx = pmemi_ndctl_real_ctx(t);
	__typeof__(&ndctl_bus_get_first) real = REAL_NDCTL(
			ndctl_bus_get_first, "LIBNDCTL_3");
	return ctx != NULL && real != NULL ? real(ctx) : NULL;
}

/* dimm_usc -- the emulated DIMM's count (docs/model.md) */
static long long
dimm_usc(void)
{
	struct trace_dimm d;
	shim_dimm_read(&d);
	return (long long)(d.shutdown_count & (uint64_t)LLONG_MAX);
}

/* one argument: our object's answer, else the real libndctl's */
#define PMEMI_NDCTL_DEFINE(ret, name, ver, argtype, answer) \
	ret name(argtype arg); \
	static void *volatile real_##name; \
	__attribute__((visibility("default"))) ret \
	name(argtype arg) \
	{ \
		struct pmemi_ndctl *t = NULL; \
		if (pmemi_ndctl_kind(arg, &t) != PMEMI_NDCTL_REAL) \
			return (answer); \
		__typeof__(&name) real = REAL_NDCTL(name, ver); \
		return real != NULL ? real(arg) : (ret)0; \
	}
PMEMI_NDCTL_FUNCTIONS(PMEMI_NDCTL_DEFINE)

/* ndctl_new -- the real context (when libndctl works here) with our
 * topology beside it, or one of ours alone */
__attribute__((visibility("default"))) int
ndctl_new(struct ndctl_ctx **ctx)
{
	__typeof__(&ndctl_new) real = REAL_NDCTL(ndctl_new, "LIBNDCTL_1");
	int rc = real != NULL ? real(ctx) : -ENOSYS;
	if (rc == 0) {
		(void)pmemi_ndctl_new(*ctx, NULL);
		return 0;
	}
	struct ndctl_ctx *fake;
	if (pmemi_ndctl_new(NULL, &fake) == NULL)
		return rc;
	*ctx = fake;
	return 0;
}

__attribute__((visibility("default"))) struct ndctl_ctx *
ndctl_unref(struct ndctl_ctx *ctx)
{
	struct pmemi_ndctl *t = pmemi_ndctl_take(ctx);
	bool ours = t != NULL && pmemi_ndctl_real_ctx(t) == NULL;
	pmemi_ndctl_delete(t);
	__typeof__(&ndctl_unref) real = REAL_NDCTL(ndctl_unref, "LIBNDCTL_1");
	return ours || real == NULL ? NULL : real(ctx);
}

/* called_from_libndctl -- ret is in libndctl itself: it walks its own
 * buses (ndctl_bus_get_by_provider...) and reads their fields, so it must
 * never meet ours */
static bool
called_from_libndctl(const void *ret)
{
	Dl_info info;
	return dladdr(ret, &info) != 0 && info.dli_fname != NULL &&
		strstr(info.dli_fname, "/libndctl.so") != NULL;
}

__attribute__((visibility("default"))) struct ndctl_bus *
ndctl_bus_get_first(struct ndctl_ctx *ctx)
{
	struct ndctl_bus *ours = pmemi_ndctl_bus_of(ctx);
	if (ours != NULL && !called_from_libndctl(
			__builtin_return_address(0)))
		return ours;
	__typeof__(&ndctl_bus_get_first) real = REAL_NDCTL(
			ndctl_bus_get_first, "LIBNDCTL_3");
	return real != NULL ? real(ctx) : NULL;
}

/* a command on our bus (libpmem2 clears a device DAX's bad blocks with
 * it): none, as a bus without the command answers */
__attribute__((visibility("default"))) struct ndctl_cmd *
ndctl_bus_cmd_new_ars_cap(struct ndctl_bus *bus, unsigned long long address,
		unsigned long long len)
{
	struct pmemi_ndctl *t = NULL;
	if (pmemi_ndctl_kind(bus, &t) != PMEMI_NDCTL_REAL)
		return NULL;
	__typeof__(&ndctl_bus_cmd_new_ars_cap) real = REAL_NDCTL(
			ndctl_bus_cmd_new_ars_cap, "LIBNDCTL_3");
	return real != NULL ? real(bus, address, len) : NULL;
}

/* the pmem dir's region has one DIMM, nmem0 */
__attribute__((visibility("default"))) struct ndctl_dimm *
ndctl_region_get_next_dimm(struct ndctl_region *region,
		struct ndctl_dimm *dimm)
{
	struct pmemi_ndctl *t = NULL;
	if (pmemi_ndctl_kind(region, &t) != PMEMI_NDCTL_REAL)
		return NULL;
	__typeof__(&ndctl_region_get_next_dimm) real = REAL_NDCTL(
			ndctl_region_get_next_dimm, "LIBNDCTL_3");
	return real != NULL ? real(region, dimm) : NULL;
}
