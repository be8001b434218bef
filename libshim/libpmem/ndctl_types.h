/*
 * ndctl_types.h -- the libndctl functions libpmemu.so answers, declared
 * here as <ndctl/libndctl.h> and <daxctl/libdaxctl.h> declare them: the
 * shim builds and runs without libndctl (a program that uses it brings
 * it)
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
struct daxctl_region;
struct daxctl_dev;

/* enum ndctl_namespace_mode's NDCTL_NS_MODE_FSDAX and _DEVDAX */
#define PMEMI_NDCTL_NS_MODE_FSDAX 0
#define PMEMI_NDCTL_NS_MODE_DEVDAX 3

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
		struct ndctl_namespace *, pmemi_ndctl_ns_dax(t, arg)) \
	X(const char *, ndctl_namespace_get_block_device, "LIBNDCTL_3", \
		struct ndctl_namespace *, pmemi_ndctl_ns_blockdev(t, arg)) \
	X(int, ndctl_namespace_get_mode, "LIBNDCTL_3", \
		struct ndctl_namespace *, pmemi_ndctl_ns_mode(t, arg)) \
	X(unsigned long long, ndctl_namespace_get_resource, "LIBNDCTL_3", \
		struct ndctl_namespace *, 0) \
	X(unsigned long long, ndctl_namespace_get_size, "LIBNDCTL_3", \
		struct ndctl_namespace *, pmemi_ndctl_ns_size(t, arg)) \
	X(struct badblock *, ndctl_namespace_get_first_badblock, \
		"LIBNDCTL_18", struct ndctl_namespace *, \
		pmemi_ndctl_badblock_first(arg)) \
	X(struct badblock *, ndctl_namespace_get_next_badblock, \
		"LIBNDCTL_18", struct ndctl_namespace *, \
		pmemi_ndctl_badblock_next(arg)) \
	X(long long, ndctl_dimm_get_dirty_shutdown, "LIBNDCTL_18", \
		struct ndctl_dimm *, dimm_usc()) \
	X(const char *, ndctl_dimm_get_unique_id, "LIBNDCTL_3", \
		struct ndctl_dimm *, pmemi_ndctl_unique_id(t)) \
	X(unsigned long long, ndctl_dax_get_size, "LIBNDCTL_3", \
		struct ndctl_dax *, pmemi_ndctl_dax_size(t, arg)) \
	X(unsigned long, ndctl_dax_get_align, "LIBNDCTL_3", \
		struct ndctl_dax *, (unsigned long)SHIM_DEVDAX_ALIGN) \
	X(unsigned long long, ndctl_dax_get_resource, "LIBNDCTL_3", \
		struct ndctl_dax *, 0) \
	X(struct daxctl_region *, ndctl_dax_get_daxctl_region, "LIBNDCTL_3", \
		struct ndctl_dax *, pmemi_ndctl_dax_region(t, arg)) \
	X(struct daxctl_dev *, daxctl_dev_get_first, "LIBDAXCTL_2", \
		struct daxctl_region *, pmemi_ndctl_daxctl_dev(t, arg)) \
	X(struct daxctl_dev *, daxctl_dev_get_next, "LIBDAXCTL_2", \
		struct daxctl_dev *, NULL) \
	X(const char *, daxctl_dev_get_devname, "LIBDAXCTL_2", \
		struct daxctl_dev *, pmemi_ndctl_daxctl_devname(t, arg))

#endif
