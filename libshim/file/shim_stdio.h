/*
 * shim_stdio.h -- stdio streams of emulated files (shim_stdio.c)
 */
#ifndef PMEMU_SHIM_STDIO_H
#define PMEMU_SHIM_STDIO_H 1

#include <stdio.h>

/*
 * the open flags an fopen mode means (r, w, a, then any of + b x e m c,
 * glibc's); -1 for any other mode (",ccs=", an unknown letter), which the
 * shim refuses on an emulated file rather than guess
 */
int shim_fopen_flags(const char *mode);
/* fopen of an emulated file (shim_file_emulated): a stream of its view
 * whose reads and writes are the program's (traced) calls; NULL and
 * errno as fopen (EINVAL: a mode shim_fopen_flags refuses, said) */
FILE *shim_file_fopen(const char *path, const char *mode);
/* what the program's streams hold, flushed while the shim still traces
 * (exit flushes them only after the shim's shutdown) */
void shim_stdio_flush(void);

#endif
