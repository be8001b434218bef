/*
 * intercept_map.c -- mmap, munmap, mremap, msync, madvise of emulated files
 */
#include <stdarg.h>
#include <sys/mman.h>

#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_file.h"
#include "shim_intercept.h"
#include "shim_region.h"

/* mmap -- a shared mapping of a view descriptor starts read-only */
SHIM_INTERCEPTOR(void *, mmap, void *addr, size_t len, int prot, int flags,
		int fd, off_t off)
{
	SHIM_ENTER(mmap, addr, len, prot, flags, fd, off);
	void *p = shim_file_mmap(addr, len, prot, flags, fd, off);
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return p;
}

SHIM_INTERCEPTOR(void *, mmap64, void *addr, size_t len, int prot,
		int flags, int fd, off_t off)
{
	SHIM_ENTER(mmap64, addr, len, prot, flags, fd, off);
	void *p = shim_file_mmap(addr, len, prot, flags, fd, off);
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return p;
}

/* munmap -- a clean shutdown of the range: stores reach the media */
SHIM_INTERCEPTOR(int, munmap, void *addr, size_t len)
{
	SHIM_ENTER(munmap, addr, len);
	int ret = shim_file_munmap(addr, len);
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return ret;
}

/* msync -- MS_SYNC on an emulated range flushes its pages, then fences */
SHIM_INTERCEPTOR(int, msync, void *addr, size_t len, int flags)
{
	SHIM_ENTER(msync, addr, len, flags);
	int ret = shim_file_msync(addr, len, flags);
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return ret;
}

/* madvise -- MADV_REMOVE of a view range punches the file: traced */
SHIM_INTERCEPTOR(int, madvise, void *addr, size_t len, int advice)
{
	SHIM_ENTER(madvise, addr, len, advice);
	int ret = shim_file_madvise(addr, len, advice);
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return ret;
}

/* mprotect -- the program's protection of view pages is kept: tracking
 * opens none it made read-only, and none behind its back it made
 * writable (file/shim_mprotect.c) */
SHIM_INTERCEPTOR(int, mprotect, void *addr, size_t len, int prot)
{
	SHIM_ENTER(mprotect, addr, len, prot);
	int ret = shim_file_mprotect(addr, len, prot, false, 0);
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return ret;
}

SHIM_INTERCEPTOR(int, pkey_mprotect, void *addr, size_t len, int prot,
		int pkey)
{
	SHIM_ENTER(pkey_mprotect, addr, len, prot, pkey);
	int ret = shim_file_mprotect(addr, len, prot, true, pkey);
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return ret;
}

/*
 * mremap -- the stores of the old range are settled and the mapping is
 * tracked again at its new place, all read-only
 */
SHIM_INTERCEPTOR(void *, mremap, void *old, size_t old_len, size_t new_len,
		int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	void *new_addr = (flags & MREMAP_FIXED) ? va_arg(ap, void *) : NULL;
	va_end(ap);
	SHIM_ENTER(mremap, old, old_len, new_len, flags, new_addr);
	void *p = shim_file_mremap(old, old_len, new_len, flags, new_addr);
	SHIM_SAVE_ERRNO();
	SHIM_LEAVE();
	return p;
}

