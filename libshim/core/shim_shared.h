/*
 * shim_shared.h -- lines shared by the processes of a run (shim_shared.c)
 */
#ifndef PMEMU_SHIM_SHARED_H
#define PMEMU_SHIM_SHARED_H 1

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

/* lines shared by the processes of a run (shim_shared.c): the table is
 * area (shim_shared_size() zero bytes every process of the run maps: the
 * session's) or, without one, made before the first fork; each event of
 * the model passes through it first once the process is not alone; at
 * exit a store nobody flushed is reported once (shim_shared_exit.c) */
size_t shim_shared_size(void);
void shim_shared_start(void *area, bool first);
void shim_shared_forking(void);
void shim_shared_forked(void);
void shim_shared_event(const struct model_event *ev);
/* this process uses the table: shim_shared_event may act */
bool shim_shared_in_use(void);
/* the table knows region id's domain (a process that adopts a store of a
 * region it never mapped) */
void shim_shared_region(uint32_t id, enum model_domain domain);
void shim_shared_exit(bool exec);
/* this process holds its emission lock (a call of the shim) from begin to
 * end: the run's end does not read the table in between
 * (shim_shared_section.c); begin waits while it reads it */
void shim_shared_section_begin(void);
void shim_shared_section_end(void);

#endif
