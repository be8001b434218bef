/*
 * insn_store_run.h -- the write-fault handler runs the faulting store
 * itself instead of single-stepping it (insn_store_run.c)
 */
#ifndef PMEMU_SHIM_INSN_STORE_RUN_H
#define PMEMU_SHIM_INSN_STORE_RUN_H 1

#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

/*
 * the instruction at uc's pc, which faulted writing addr, when it is a
 * plain store (insn_store.c) wholly inside [page, page + 4096): its
 * bytes written at the same offsets of `to` (a writable mapping of the
 * same page, or page itself once writable), uc's pc past it; false
 * (nothing written, uc untouched) for anything else. Signal handler.
 */
bool insn_store_run(ucontext_t *uc, uintptr_t addr, uintptr_t page,
		uintptr_t to);

#endif
