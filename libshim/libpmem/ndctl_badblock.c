/*
 * ndctl_badblock.c -- the emulated namespaces' bad blocks
 * (ndctl_badblock.h): every emulated file's poisoned lines
 * (region/shim_poison.h), each file at its own place in the namespace
 * (shim_poison_extent_base: the physical offset its FIEMAP extent
 * reports, intercept_fiemap.c), in 512-byte sectors as the kernel's
 * badblocks list. libpmem2 keeps the blocks that fall in the file's
 * extents, so a namespace may list every file's: only the file's own
 * survive (PMDK src/libpmem2/badblocks_ndctl.c, pmem2_badblock_next).
 *
 * libndctl is not thread-safe per context; neither is this iterator
 * (one list per namespace object, rebuilt by each _first).
 */
#include <stdint.h>
#include <stdlib.h>

#include "ndctl_badblock.h"
#include "shim_core.h"
#include "shim_fatal.h"
#include "shim_poison.h"
#include "shim_region.h"

#define SECTOR 512u
#define LISTS_MAX 16

/* as <ndctl/libndctl.h> */
struct badblock {
	unsigned long long offset; /* sectors from the namespace's start */
	unsigned int len;          /* sectors */
};

struct ns_list {
	const void *ns;
	struct badblock *bb;
	size_t n, cap, next;
};

static struct ns_list lists[LISTS_MAX];

/* list_of -- ns's list, reused or taken (the oldest slot goes) */
static struct ns_list *
list_of(const void *ns)
{
	static size_t victim;
	for (size_t i = 0; i < LISTS_MAX; i++)
		if (lists[i].ns == ns)
			return &lists[i];
	struct ns_list *l = &lists[victim++ % LISTS_MAX];
	l->ns = ns;
	return l;
}

struct add_ctx {
	struct ns_list *l;
	uint64_t base;
};

static void
add_run(uint64_t off, uint64_t len, void *arg)
{
	struct add_ctx *c = arg;
	struct ns_list *l = c->l;
	uint64_t first = (c->base + off) / SECTOR;
	uint64_t last = (c->base + off + len - 1) / SECTOR;
	if (l->n > 0 && l->bb[l->n - 1].offset + l->bb[l->n - 1].len >=
			first) {
		l->bb[l->n - 1].len = (unsigned)(last + 1 -
			l->bb[l->n - 1].offset);
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->bb = realloc(l->bb, l->cap * sizeof(*l->bb));
		if (l->bb == NULL)
			shim_fatal("out of memory listing bad blocks");
	}
	l->bb[l->n].offset = first;
	l->bb[l->n].len = (unsigned)(last + 1 - first);
	l->n++;
}

static void
add_region(struct shim_region *r, void *arg)
{
	struct add_ctx c = { arg, shim_poison_extent_base(r) };
	shim_poison_for_each_run(r, add_run, &c);
}

struct badblock *
pmemi_ndctl_badblock_first(const void *ns)
{
	struct ns_list *l = list_of(ns);
	l->n = l->next = 0;
	shim_lock();
	shim_region_for_each(add_region, l);
	shim_unlock();
	return pmemi_ndctl_badblock_next(ns);
}

struct badblock *
pmemi_ndctl_badblock_next(const void *ns)
{
	struct ns_list *l = list_of(ns);
	return l->next < l->n ? &l->bb[l->next++] : NULL;
}
