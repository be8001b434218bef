/*
 * shim_line_site.h -- the sites of stores seen by page protection
 * (shim_line_site.c)
 */
#ifndef PMEMU_SHIM_LINE_SITE_H
#define PMEMU_SHIM_LINE_SITE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim_region.h"

/* the first write fault of page pg of m, by the store at site, hit
 * addr: its line is named exactly (signal handler, page held) */
void shim_line_site_fault(struct shim_mapping *m, size_t pg, uintptr_t addr,
		uint32_t site);
/* a later fault of the stepped page pg: true when addr's line had no
 * store yet (named exactly; keep stepping), false when it had (a fill:
 * stop stepping; the site becomes the line's last known) */
bool shim_line_site_refault(struct shim_mapping *m, size_t pg,
		uintptr_t addr, uint32_t site);
/* the site for a change found in the line at a, and whether it is that
 * store's own; evidence (a flush call covering the line, or 0) becomes
 * the line's last known site */
uint32_t shim_line_site_of(struct shim_mapping *m, uintptr_t a,
		uint32_t evidence, bool *exact);
/* shim_line_site_of of each line of page pg whose bit (line j: bit j)
 * is set in `lines`, into sites[j]; the exact ones' bits */
uint64_t shim_line_sites_of(struct shim_mapping *m, size_t pg,
		uint64_t lines, uint32_t evidence, uint32_t *sites);
/* page pg is protected again: what was known of its lines is stale */
void shim_line_site_forget(struct shim_mapping *m, size_t pg);
/* a call at site named [lo, hi) before storing there (a TX_ADD): the
 * unchanged lines of writable pages in it take site as their last known
 * (their next stores will not fault); lock held */
void shim_line_site_announced(struct shim_mapping *m, uintptr_t lo,
		uintptr_t hi, uint32_t site);
/* some page of [lo, hi) of m is writable (announcing is worth a site) */
bool shim_line_site_writable(const struct shim_mapping *m, uintptr_t lo,
		uintptr_t hi);

#endif
