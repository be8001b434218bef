/*
 * ndctl_types.h -- the libndctl functions libpmemu.so answers, declared
 * here as <ndctl/libndctl.h> declares them: the shim builds and runs
 * without libndctl (a program that uses it brings it)
 */
#ifndef PMEMU_SHIM_NDCTL_TYPES_H
#define PMEMU_SHIM_NDCTL_TYPES_H 1

struct ndctl_ctx;
struct ndctl_bus;
struct ndctl_region;
struct ndctl_namespace;
struct ndctl_dimm;
struct ndctl_btt;
struct ndctl_pfn;
struct ndctl_dax;
struct badblock;
struct ndctl_cmd;

/* enum ndctl_namespace_mode's NDCTL_NS_MODE_FSDAX */
#define PMEMI_NDCTL_NS_MODE_FSDAX 0

/* X(return type, name, version, argument type, answer for our object) */
#define PMEMI_NDCTL_FUNCTIONS(X) \
	X(struct ndctl_bus *, ndctl_bus_get_next, "LIBNDCTL_3", \
		struct ndctl_bus *, bus_next(t)) \
	X(const char *, ndctl_bus_get_provider, "LIBNDCTL_3", \
		struct ndctl_bus *, "pmemu") \
	X(struct ndctl_region *, ndctl_region_get_first, "LIBNDCTL_3", \
		struct ndctl_bus *, pmemi_ndctl_region(t)) \
	X(struct ndctl_region *, ndctl_region_get_next, "LIBNDCTL_3", \
		struct ndctl_region *, NULL) \
	X(unsigned int, ndctl_region_get_id, "LIBNDCTL_3", \
		struct ndctl_region *, 0) \
	X(struct ndctl_bus *, ndctl_region_get_bus, "LIBNDCTL_3", \
		struct ndctl_region *, pmemi_ndctl_bus(t)) \
	X(unsigned long long, ndctl_region_get_resource, "LIBNDCTL_3", \
		struct ndctl_region *, 0) \
	X(int, ndctl_region_get_numa_node, "LIBNDCTL_15", \
		struct ndctl_region *, 0) \
	X(struct badblock *, ndctl_region_get_first_badblock, "LIBNDCTL_3", \
		struct ndctl_region *, NULL) \
	X(struct badblock *, ndctl_region_get_next_badblock, "LIBNDCTL_3", \
		struct ndctl_region *, NULL) \
	X(struct ndctl_dimm *, ndctl_region_get_first_dimm, "LIBNDCTL_3", \
		struct ndctl_region *, pmemi_ndctl_dimm(t)) \
	X(struct ndctl_namespace *, ndctl_namespace_get_first, "LIBNDCTL_3", \
		struct ndctl_region *, pmemi_ndctl_ns_next(t, NULL)) \
	X(struct ndctl_namespace *, ndctl_namespace_get_next, "LIBNDCTL_3", \
		struct ndctl_namespace *, pmemi_ndctl_ns_next(t, arg)) \
	X(struct ndctl_btt *, ndctl_namespace_get_btt, "LIBNDCTL_3", \
		struct ndctl_namespace *, NULL) \
	X(struct ndctl_pfn *, ndctl_namespace_get_pfn, "LIBNDCTL_3", \
		struct ndctl_namespace *, NULL) \
	X(struct ndctl_dax *, ndctl_namespace_get_dax, "LIBNDCTL_3", \
		struct ndctl_namespace *, NULL) \
	X(const char *, ndctl_namespace_get_block_device, "LIBNDCTL_3", \
		struct ndctl_namespace *, pmemi_ndctl_ns_blockdev(t, arg)) \
	X(int, ndctl_namespace_get_mode, "LIBNDCTL_3", \
		struct ndctl_namespace *, PMEMI_NDCTL_NS_MODE_FSDAX) \
	X(unsigned long long, ndctl_namespace_get_resource, "LIBNDCTL_3", \
		struct ndctl_namespace *, 0) \
	X(unsigned long long, ndctl_namespace_get_size, "LIBNDCTL_3", \
		struct ndctl_namespace *, 0) \
	X(struct badblock *, ndctl_namespace_get_first_badblock, \
		"LIBNDCTL_18", struct ndctl_namespace *, \
		pmemi_ndctl_badblock_first(arg)) \
	X(struct badblock *, ndctl_namespace_get_next_badblock, \
		"LIBNDCTL_18", struct ndctl_namespace *, \
		pmemi_ndctl_badblock_next(arg)) \
	X(long long, ndctl_dimm_get_dirty_shutdown, "LIBNDCTL_18", \
		struct ndctl_dimm *, dimm_usc()) \
	X(const char *, ndctl_dimm_get_unique_id, "LIBNDCTL_3", \
		struct ndctl_dimm *, pmemi_ndctl_unique_id(t))

#endif
