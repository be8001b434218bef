/*
 * insn_trap.h -- the SIGTRAP side: emulation of patched sites (insn_trap.c)
 */
#ifndef PMEMU_SHIM_INSN_TRAP_H
#define PMEMU_SHIM_INSN_TRAP_H 1

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <ucontext.h>

#include "insn.h"

/*
 * true when this CPU executes site and a trap handler can read its source
 * operand (the xsave components of the signal frame that hold ymm/zmm).
 * A site that fails is left unpatched: natively it raises #UD anyway.
 */
bool insn_site_emulable(const struct insn_site *site);
/* the sorted table the handler searches; published atomically */
struct insn_table {
	size_t n;
	struct insn_site sites[];
};
void insn_table_publish(const struct insn_table *t);
const struct insn_table *insn_table_current(void);
/*
 * the SIGTRAP work: true if uc stopped at one of our patch sites, which
 * was then emulated (event emitted, rip moved past it); false otherwise:
 * the caller passes the signal on to whoever else wants it
 */
bool shim_insn_sigtrap(int sig, siginfo_t *si, void *uc);
/* traps taken so far at sites left with an int3 (no trampoline) */
unsigned long shim_insn_traps_taken(void);
/*
 * the emulation of site s in the context uc: the instruction performed,
 * its event emitted (a client request answered into %rdx); errno kept
 */
void insn_emulate(const struct insn_site *s, ucontext_t *uc);
/* installs the SIGTRAP handler once (chains to the previous one) */
int insn_trap_install(void);

#endif
