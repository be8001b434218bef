/*
 * shim_badblock_spec.h -- `--badblock FILE:OFFSET:LEN` (PMEMU_BADBLOCK:
 * several, comma-separated): the syntax only, pure C (the files are
 * checked at start, region/shim_poison_option.c)
 */
#ifndef PMEMU_SHIM_BADBLOCK_SPEC_H
#define PMEMU_SHIM_BADBLOCK_SPEC_H 1

#include <stddef.h>
#include <stdint.h>

/*
 * the next FILE:OFFSET:LEN of *spec (OFFSET and LEN in bytes, decimal or
 * 0x hex; FILE relative, no '..' component); *spec moves past it and its
 * comma. 1 one read, 0 at the end, -1 malformed (LEN 0 included).
 * FILE may hold ':' (the last two fields are the numbers).
 */
int shim_badblock_next(const char **spec, char *file, size_t flen,
		uint64_t *off, uint64_t *len);

#endif
