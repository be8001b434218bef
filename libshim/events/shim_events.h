/*
 * shim_events.h -- the one door from what the shim sees into the model
 *
 * Interposers (intercept_*.c), the plugin hooks (hooks.c) and the trap
 * handler for patched instructions (insn_trap.c) call these; they look up
 * the region of the address, emit model events into the in-process model
 * (findings) and the trace (when recording). Async-signal-safe, no malloc.
 */
#ifndef PMEMU_SHIM_EVENTS_H
#define PMEMU_SHIM_EVENTS_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* a store of len bytes at addr has happened; traced: its bytes are known
 * (read them now at addr), untraced: seen through page protection */
void shim_ev_store(void *addr, size_t len, bool traced, uint32_t site);
/* `count` traced stores of thread tid and one site, contiguous within
 * one 64-byte line, their bytes copied when they happened (the store
 * log, shim_store_log.c); lock held */
void shim_ev_store_logged(uintptr_t addr, size_t len, const void *bytes,
		uint32_t tid, uint32_t site, uint32_t count);
/* a non-temporal store of len bytes at addr has happened */
void shim_ev_nt_store(void *addr, size_t len, uint32_t site);
void shim_ev_movdir64b(void *addr, uint32_t site);
/* kind: MODEL_EV_CLWB, MODEL_EV_CLFLUSHOPT or MODEL_EV_CLFLUSH */
void shim_ev_flush(const void *addr, size_t len, enum model_ev kind,
		uint32_t site);
/* the flush (kind) of the 64-byte line at addr may wait in the store
 * log, its bytes copied to line now: true (shim_events.c, "Flushes in
 * the store log"); no lock */
bool shim_ev_flush_copy(const void *addr, enum model_ev kind,
		uint8_t line[64]);
/* that flush, by thread tid, with those bytes; lock held */
void shim_ev_flush_logged(uintptr_t addr, enum model_ev kind, uint32_t tid,
		uint32_t site, const uint8_t *line);
/* kind: MODEL_EV_SFENCE, MODEL_EV_MFENCE or MODEL_EV_LOCKED */
void shim_ev_fence(enum model_ev kind, uint32_t site);
/* shim_ev_flush then shim_ev_fence, one lock taken for both (libpmem's
 * pmem_persist: the same events, half the locking) */
void shim_ev_persist(const void *addr, size_t len, enum model_ev flush,
		enum model_ev fence, uint32_t site);
/* a copy of len bytes at addr (nt: non-temporal stores, else traced
 * stores flushed with clwb), then a fence, one lock taken for all
 * (libpmem's draining pmem_memcpy and pmem_memset: the events of
 * shim_ev_nt_store, or shim_ev_store and shim_ev_flush, then
 * shim_ev_fence) */
void shim_ev_copy_persist(void *addr, size_t len, bool nt,
		enum model_ev fence, uint32_t site);
/* a pmemu_crash_point() marker */
void shim_ev_marker(const char *name);

#endif
