/*
 * shim_join.h -- an exec'd image joins its run's trace (shim_join.c)
 */
#ifndef PMEMU_SHIM_JOIN_H
#define PMEMU_SHIM_JOIN_H 1

#include <stdbool.h>

#include "trace.h"

/* joins the trace at path an earlier image of the run opened, with ids
 * of its own (shim_join.c); owner: this process opened it (it exec'd),
 * so it ends it; 0 or -errno */
int shim_join(const char *path, bool owner, struct trace_writer **w);

#endif
