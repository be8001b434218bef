/*
 * insn_patch.h -- the loaded objects: scanned and patched (insn_patch.c)
 */
#ifndef PMEMU_SHIM_INSN_PATCH_H
#define PMEMU_SHIM_INSN_PATCH_H 1

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <ucontext.h>

#include "insn.h"

int shim_insn_init(void);
void shim_insn_on_dlopen(void *handle);
/*
 * locked instructions (lock prefix, xchg with memory) in the scanned,
 * uninstrumented code: fences pmemu does not see. A report whose verdict
 * may depend on them says so (docs/raw-instructions.md).
 */
unsigned shim_insn_locked_sites(void);
/* jump mode: patch sites that could not take a jump and trap (int3) */
unsigned shim_insn_trapping_sites(void);
/* "libfoo.so.1 (3), prog (1)": modules with locked sites, into buf */
size_t shim_insn_locked_describe(char *buf, size_t len);

#endif
