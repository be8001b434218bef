/*
 * shim_file.c -- the bodies of the mapping interceptors: mmap maps a
 * view read-only for dirty tracking, msync flushes and fences, munmap is
 * a clean shutdown of its range (MODEL.md); open is shim_open.c
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "real.h"
#include "shim_adopt.h"
#include "shim_core.h"
#include "shim_devdax.h"
#include "shim_far.h"
#include "shim_prog_prot.h"
#include "shim_dirty.h"
#include "shim_file.h"
#include "shim_pending.h"
#include "shim_poison.h"
#include "shim_region.h"
#include "shim_restored.h"
#include "shim_session.h"
#include "shim_site.h"
#include "shim_sync.h"
#include "shim_view.h"

/* shim_file_resized -- after ftruncate/fallocate on a view descriptor */
void
shim_file_resized(int fd)
{
	struct shim_region *r = shim_fd_region(fd);
	if (r == NULL)
		return;
	shim_lock();
	shim_region_resized(r);
	shim_unlock();
}

struct unmap_ctx {
	uintptr_t lo, hi;
};

/* unmap_one -- [lo, hi) of m goes away: its stores are settled and, as
 * on a clean shutdown, reach the media */
static void
unmap_one(struct shim_mapping *m, void *ctx)
{
	struct unmap_ctx *c = ctx;
	shim_dirty_alias_unmapped(m, c->lo, c->hi);
	uintptr_t lo = c->lo > m->base ? c->lo : m->base;
	uintptr_t hi = c->hi < m->base + m->len ? c->hi : m->base + m->len;
	if (lo >= hi)
		return;
	shim_dirty_settle_range(m, lo, hi);
	struct shim_region *r = m->region;
	uint64_t off = m->file_off + (lo - m->base);
	shim_restored_clean(r->id, off, hi - lo);
	struct model_event ev = { .kind = MODEL_EV_SHUTDOWN, .tid = shim_tid(),
		.region = r->id, .off = off, .len = hi - lo };
	/* a forked child leaves the media to the parent, which still maps
	 * it, and a process leaves it to another of the run that maps it */
	shim_session_lock();
	bool shared = shim_view_shared(r);
	shim_session_unlock();
	if (!shim_is_forked_child() && !shared) {
		shim_snapshot_unsynced(r, off, hi - lo);
		shim_emit_locked(&ev);
		shim_pending_drain_all();
		shim_media_sync(r, off, hi - lo);
	}
	if (lo == m->base && hi == m->base + m->len) {
		shim_dirty_alias_drop(m);
		shim_mapping_remove(m);
		return;
	}
	m->part_gone = true;
	if (m->tracked)
		for (uintptr_t a = lo; a < hi; a += SHIM_PAGE_LEN)
			m->page_state[(a - m->base) / SHIM_PAGE_LEN] =
				SHIM_PAGE_GONE;
}

/* shim_unmap_range -- munmap, or an mmap MAP_FIXED over our mappings */
void
shim_unmap_range(void *addr, size_t len)
{
	struct unmap_ctx c = { (uintptr_t)addr, (uintptr_t)addr + len };
	shim_lock();
	shim_mapping_for_each(unmap_one, &c);
	shim_mappings_changed();
	shim_unlock();
}

struct views_range {
	uintptr_t lo, hi;
};

static void
views_range_add(struct shim_mapping *m, void *ctx)
{
	struct views_range *v = ctx;
	if (m->base < v->lo)
		v->lo = m->base;
	if (m->base + m->len > v->hi)
		v->hi = m->base + m->len;
}

/*
 * view_mmap -- the view of a writable mapping the program lets the
 * kernel place goes right below the views already mapped, else right
 * above them, the first at the end of the views' area (shim_far.h),
 * each with MAP_FIXED_NOREPLACE: never over another mapping; else where
 * the kernel chooses. So pools mapped one after the other stay one
 * range of views, which plugin-built stores reach through their alias
 * (docs/shim.md, "Plugin-built stores through the alias"). Lock held.
 */
