/*
 * shim_findings.h -- findings and the clean shutdown (shim_findings.c)
 */
#ifndef PMEMU_SHIM_FINDINGS_H
#define PMEMU_SHIM_FINDINGS_H 1

#include "trace.h"

/* the status exit() was called with (END record) */
void shim_set_exit_status(int status);


/* diff every dirty page, then clean shutdown of everything (exit) */
void shim_shutdown(int status);
/* the same at exec: this image's mappings vanish; the writer stays */
void shim_shutdown_exec(void);
/* writes the model's findings to the writer (exit and crash points) */
void shim_findings_write(enum trace_finding_when when);

#endif
