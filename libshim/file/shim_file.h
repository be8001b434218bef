/*
 * shim_file.h -- the bodies of the file and mapping interceptors
 * (shim_file.c)
 */
#ifndef PMEMU_SHIM_FILE_H
#define PMEMU_SHIM_FILE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "model.h"
#include "shim_region.h"

/*
 * The bodies of the file interceptors, for interposers of higher level
 * APIs (pmem_map_file, pmem2_map_new): call them from inside an
 * interceptor (SHIM_ENTER done). Each behaves as the libc function of the
 * same name, emulating the file when it is under the pmem dir. openat,
 * close: shim_open.c; the mappings: shim_file.c.
 */
int shim_file_openat(int dirfd, const char *path, int flags, mode_t mode);
/* true when shim_file_openat of path (from the cwd) would emulate it */
bool shim_file_emulated(const char *path);
/* the same for (dirfd, path); follow: a symbolic link ending it too */
bool shim_file_emulated_at(int dirfd, const char *path, bool follow);
int shim_file_close(int fd);
/* the view descriptors the image inherited at exec name their views
 * (shim_inherit.c) */
void shim_file_inherit(void);
/* fd, unknown to the shim, is a view's (received over a socket, met at
 * mmap): it names that view now (or that it cannot is said): true */
bool shim_file_inherit_fd(int fd);
void *shim_file_mmap(void *addr, size_t len, int prot, int flags, int fd,
		off_t off);
int shim_file_munmap(void *addr, size_t len);
int shim_file_msync(void *addr, size_t len, int flags);
/* madvise: MADV_REMOVE on a view mapping is a punched hole */
int shim_file_madvise(void *addr, size_t len, int advice);
/* a stat (statx) of fd, when it is a view's, made the file's: the
 * media's but for the size (shim_file_stat.c) */
void shim_file_stat(int fd, struct stat *st);
void shim_file_statx(int fd, unsigned mask, struct statx *stx);
/* path is /proc/self/fd/N (/dev/fd/N...) of a view descriptor: target
 * (size bytes) gets the file's path, as the kernel's link says it: true */
bool shim_file_fd_link(const char *path, char *target, size_t size);
/* after ftruncate/fallocate on a descriptor: follow the view's size */
void shim_file_resized(int fd);
/* fallocate (posix: posix_fallocate) of a view descriptor that allocates
 * (mode 0 or FALLOC_FL_KEEP_SIZE): done on the media, the view only grown
 * (shim_allocate.c); 0 or the call's error number, -1 when it is not
 * such a call (the caller makes the real one) */
int shim_file_allocate(int fd, int mode, off_t off, off_t len, bool posix);
/* munmap of [addr, addr+len), or an mmap MAP_FIXED over it */
void shim_unmap_range(void *addr, size_t len);
/* the program's mprotect (pkey_mprotect with_pkey) of [addr, addr+len):
 * where it meets a tracked mapping, settled and kept per page, the
 * write bit left to tracking (shim_mprotect.c) */
int shim_file_mprotect(void *addr, size_t len, int prot, bool with_pkey,
		int pkey);
/* mremap of an emulated mapping: settled, then tracked at its new place */
void *shim_file_mremap(void *old, size_t old_len, size_t new_len, int flags,
		void *new_addr);

#endif
