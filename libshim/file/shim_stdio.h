/*
 * shim_stdio.h -- stdio streams of emulated files (shim_stdio.c)
 */
#ifndef PMEMU_SHIM_STDIO_H
#define PMEMU_SHIM_STDIO_H 1

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>

/*
 * the open flags an fopen mode means (r, w, a, then any of + b x e m c,
 * glibc's); -1 for any other mode (",ccs=", an unknown letter), which the
 * shim refuses on an emulated file rather than guess
 */
int shim_fopen_flags(const char *mode);
/* fopen of an emulated file (shim_file_emulated): a stream of its view,
 * io its calls (their cookie: the view descriptor, which fileno gives);
 * NULL and errno as fopen (EINVAL: a mode shim_fopen_flags refuses,
 * said). The stream's close must shim_file_close the descriptor. */
FILE *shim_file_fopen(const char *path, const char *mode,
		cookie_io_functions_t io);
/* fdopen of a view descriptor (shim_fd_region): such a stream of it;
 * NULL and errno as fdopen, the descriptor left open */
FILE *shim_file_fdopen(int fd, const char *mode, cookie_io_functions_t io);

#endif
