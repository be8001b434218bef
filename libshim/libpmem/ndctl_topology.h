/*
 * ndctl_topology.h -- the pmem dir as libndctl objects (ndctl_topology.c):
 * one bus, region0 on one DIMM (nmem0), a namespace per filesystem the
 * program's pmem files live on, each with a block device whose
 * /sys/block/<name>/dev names that filesystem's device, as PMDK matches a
 * file to its namespace (docs/shim.md, "Unsafe shutdown count"), and a
 * devdax namespace per device DAX file the program opened, whose daxctl
 * device /dev/<name> has the file's st_rdev (docs/shim.md, "Device DAX")
 */
#ifndef PMEMU_SHIM_NDCTL_TOPOLOGY_H
#define PMEMU_SHIM_NDCTL_TOPOLOGY_H 1

#include <stddef.h>

#include "ndctl_types.h"

enum pmemi_ndctl_kind {
	PMEMI_NDCTL_REAL,   /* not one of ours: the real libndctl's */
	PMEMI_NDCTL_CTX,    /* a context made without the real libndctl */
	PMEMI_NDCTL_BUS,
	PMEMI_NDCTL_REGION,
	PMEMI_NDCTL_NAMESPACE,
	PMEMI_NDCTL_DIMM,
	PMEMI_NDCTL_DAX,         /* a devdax namespace's struct ndctl_dax */
	PMEMI_NDCTL_DAX_REGION,  /* its struct daxctl_region */
	PMEMI_NDCTL_DAX_DEV,     /* the region's one struct daxctl_dev */
};

struct pmemi_ndctl;  /* the emulated objects of one context */

/* a topology for the context ctx (a real one, or NULL: then *fake is the
 * context to hand out); NULL when nothing is emulated (no pmem dir) */
struct pmemi_ndctl *pmemi_ndctl_new(struct ndctl_ctx *ctx,
		struct ndctl_ctx **fake);
/* in a forked child: the list's lock is free again */
void pmemi_ndctl_forked(void);
/* the topology of context ctx (removed from the list), or NULL */
struct pmemi_ndctl *pmemi_ndctl_take(struct ndctl_ctx *ctx);
void pmemi_ndctl_delete(struct pmemi_ndctl *t);
/* what p is: one of our objects (its topology in *t) or a real one */
enum pmemi_ndctl_kind pmemi_ndctl_kind(const void *p,
		struct pmemi_ndctl **t);
/* the bus of the context (its first), or NULL */
struct ndctl_bus *pmemi_ndctl_bus_of(struct ndctl_ctx *ctx);
/* the real context under t, or NULL */
struct ndctl_ctx *pmemi_ndctl_real_ctx(struct pmemi_ndctl *t);
struct ndctl_bus *pmemi_ndctl_bus(struct pmemi_ndctl *t);
struct ndctl_region *pmemi_ndctl_region(struct pmemi_ndctl *t);
struct ndctl_dimm *pmemi_ndctl_dimm(struct pmemi_ndctl *t);
/* the namespace after ns (NULL: the first), or NULL */
struct ndctl_namespace *pmemi_ndctl_ns_next(struct pmemi_ndctl *t,
		const void *ns);
/* a namespace's block device name: "../../<dir>", so that libpmem2's
 * "/sys/block/<name>/dev" is a file pmemu wrote */
const char *pmemi_ndctl_ns_blockdev(struct pmemi_ndctl *t, const void *ns);
/* a namespace's mode (enum ndctl_namespace_mode) and size (devdax: the
 * device's, fsdax 0) */
int pmemi_ndctl_ns_mode(struct pmemi_ndctl *t, const void *ns);
unsigned long long pmemi_ndctl_ns_size(struct pmemi_ndctl *t,
		const void *ns);
/* a devdax namespace's dax device, NULL for fsdax */
struct ndctl_dax *pmemi_ndctl_ns_dax(struct pmemi_ndctl *t, const void *ns);
unsigned long long pmemi_ndctl_dax_size(struct pmemi_ndctl *t,
		const void *dax);
struct daxctl_region *pmemi_ndctl_dax_region(struct pmemi_ndctl *t,
		const void *dax);
/* the daxctl region's one device, and its name ("../..<file>") */
struct daxctl_dev *pmemi_ndctl_daxctl_dev(struct pmemi_ndctl *t,
		const void *region);
const char *pmemi_ndctl_daxctl_devname(struct pmemi_ndctl *t,
		const void *dev);
/* the DIMM's unique id, kept in t until the next call */
const char *pmemi_ndctl_unique_id(struct pmemi_ndctl *t);

#endif
