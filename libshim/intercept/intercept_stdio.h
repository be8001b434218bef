/*
 * intercept_stdio.h -- the program's standard streams on views
 * (intercept_stdio.c)
 */
#ifndef PMEMU_SHIM_INTERCEPT_STDIO_H
#define PMEMU_SHIM_INTERCEPT_STDIO_H 1

/* stdout, stderr: the shim's streams when their descriptor is a view's */
void shim_std_streams(void);

#endif
