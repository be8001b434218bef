/*
 * intercept_fiemap.c -- ioctl(FS_IOC_FIEMAP) on an emulated file: one
 * extent, the whole file, at its own place in its namespace
 *
 * libpmem2 and libpmemobj (pool open with the CHECK_BAD_BLOCKS feature)
 * map a file's extents onto its namespace before they read its bad blocks
 * (PMDK src/libpmem2/extent_linux.c). The descriptor of an emulated file
 * is a view file (often on tmpfs, which has no FIEMAP); the media is one
 * file per namespace (docs/shim.md, "Unsafe shutdown count"); each file
 * has its own place in it (shim_poison_extent_base), so that the
 * namespace's bad blocks of one file are not another's (ndctl_badblock.c).
 * Any other request whose answer goes into emulated pmem has its pages
 * opened first (shim_kernel_fill.c).
 */
#include <errno.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "intercept_fill.h"
#include "shim_core.h"
#include "shim_options.h"
#include "shim_poison.h"
#include "shim_region.h"

/* fiemap_answer -- fm (as FS_IOC_FIEMAP fills it) for a file of len
 * bytes at physical offset base of its namespace; 0 or -1 with errno */
static int
fiemap_answer(struct fiemap *fm, uint64_t len, uint64_t base)
{
	if (fm->fm_flags & ~(uint32_t)FIEMAP_FLAG_SYNC) {
		errno = EBADR; /* the kernel's answer to flags it lacks */
		return -1;
	}
	bool hit = len > 0 && fm->fm_start < len;
	fm->fm_mapped_extents = hit;
	if (!hit || fm->fm_extent_count == 0)
		return 0;
	struct fiemap_extent *e = &fm->fm_extents[0];
	memset(e, 0, sizeof(*e));
	e->fe_logical = 0;
	e->fe_physical = base;
	e->fe_length = (len + 4095) & ~(uint64_t)4095;
	e->fe_flags = FIEMAP_EXTENT_LAST;
	return 0;
}

SHIM_INTERCEPTOR(int, ioctl, int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	SHIM_ENTER(ioctl, fd, req, arg);
	struct stat st;
	int ret;
	const struct shim_options *o = shim_opts();
	struct shim_region *r = req == FS_IOC_FIEMAP &&
		(o->ndctl || o->badblocks != NULL) ? shim_fd_region(fd) : NULL;
	if (r != NULL && REAL(fstat)(fd, &st) == 0) {
		ret = fiemap_answer(arg, (uint64_t)st.st_size,
			shim_poison_extent_base(r));
	} else {
		long raw[6] = { fd, (long)req, L(arg) };
		shim_kernel_fill(SYS_ioctl, raw); /* its answer into pmem */
		ret = REAL(ioctl)(fd, req, arg);
	}
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return ret;
}
