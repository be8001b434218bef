/*
 * shim_devdax.h -- device DAX: a file named dax<R>.<N> under the pmem dir
 * behaves as the character device /dev/dax<R>.<N> (docs/shim.md, "Device
 * DAX"): fixed size, shared mappings 2 MiB aligned only, no read, write,
 * fsync, truncate or fallocate (the kernel's errors), stat says S_IFCHR
 */
#ifndef PMEMU_SHIM_DEVDAX_H
#define PMEMU_SHIM_DEVDAX_H 1

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "shim_region.h"

#define SHIM_DEVDAX_ALIGN (2u << 20) /* the default device alignment */
#define SHIM_DEVDAX_MAJOR 1000u      /* st_rdev major: none of Linux's */

/* the last component of path is dax<R>.<N> (decimal R and N) */
bool shim_devdax_name(const char *path);
/* r is a device DAX region */
bool shim_devdax_region(const struct shim_region *r);
/* the program descriptor fd names a device DAX */
bool shim_devdax_fd(int fd);
/* st, filled by a stat of a regular file named path: as the kernel
 * fills it for a device DAX when the name is one */
void shim_devdax_stat_fill(const char *path, struct stat *st);
/* ... when (dirfd, path) is under the pmem dir (intercept_devdax.c) */
void shim_devdax_stat(int dirfd, const char *path, struct stat *st);
/* the same for statx (an empty path with AT_EMPTY_PATH: dirfd's file) */
void shim_devdax_statx(int dirfd, const char *path, int flags,
		struct statx *stx);

/*
 * mmap of a device DAX: MAP_PRIVATE, a length, offset or MAP_FIXED
 * address not 2 MiB aligned: -1, errno EINVAL (the kernel's dax_mmap);
 * else 0 with *addr an aligned free address and MAP_FIXED in *flags
 */
int shim_devdax_mmap_args(void **addr, size_t len, int *flags, off_t off);

/* in an interposer after SHIM_ENTER: a device DAX has no such operation */
#define SHIM_DEVDAX_REFUSE(fd, err, fail) \
	do { \
		if (shim_devdax_fd(fd)) { \
			shim_errno_ = (err); \
			SHIM_LEAVE(); \
			return (fail); \
		} \
	} while (0)

#endif
