/*
 * shim_hooks.h -- the plugin hooks' side of the shim (hooks.c)
 */
#ifndef PMEMU_SHIM_HOOKS_H
#define PMEMU_SHIM_HOOKS_H 1

/* every registered plugin slot becomes the hull of the mappings (lock
 * held; main.c makes it the mapping table's listener) */
void shim_hooks_update_slots(void);

#endif