static void *
view_mmap(void *addr, size_t len, int prot, int vprot, int vflags, int fd,
		off_t off)
{
	if (addr != NULL || !(prot & PROT_WRITE) || len == 0 ||
			(vflags & (MAP_FIXED | MAP_FIXED_NOREPLACE)))
		return REAL(mmap)(addr, len, vprot, vflags, fd, off);
	struct views_range v = { UINTPTR_MAX, 0 };
	shim_mapping_for_each(views_range_add, &v);
	if (v.hi == 0)
		v.lo = shim_far_views_end();
	size_t n = (len + SHIM_PAGE_LEN - 1) & ~(size_t)(SHIM_PAGE_LEN - 1);
	uintptr_t want[2] = { v.lo > n ? v.lo - n : 0,
		v.hi % SHIM_PAGE_LEN == 0 ? v.hi : 0 };
	for (int i = 0; i < 2; i++) {
		void *p = shim_mmap_at(want[i], len, vprot, vflags, fd, off);
		if (p != MAP_FAILED)
			return p;
	}
	return REAL(mmap)(addr, len, vprot, vflags, fd, off);
}

void *
shim_file_mmap(void *addr, size_t len, int prot, int flags, int fd,
		off_t off)
{
	struct shim_region *r = shim_fd_region(fd);
	/* a shared mapping of a descriptor the shim did not see opened */
	if (!(flags & MAP_ANONYMOUS) && (flags & MAP_TYPE) != MAP_PRIVATE &&
			shim_file_adopt(fd, &r) != 0)
		return MAP_FAILED;
	if (flags & MAP_FIXED)
		shim_unmap_range(addr, len);
	if (shim_devdax_region(r) &&
			shim_devdax_mmap_args(&addr, len, &flags, off) != 0)
		return MAP_FAILED;
	if (r == NULL || (flags & MAP_TYPE) == MAP_PRIVATE)
		return REAL(mmap)(addr, len, prot, flags, fd, off);
	/* MAP_SYNC is validated only with MAP_SHARED_VALIDATE: a DAX file
	 * (adr, eadr) accepts it, a page cache file refuses it as the kernel
	 * does for a file without DAX (EOPNOTSUPP), so a program such as
	 * libpmemobj takes its msync path there. The view is tmpfs. */
	if ((flags & MAP_TYPE) == MAP_SHARED_VALIDATE && (flags & MAP_SYNC) &&
			r->domain == MODEL_DOMAIN_PAGECACHE) {
		errno = EOPNOTSUPP;
		return MAP_FAILED;
	}
	int vflags = (flags & ~(MAP_TYPE | MAP_SYNC)) | MAP_SHARED;
	int vprot = (prot & PROT_WRITE) ? (prot & ~PROT_WRITE) : prot;
	shim_lock();
	shim_region_resized(r);
	void *p = view_mmap(addr, len, prot, vprot, vflags, fd, off);
	if (p != MAP_FAILED) {
		struct shim_mapping *m = shim_mapping_add((uintptr_t)p, len,
			(uint64_t)off, r, prot);
		if (m == NULL) {
			REAL(munmap)(p, len);
			p = MAP_FAILED;
			errno = ENOMEM;
		} else {
			m->fd_read_only = (REAL(fcntl)(fd, F_GETFL) &
				O_ACCMODE) == O_RDONLY;
			shim_poison_protect(m);
		}
		shim_mappings_changed();
	}
	shim_unlock();
	return p;
}

int
shim_file_munmap(void *addr, size_t len)
{
	if (((uintptr_t)addr % SHIM_PAGE_LEN) == 0 && len != 0)
		shim_unmap_range(addr, len);
	return REAL(munmap)(addr, len);
}

struct sync_ctx {
	uintptr_t lo, hi;
	uint32_t site;
};

static void
msync_one(struct shim_mapping *m, void *ctx)
{
	struct sync_ctx *c = ctx;
	uintptr_t lo = c->lo > m->base ? c->lo : m->base;
	uintptr_t hi = c->hi < m->base + m->len ? c->hi : m->base + m->len;
	if (lo >= hi)
		return;
	shim_dirty_settle_range(m, lo, hi);
	shim_file_sync_locked(m->region, MODEL_EV_MSYNC,
		m->file_off + (lo - m->base), hi - lo, c->site);
}

