/*
 * shim_store_log.h -- plugin-built stores of one thread, buffered without
 * the lock and emitted when the lock is next taken (shim_store_log.c)
 */
#ifndef PMEMU_SHIM_STORE_LOG_H
#define PMEMU_SHIM_STORE_LOG_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "pmemu_hooks.h"

/* how many of the count stores of size bytes at addr, addr + size, ...
 * (their bytes read now, at addr + read_delta: the same bytes through
 * the views' alias, or 0) are in the log, from the first: 0 when this
 * thread does not own the log or a store is too long, fewer when the log
 * fills (emit the others through shim_ev_store) */
size_t shim_store_log_append(void *addr, size_t size, size_t count,
		uintptr_t read_delta, const struct pmemu_srcloc *loc);
/* the flush (kind: clwb or clflushopt) of the line at addr waits in the
 * log when this thread owns it and the line may (shim_ev_flush_copy):
 * true; else emit it through shim_ev_flush */
bool shim_store_log_flush(const void *addr, enum model_ev kind,
		const struct pmemu_srcloc *loc);
/* fn says whether flushes may wait in the log now (main.c: no hook wants
 * each when it happens); unset: never */
void shim_store_log_set_flush(bool (*fn)(void));
/* this thread owns the log if no thread does yet (takes the lock once) */
void shim_store_log_claim(void);
/* every logged store becomes a model event, in order; lock held */
void shim_store_log_drain(void);
/* fn says whether stores may be merged now (main.c: no transaction is
 * open, whose check keeps each store's range); unset: never */
void shim_store_log_set_merge(bool (*fn)(void));
/* the child of a fork: the entries are the parent's; its thread owns the
 * log only if it owned it in the parent */
void shim_store_log_forked(void);

#endif
