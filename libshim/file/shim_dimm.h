/*
 * shim_dimm.h -- the emulated DIMM of the pmem dir, as the program sees it
 * (shim_dimm.c; docs/model.md, "Unsafe shutdown count")
 */
#ifndef PMEMU_SHIM_DIMM_H
#define PMEMU_SHIM_DIMM_H 1

#include "dimm.h"

/*
 * the DIMM of the files the program opens under the pmem dir: in a check
 * of a crash image (PMEMU_IMAGE) the image's .pmemu-dimm, else the pmem
 * dir's; the defaults without one. A malformed file stops the program
 * (shim_fatal). Not for hot paths: it reads the file.
 */
void shim_dimm_read(struct trace_dimm *d);

#endif
