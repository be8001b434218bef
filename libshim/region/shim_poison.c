/*
 * shim_poison.c -- the table of poisoned lines and the protection of the
 * pages that hold them (shim_poison.h)
 *
 * Entries are appended under shim_lock and published with their state
 * (release); the fault handlers read them without a lock. A cleared
 * entry keeps its slot and is set again if the line is poisoned again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "real.h"
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_poison.h"

struct shim_poison_line shim_poison_lines[SHIM_POISON_MAX];
uint32_t shim_poison_count;
int shim_poison_unsaved;

/* rel -- path under dir/, or NULL */
static const char *
rel(const char *path, const char *dir)
{
	size_t n = dir ? strlen(dir) : 0;
	if (n == 0 || strncmp(path, dir, n) != 0 || path[n] != '/')
		return NULL;
	return path + n + 1;
}

bool
shim_poison_name(const struct shim_region *r, char *name, size_t len)
{
	const char *n = rel(r->path, shim_opts()->pmem_dir);
	if (n == NULL)
		n = rel(r->path, shim_opts()->image_dir);
	if (n == NULL || strlen(n) >= len || strlen(n) >= SHIM_POISON_NAME_MAX)
		return false;
	strcpy(name, n);
	return true;
}

static uint8_t
state_of(const struct shim_poison_line *p)
{
	return __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
}

