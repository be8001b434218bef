/*
 * shim_restored.h -- value-restoring stores at a clean shutdown
 * (shim_restored.c)
 */
#ifndef PMEMU_SHIM_RESTORED_H
#define PMEMU_SHIM_RESTORED_H 1

#include <stdint.h>

/*
 * before a clean shutdown of [off, off+len) of region (MODEL_REGION_ALL:
 * every region): the in-process model settles, without a finding, the
 * lines whose view equals their media and that have nothing in flight
 * (shim_restored.c); the trace keeps every store for exploration
 */
void shim_restored_clean(uint32_t region, uint64_t off, uint64_t len);

#endif
