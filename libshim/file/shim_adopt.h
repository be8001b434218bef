/*
 * shim_adopt.h -- descriptors of emulated files the shim did not see
 * opened, adopted when mapped (shim_adopt.c)
 */
#ifndef PMEMU_SHIM_ADOPT_H
#define PMEMU_SHIM_ADOPT_H 1

#include "shim_region.h"

/*
 * the region of fd, about to be mapped shared: *r is the table's
 * (shim_fd_region), checked to be its view still, else forgotten; an fd
 * the table does not know whose file is emulated is put in the place of
 * a view descriptor (same number, access mode, status flags, close-on-
 * exec and offset) and *r is its region. 0, *r NULL for a file the shim
 * does not emulate; -1 (said, errno ENODEV) when an emulated file cannot
 * be adopted: the mapping must fail, never be the media's
 */
int shim_file_adopt(int fd, struct shim_region **r);

#endif