/* find -- the slot of line `off` of `name`, or NULL */
static struct shim_poison_line *
find(const char *name, uint64_t off)
{
	for (uint32_t i = 0; i < shim_poison_count; i++) {
		struct shim_poison_line *p = &shim_poison_lines[i];
		if (p->off == off && strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

/* region_named -- the region of `name` if it is open (lock held) */
struct named_ctx {
	const char *name;
	const struct shim_region *found;
};

static void
named_one(struct shim_region *r, void *ctx)
{
	struct named_ctx *c = ctx;
	char n[SHIM_POISON_NAME_MAX];
	if (c->found == NULL && shim_poison_name(r, n, sizeof(n)) &&
			strcmp(n, c->name) == 0)
		c->found = r;
}

static const struct shim_region *
region_named(const char *name)
{
	struct named_ctx c = { name, NULL };
	shim_region_for_each(named_one, &c);
	return c.found;
}

/* resolve -- the lines of r's file know r (lock held) */
static void
resolve(const struct shim_region *r)
{
	char name[SHIM_POISON_NAME_MAX];
	if (shim_poison_count == 0 || !shim_poison_name(r, name, sizeof(name)))
		return;
	for (uint32_t i = 0; i < shim_poison_count; i++)
		if (shim_poison_lines[i].region != r &&
				strcmp(shim_poison_lines[i].name, name) == 0)
			shim_poison_lines[i].region = r;
}

/* reprotect -- every page of r's mappings in [lo, hi) as it may be now */
struct reprotect_ctx {
	const struct shim_region *r;
	uint64_t lo, hi;
};

static void
reprotect_one(struct shim_mapping *m, void *ctx)
{
	const struct reprotect_ctx *c = ctx;
	if (m->region != c->r)
		return;
	uint64_t lo = c->lo > m->file_off ? c->lo : m->file_off;
	uint64_t hi = c->hi < m->file_off + m->len ? c->hi :
		m->file_off + m->len;
	for (uint64_t o = lo - lo % SHIM_PAGE_LEN; o < hi; o += SHIM_PAGE_LEN) {
		if (o < m->file_off)
			continue;
		uintptr_t page = m->base + (o - m->file_off);
		REAL(mprotect)((void *)page, SHIM_PAGE_LEN,
			shim_poison_page_prot(m, page,
				shim_dirty_page_prot(m, page)));
	}
}

static void
reprotect(const struct shim_region *r, uint64_t lo, uint64_t hi)
{
	if (r == NULL)
		return;
	struct reprotect_ctx c = { r, lo, hi };
	shim_mapping_for_each(reprotect_one, &c);
}

int
shim_poison_add(const char *name, uint64_t off, uint64_t len, bool mine)
{
	const struct shim_region *r = region_named(name);
	uint64_t lo = off - off % SHIM_POISON_LINE;
	uint64_t hi = off + len;
	for (uint64_t o = lo; o < hi; o += SHIM_POISON_LINE) {
		struct shim_poison_line *p = find(name, o);
		if (p == NULL) {
			if (shim_poison_count == SHIM_POISON_MAX)
				return -ENOSPC;
			p = &shim_poison_lines[shim_poison_count];
			strcpy(p->name, name);
			p->off = o;
			__atomic_store_n(&shim_poison_count,
				shim_poison_count + 1, __ATOMIC_RELEASE);
		}
		p->region = r;
		p->written = 0;
		if (mine)
			p->mine = SHIM_POISON_MINE_ADDED;
		__atomic_store_n(&p->state, SHIM_POISON_SET, __ATOMIC_RELEASE);
	}
	shim_mappings_changed(); /* no store through an alias from now */
	reprotect(r, lo, hi);
	return 0;
}

size_t
shim_poison_clear(const struct shim_region *r, uint64_t off, uint64_t len,
		bool whole)
{
	size_t n = 0;
	resolve(r);
	for (uint32_t i = 0; i < shim_poison_count; i++) {
		struct shim_poison_line *p = &shim_poison_lines[i];
		bool in = whole ? p->off >= off &&
			p->off + SHIM_POISON_LINE <= off + len :
			p->off < off + len && p->off + SHIM_POISON_LINE > off;
		if (p->region != r || !in || state_of(p) != SHIM_POISON_SET)
			continue;
		__atomic_store_n(&p->state, SHIM_POISON_CLEARED,
			__ATOMIC_RELEASE);
		p->mine = SHIM_POISON_MINE_CLEARED;
		n++;
	}
	if (n > 0)
		reprotect(r, off, off + len);
	return n;
}

bool
shim_poison_any(const struct shim_region *r, uint64_t off, uint64_t len)
{
	uint32_t n = __atomic_load_n(&shim_poison_count, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < n; i++) {
		const struct shim_poison_line *p = &shim_poison_lines[i];
		if (p->region == r && p->off < off + len &&
				p->off + SHIM_POISON_LINE > off &&
				state_of(p) == SHIM_POISON_SET)
			return true;
	}
	return false;
}

uint64_t
shim_poison_readable(const struct shim_region *r, uint64_t off, uint64_t len)
{
	uint64_t end = off + len;
	uint32_t n = __atomic_load_n(&shim_poison_count, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < n; i++) {
		const struct shim_poison_line *p = &shim_poison_lines[i];
		if (p->region == r && p->off < end &&
				p->off + SHIM_POISON_LINE > off &&
				state_of(p) == SHIM_POISON_SET)
			end = p->off > off ? p->off : off;
	}
	return end - off;
}

int
shim_poison_page_prot(const struct shim_mapping *m, uintptr_t page,
		int prot)
{
	uint64_t off = m->file_off + (page - m->base);
	return shim_poison_any(m->region, off, SHIM_PAGE_LEN) ? PROT_NONE :
		prot;
}

void
shim_poison_protect(struct shim_mapping *m)
{
	if (shim_poison_count == 0)
		return;
	resolve(m->region);
	struct reprotect_ctx c = { m->region, m->file_off,
		m->file_off + m->len };
	reprotect_one(m, &c);
}

/* line_cmp -- file order of two lines of one region */
static int
line_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void
shim_poison_for_each_run(const struct shim_region *r,
		void (*fn)(uint64_t off, uint64_t len, void *ctx), void *ctx)
{
	static uint64_t offs[SHIM_POISON_MAX]; /* lock held */
	size_t n = 0;
	resolve(r);
	for (uint32_t i = 0; i < shim_poison_count; i++)
		if (shim_poison_lines[i].region == r &&
				state_of(&shim_poison_lines[i]) ==
				SHIM_POISON_SET)
			offs[n++] = shim_poison_lines[i].off;
	qsort(offs, n, sizeof(offs[0]), line_cmp);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && offs[j] == offs[j - 1] + SHIM_POISON_LINE)
			j++;
		fn(offs[i], offs[j - 1] + SHIM_POISON_LINE - offs[i], ctx);
		i = j;
	}
}

uint64_t
shim_poison_extent_base(const struct shim_region *r)
{
	return (uint64_t)r->id << 40;
}
