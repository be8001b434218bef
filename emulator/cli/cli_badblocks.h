/*
 * cli_badblocks.h -- the bad blocks the shim keeps beside a pmem dir
 * (DIR.pmemu/badblocks, docs/shim.md "Bad blocks"), for `pmemu list
 * --media-errors`
 */
#ifndef PMEMU_CLI_BADBLOCKS_H
#define PMEMU_CLI_BADBLOCKS_H 1

#include <stdio.h>

/*
 * prints `,"badblock_count":N,"badblocks":[{"offset":S,"length":L}...]`
 * (ndctl list --media-errors: 512-byte sectors from the start of the
 * namespace, merged) for the file `name` of the pmem dir `dir`, indented
 * for a namespace object; returns N
 */
size_t cli_badblocks_print(const char *dir, const char *name, FILE *out);

#endif
