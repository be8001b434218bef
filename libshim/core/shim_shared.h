/*
 * shim_shared.h -- lines shared by the processes of a run (shim_shared.c)
 */
#ifndef PMEMU_SHIM_SHARED_H
#define PMEMU_SHIM_SHARED_H 1

#include "model.h"

/* lines shared by the processes of a run (shim_shared.c): the table is
 * made before the first fork, used after it; each event of the model
 * passes through it first; at exit a child leaves its unflushed lines,
 * the first process takes what is left (lock held) */
void shim_shared_forking(void);
void shim_shared_forked(void);
void shim_shared_event(const struct model_event *ev);
void shim_shared_exit(void);

#endif
