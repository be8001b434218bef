/* lazy_emul.h -- instructions the fault handler runs itself instead of
 * stepping them with the trap flag (lazy_emul.c) */
#ifndef PMEMU_LAZY_EMUL_H
#define PMEMU_LAZY_EMUL_H
#include <capstone/capstone.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* insn, decoded at uc's pc (a ucontext_t), has one memory operand, at
 * ea, whose bytes prot (PROT_* of their page) lets it access now: its
 * load and store done, its destination register and arithmetic flags
 * written into uc, the pc past it; false (uc untouched) when it is not a
 * form emulated here */
bool lw_emul_access(void *uc, const cs_insn *insn, uintptr_t ea, int prot)
	__attribute__((visibility("hidden")));
/* the element size of the string instruction (movs, cmps, stos, lods,
 * scas) of the n bytes at code, from its bytes (capstone 4 ignores an
 * operand-size prefix before a rep one: 66 f3 ab is rep stosw, not
 * stosd), and whether it has a rep prefix; 0 for any other instruction */
unsigned lw_emul_string_size(const uint8_t *code, size_t n, bool *rep)
	__attribute__((visibility("hidden")));
/* the element size of insn when it is rep movs or rep stos with no
 * prefix but rep, an operand size and REX (what lw_emul_rep runs); else 0 */
unsigned lw_emul_rep_size(const cs_insn *insn)
	__attribute__((visibility("hidden")));
/* true when the instruction at pc is the one lw_emul_rep is running for
 * a rep string instruction of element size (a fault there is its own) */
bool lw_emul_rep_at(uintptr_t pc, unsigned size)
	__attribute__((visibility("hidden")));
/* runs insn (lw_emul_rep_size: size) from uc's registers to its end
 * here, by the same instruction: its faults reach the handler as the
 * check's would, at the same element; rsi, rdi, rcx written back into uc
 * and the pc past it */
void lw_emul_rep(void *uc, const cs_insn *insn, unsigned size)
	__attribute__((visibility("hidden")));

#endif
