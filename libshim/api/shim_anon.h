/*
 * shim_anon.h -- emulated ranges with no file (shim_anon.c)
 */
#ifndef PMEMU_SHIM_ANON_H
#define PMEMU_SHIM_ANON_H 1

#include <stddef.h>

/* ranges with no file (pmemu_register_pmem, shim_anon.c): addr and len
 * rounded in to whole pages; 0, or -1 with errno */
int shim_anon_register(void *addr, size_t len, const char *name);
int shim_anon_unregister(void *addr, size_t len);

#endif
