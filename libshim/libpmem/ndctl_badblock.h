/*
 * ndctl_badblock.h -- a namespace's bad blocks as libndctl lists them
 * (ndctl_namespace_get_first_badblock / _next_badblock), for the
 * namespaces of the emulated topology (ndctl_topology.h)
 */
#ifndef PMEMU_SHIM_NDCTL_BADBLOCK_H
#define PMEMU_SHIM_NDCTL_BADBLOCK_H 1

#include "ndctl_types.h"

/* the first bad block of namespace ns (the list is taken now), the next
 * one, or NULL after the last */
struct badblock *pmemi_ndctl_badblock_first(const void *ns);
struct badblock *pmemi_ndctl_badblock_next(const void *ns);

#endif
