/*
 * shim_file.h -- internal helpers shared by the file, mapping and write
 * interceptors (shim_file.c, shim_sync.c) and the plugin hooks
 */
#ifndef PMEMU_SHIM_FILE_H
#define PMEMU_SHIM_FILE_H 1

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model.h"
#include "shim_region.h"

/* after ftruncate/fallocate on a descriptor: follow the view's size */
void shim_file_resized(int fd);
/* munmap of [addr, addr+len), or an mmap MAP_FIXED over it */
void shim_unmap_range(void *addr, size_t len);
/* msync/fsync of [off, off+len) of r: snapshot (record), the event, the
 * calling thread's write-backs and the range reach the media; lock held */
void shim_file_sync_locked(struct shim_region *r, enum model_ev kind,
		uint64_t off, uint64_t len, uint32_t site);
/* fsync/fdatasync/sync_file_range of a view descriptor */
void shim_file_fsync(int fd, uint64_t off, uint64_t len);
/* write/pwrite/writev put len bytes of buf at off of fd's file */
void shim_file_written(int fd, uint64_t off, const void *buf, size_t len);
/* record mode: a SNAPSHOT of each line of [off, off+len) whose view
 * differs from the media (before a flush of the whole range); lock held */
void shim_snapshot_unsynced(struct shim_region *r, uint64_t off,
		uint64_t len);
/* mremap of an emulated mapping: settled, then tracked at its new place */
void *shim_file_mremap(void *old, size_t old_len, size_t new_len, int flags,
		void *new_addr);

#endif
