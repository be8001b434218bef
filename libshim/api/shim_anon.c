/*
 * shim_anon.c -- pmemu_register_pmem: a range of memory with no file
 * behind it (a malloc'd or anonymous buffer) becomes emulated pmem
 *
 * The range, rounded in to whole pages, becomes a region named
 * "anon:<name>" whose media is a hidden file in PMEMU_TMPDIR holding the
 * range's content at registration (durable, as a pool file's content is
 * when a program maps it). The range is then replaced in place
 * (MAP_FIXED) by a shared mapping of the region's view, as if the program
 * had mapped a file there: stores are seen by page protection, flushes
 * and fences (pmemu_flush/pmemu_fence, plugin hooks, patched instructions)
 * work as on any view. Unregistering is a clean shutdown of the range
 * (MODEL.md); the memory becomes private anonymous memory again, with the
 * content it had.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "real.h"
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_file.h"
#include "shim_region.h"

/* round_in -- [addr, addr+len) shrunk to whole pages; false if none */
static bool
round_in(void *addr, size_t len, uintptr_t *lo, uintptr_t *hi)
{
	uintptr_t a = (uintptr_t)addr, page = SHIM_PAGE_LEN;
	if (addr == NULL || len == 0 || a + len < a)
		return false;
	*lo = (a + page - 1) & ~(page - 1);
	*hi = (a + len) & ~(page - 1);
	return *lo < *hi;
}

struct overlap_ctx {
	uintptr_t lo, hi;
	bool found;
};

static void
overlap_one(struct shim_mapping *m, void *ctx)
{
	struct overlap_ctx *c = ctx;
	if (m->base < c->hi && c->lo < m->base + m->len)
		c->found = true;
}

/* anon_media -- the hidden media file, holding the range's content */
static int
anon_media(const void *addr, size_t len)
{
	char tmpl[4200];
	snprintf(tmpl, sizeof(tmpl), "%s/pmemu-anon-%ld-XXXXXX",
		shim_opts()->tmpdir, (long)getpid());
	int fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0)
		return -1;
	REAL(unlink)(tmpl);
	if (REAL(ftruncate)(fd, (off_t)len) != 0 ||
			REAL(pwrite)(fd, addr, len, 0) != (ssize_t)len) {
		int e = errno;
		REAL(close)(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
shim_anon_register(void *addr, size_t len, const char *name)
{
	uintptr_t lo, hi;
	if (!round_in(addr, len, &lo, &hi)) {
		errno = EINVAL;
		return -1;
	}
	struct overlap_ctx c = { lo, hi, false };
	shim_lock();
	shim_mapping_for_each(overlap_one, &c);
	int fd = c.found ? -1 : anon_media((void *)lo, hi - lo);
	if (fd < 0) {
		shim_unlock();
		errno = c.found ? EEXIST : errno;
		return -1;
	}
	char path[300];
	snprintf(path, sizeof(path), "anon:%.256s", name);
	struct shim_region *r = shim_region_of_fd(fd, path);
	/* the view holds the content now: it replaces the memory in place */
	void *p = r == NULL ? MAP_FAILED : REAL(mmap)((void *)lo, hi - lo,
			PROT_READ, MAP_SHARED | MAP_FIXED, r->view_fd, 0);
	if (p == MAP_FAILED || shim_mapping_add(lo, hi - lo, 0, r,
			PROT_READ | PROT_WRITE) == NULL)
		shim_fatal("pmemu_register_pmem(%s): cannot map its "
			"view: %s", name, strerror(errno));
	shim_mappings_changed();
	shim_unlock();
	return 0;
}

int
shim_anon_unregister(void *addr, size_t len)
{
	uintptr_t lo, hi;
	const struct shim_mapping *m = round_in(addr, len, &lo, &hi) ?
		shim_mapping_lookup((void *)lo) : NULL;
	if (m == NULL || m->base != lo || m->len != hi - lo ||
			strncmp(m->region->path, "anon:", 5) != 0) {
		errno = EINVAL;
		return -1;
	}
	int view_fd = m->region->view_fd;
	shim_unmap_range((void *)lo, hi - lo); /* a clean shutdown */
	/* private memory again, with the view's content, in one step */
	void *tmp = REAL(mmap)(NULL, hi - lo, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tmp == MAP_FAILED ||
			REAL(pread)(view_fd, tmp, hi - lo, 0) != (ssize_t)(hi - lo) ||
			REAL(mremap)(tmp, hi - lo, hi - lo, MREMAP_MAYMOVE |
				MREMAP_FIXED, (void *)lo) == MAP_FAILED)
		shim_fatal("pmemu_unregister_pmem: cannot restore the "
			"memory: %s", strerror(errno));
	return 0;
}
