/*
 * shim_tx.h -- pmemcheck's transactions and clean ranges, as libpmemobj
 * declares them with Valgrind client requests (client_request.c)
 *
 * A thread's transaction (START_TX .. END_TX, nested by count) collects
 * the ranges added to it (ADD_TO_TX; a range added once counts for the
 * whole transaction, REMOVE_FROM_TX does not take it back: page
 * protection does not tell when in the transaction a store happened).
 * Stores seen while it is open (the model's STORE/NT events) that no
 * added range, SET_CLEAN range or global ignore range covers are judged
 * at END_TX: MODEL_FIND_TX_UNADDED at the store's site.
 * docs/client-requests.md. Tables are preallocated: no malloc in the trap.
 */
#ifndef PMEMU_SHIM_TX_H
#define PMEMU_SHIM_TX_H 1

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#include "model.h"

/* transactions open now, all threads (the emission hook's fast test) */
extern atomic_uint shim_tx_open_count;

/* SET_CLEAN: [addr, addr+len) need not persist: its dirty lines are
 * diffed and snapshotted as a flush would, then MODEL_EV_SET_CLEAN */
void shim_ev_set_clean(const void *addr, size_t len, uint32_t site);

/*
 * REMOVE_PMEM_MAPPING: a part of a pool is not pmem (libpmemobj's
 * run-time state in its pool descriptor): its stores are settled and
 * made clean now, at every later removal and at each END_TX, and they
 * never count in a transaction. Removing a whole mapping only settles.
 */
void shim_pmem_remove(const void *addr, size_t len);

/* the calling thread's transaction */
void shim_tx_start(void);
void shim_tx_end(void);
/* ADD_TO_TX; bytes this transaction stored there before are
 * MODEL_FIND_TX_ADD_LATE, with the add's site taken from uc (may be NULL) */
void shim_tx_add(const void *addr, size_t len, const ucontext_t *uc);
/* ADD_TO_GLOBAL_TX_IGNORE: stores here never count, in any transaction */
void shim_tx_ignore(const void *addr, size_t len);

/* every event the shim emits, under shim_lock (shim_emit_locked) */
void shim_tx_event_slow(const struct model_event *ev);
static inline void
shim_tx_event(const struct model_event *ev)
{
	if (atomic_load_explicit(&shim_tx_open_count,
			memory_order_relaxed) != 0)
		shim_tx_event_slow(ev);
}

#endif
