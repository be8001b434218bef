/*
 * shim_sync.h -- what makes a file's ranges durable: msync, fsync,
 * write (shim_sync.c)
 */
#ifndef PMEMU_SHIM_SYNC_H
#define PMEMU_SHIM_SYNC_H 1

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "shim_region.h"

/* msync/fsync of [off, off+len) of r: snapshot (record), the event, the
 * calling thread's write-backs and the range reach the media; lock held */
void shim_file_sync_locked(struct shim_region *r, enum model_ev kind,
		uint64_t off, uint64_t len, uint32_t site);
/* fsync/fdatasync/sync_file_range of a view descriptor */
void shim_file_fsync(int fd, uint64_t off, uint64_t len);
/* sync (fd -1): every emulated file durable, as fsync makes one;
 * syncfs(fd): those on fd's file system */
void shim_file_sync_all(int fd);
/* write/pwrite/writev put len bytes of buf at off of fd's file (durable
 * at once on a descriptor with O_SYNC or O_DSYNC) */
void shim_file_written(int fd, uint64_t off, const void *buf, size_t len);
/* fallocate(FALLOC_FL_PUNCH_HOLE) of [off, off+len) on fd: the poisoned
 * lines inside are cleared (shim_poison.h), and the range, inside the
 * file, is a traced write of zeros */
void shim_file_punched(int fd, uint64_t off, uint64_t len);
/* [off, off+len) of r's file reads zeros now (a punched hole): cleared
 * bad blocks, and inside the file a traced write of zeros */
void shim_region_zeroed(struct shim_region *r, uint64_t off, uint64_t len);
/* record mode: a SNAPSHOT of each line of [off, off+len) whose view
 * differs from the media (before a flush of the whole range); lock held */
void shim_snapshot_unsynced(struct shim_region *r, uint64_t off,
		uint64_t len);

#endif