int
shim_file_msync(void *addr, size_t len, int flags)
{
	const struct shim_mapping *dax = shim_mapping_lookup(addr);
	if (dax != NULL && shim_devdax_region(dax->region)) {
		errno = EINVAL; /* a device DAX has no fsync operation */
		return -1;
	}
	int ret = REAL(msync)(addr, len, flags);
	/* a failed msync (unaligned: EINVAL) flushed nothing; MS_ASYNC only
	 * schedules the write-back: neither is durable */
	if (ret != 0 || !(flags & MS_SYNC))
		return ret;
	int e = errno;
	uintptr_t lo = (uintptr_t)addr;
	uintptr_t hi = (lo + len + SHIM_PAGE_LEN - 1) & ~(uintptr_t)
		(SHIM_PAGE_LEN - 1);
	struct sync_ctx c = { lo, hi, shim_site_here() };
	shim_lock();
	shim_mapping_for_each(msync_one, &c);
	shim_unlock();
	errno = e;
	return ret;
}

/*
 * shim_file_madvise -- MADV_REMOVE frees a range of a shared mapping's
 * file, a punched hole: on a view mapping the view alone had it (the
 * media kept the old bytes, the model saw nothing). Its pages are
 * settled first (no twin keeps the old bytes to diff against), then the
 * range is a traced write of zeros, as fallocate's punch.
 */
int
shim_file_madvise(void *addr, size_t len, int advice)
{
	if (advice != MADV_REMOVE)
		return REAL(madvise)(addr, len, advice);
	uintptr_t lo = (uintptr_t)addr, hi = lo + len;
	shim_lock();
	struct shim_mapping *m = (struct shim_mapping *)
		shim_mapping_lookup(addr);
	struct shim_region *r = m != NULL ? m->region : NULL;
	uint64_t off = 0;
	if (m != NULL) {
		if (hi > m->base + m->len)
			hi = m->base + m->len;
		off = m->file_off + (lo - m->base);
		shim_dirty_settle_range(m, lo & ~(uintptr_t)(SHIM_PAGE_LEN - 1),
			hi);
	}
	shim_unlock();
	int ret = REAL(madvise)(addr, len, advice);
	if (ret == 0 && r != NULL) {
		int e = errno;
		shim_region_zeroed(r, off, hi - lo);
		errno = e;
	}
	return ret;
}

void *
shim_file_mremap(void *old, size_t old_len, size_t new_len, int flags,
		void *new_addr)
{
	shim_lock();
	struct shim_mapping *m = (struct shim_mapping *)
		shim_mapping_lookup(old);
	if (m == NULL || m->base != (uintptr_t)old) {
		shim_unlock();
		return REAL(mremap)(old, old_len, new_len, flags, new_addr);
	}
	shim_dirty_settle_range(m, m->base, m->base + m->len);
	shim_dirty_vma_join(m);
	struct shim_region *r = m->region;
	uint64_t off = m->file_off;
	int prot = m->prot;
	void *p = REAL(mremap)(old, old_len, new_len, flags, new_addr);
	if (p != MAP_FAILED) {
		shim_dirty_alias_drop(m);
		shim_mapping_remove(m);
		if (prot & PROT_WRITE)
			REAL(mprotect)(p, new_len, prot & ~PROT_WRITE);
		bool fd_read_only = m->fd_read_only;
		uint8_t *prog = m->page_prog; /* the new mapping takes it */
		size_t prog_n = (m->len + SHIM_PAGE_LEN - 1) / SHIM_PAGE_LEN;
		m->page_prog = NULL;
		struct shim_mapping *nm = shim_mapping_add((uintptr_t)p,
			new_len, off, r, prot);
		if (nm == NULL)
			shim_fatal("out of memory tracking a mapping");
		nm->fd_read_only = fd_read_only;
		shim_prog_prot_moved(nm, prog, prog_n);
		shim_poison_protect(nm);
		shim_mappings_changed();
	}
	shim_unlock();
	return p;
}
