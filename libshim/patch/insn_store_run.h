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

/*
 * the instruction at uc's pc, right after a store insn_store_run ran
 * from from_pc and on the same page of code, when it is a plain store
 * that writes within one 64-byte chunk (so within one line) and would
 * not raise #GP for its alignment: its first byte's address in *ea, the
 * address its write fault would give. Nothing is written. Signal
 * handler.
 */
bool insn_store_next(const ucontext_t *uc, uintptr_t from_pc,
		uintptr_t *ea);

#endif
