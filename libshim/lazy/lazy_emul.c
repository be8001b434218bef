/*
 * lazy_emul.c -- libpmemu-lazy.so: the instructions the fault handler runs
 * itself, after their lines are decided and their page opened, instead of
 * stepping them with the trap flag (lazy_step.c): a single-step trap
 * costs ~4 times a fault, and a rep string instruction stepped traps once
 * per element.
 *
 * - moves between a general register and memory (mov, movzx, movsx,
 *   movsxd) and the integer ALU forms add, sub, and, or, xor, cmp, test
 *   with one memory operand, a register or an immediate: the ALU
 *   operation itself runs here on the values (so the flags are the
 *   processor's), the destination is written as the processor does (a
 *   32-bit register zeroes its upper half, an 8 or 16-bit one keeps the
 *   rest);
 * - rep movs and rep stos: the same instruction runs here, from the
 *   check's registers; a page it reaches later faults into the handler as
 *   the check's instruction would have (lazy_step.c).
 *
 * Anything else (a lock, rep or segment prefix on those forms, an
 * address-size prefix, vector registers, the 16-bit rep forms) is stepped
 * as before.
 * Async-signal-safe: no call but the instruction's own memory access.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <capstone/capstone.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "lazy_emul.h"

/* the arithmetic flags (CF PF AF ZF SF OF) an ALU instruction writes */
#define LW_ARITH_FLAGS 0x8d5ull
#define LW_DF 0x400 /* rflags' direction flag */

/* a general register as capstone names it: its greg, size and shift
 * (8: ah, bh, ch, dh) */
struct gpr_part {
	unsigned cs;
	int greg;
	unsigned char size, shift;
};

#define GPR_PARTS(q, d, w, b, g) \
	{ X86_REG_##q, g, 8, 0 }, { X86_REG_##d, g, 4, 0 }, \
	{ X86_REG_##w, g, 2, 0 }, { X86_REG_##b, g, 1, 0 }

static const struct gpr_part gpr_parts[] = {
	GPR_PARTS(RAX, EAX, AX, AL, REG_RAX),
	GPR_PARTS(RBX, EBX, BX, BL, REG_RBX),
	GPR_PARTS(RCX, ECX, CX, CL, REG_RCX),
	GPR_PARTS(RDX, EDX, DX, DL, REG_RDX),
	GPR_PARTS(RSI, ESI, SI, SIL, REG_RSI),
	GPR_PARTS(RDI, EDI, DI, DIL, REG_RDI),
	GPR_PARTS(RBP, EBP, BP, BPL, REG_RBP),
	GPR_PARTS(RSP, ESP, SP, SPL, REG_RSP),
	GPR_PARTS(R8, R8D, R8W, R8B, REG_R8),
	GPR_PARTS(R9, R9D, R9W, R9B, REG_R9),
	GPR_PARTS(R10, R10D, R10W, R10B, REG_R10),
	GPR_PARTS(R11, R11D, R11W, R11B, REG_R11),
	GPR_PARTS(R12, R12D, R12W, R12B, REG_R12),
	GPR_PARTS(R13, R13D, R13W, R13B, REG_R13),
	GPR_PARTS(R14, R14D, R14W, R14B, REG_R14),
	GPR_PARTS(R15, R15D, R15W, R15B, REG_R15),
	{ X86_REG_AH, REG_RAX, 1, 8 }, { X86_REG_BH, REG_RBX, 1, 8 },
	{ X86_REG_CH, REG_RCX, 1, 8 }, { X86_REG_DH, REG_RDX, 1, 8 },
};

static const struct gpr_part *
gpr_part(unsigned cs)
{
	for (size_t i = 0; i < sizeof(gpr_parts) / sizeof(gpr_parts[0]); i++)
		if (gpr_parts[i].cs == cs)
			return &gpr_parts[i];
	return NULL;
}

static uint64_t
size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static uint64_t
reg_get(const ucontext_t *uc, const struct gpr_part *r)
{
	uint64_t v = (uint64_t)uc->uc_mcontext.gregs[r->greg];
	return (v >> r->shift) & size_mask(r->size);
}

/* reg_set -- as the processor writes r: a 32-bit register zero-extends
 * into its 64-bit one (SDM vol. 1, 3.4.1.1), 8 and 16-bit ones keep the
 * other bits */
static void
reg_set(ucontext_t *uc, const struct gpr_part *r, uint64_t v)
{
	greg_t *g = &uc->uc_mcontext.gregs[r->greg];
	uint64_t m = size_mask(r->size) << r->shift;
	if (r->size == 4)
		*g = (greg_t)(uint32_t)v;
	else
		*g = (greg_t)(((uint64_t)*g & ~m) | ((v << r->shift) & m));
}

/* mem_load/mem_store -- one access of size bytes, as the instruction
 * makes it (volatile: not split, not merged) */
static uint64_t
mem_load(uintptr_t ea, unsigned size)
{
	switch (size) {
	case 1: return *(volatile uint8_t *)ea;
	case 2: return *(volatile uint16_t *)ea;
	case 4: return *(volatile uint32_t *)ea;
	default: return *(volatile uint64_t *)ea;
	}
}

static void
mem_store(uintptr_t ea, unsigned size, uint64_t v)
{
	switch (size) {
	case 1: *(volatile uint8_t *)ea = (uint8_t)v; break;
	case 2: *(volatile uint16_t *)ea = (uint16_t)v; break;
	case 4: *(volatile uint32_t *)ea = (uint32_t)v; break;
	default: *(volatile uint64_t *)ea = v; break;
	}
}

/* ALU_FN -- MN a, b (Intel order) on T by the instruction itself: the
 * result and rflags after it */
#define ALU_FN(MN, T, N) \
static uint64_t \
alu_##MN##N(uint64_t a, uint64_t b, uint64_t *flags) \
{ \
	T x = (T)a, y = (T)b; \
	uint64_t f; \
	__asm__(#MN " %2, %0\n\tpushfq\n\tpopq %1" \
		: "+r"(x), "=&r"(f) : "r"(y) : "cc"); \
	*flags = f; \
	return x; \
}
#define ALU_FNS(MN) ALU_FN(MN, uint8_t, 8) ALU_FN(MN, uint16_t, 16) \
	ALU_FN(MN, uint32_t, 32) ALU_FN(MN, uint64_t, 64)
ALU_FNS(add) ALU_FNS(sub) ALU_FNS(and) ALU_FNS(or) ALU_FNS(xor)
ALU_FNS(cmp) ALU_FNS(test)

typedef uint64_t alu_fn(uint64_t a, uint64_t b, uint64_t *flags);

/* an ALU instruction: its operation by size (1, 2, 4, 8 bytes) and
 * whether it writes its destination (cmp and test do not) */
static const struct alu_op {
	unsigned id;
	alu_fn *fn[4];
	bool writes;
} alu_ops[] = {
#define ALU_OP(ID, MN, W) \
	{ X86_INS_##ID, { alu_##MN##8, alu_##MN##16, alu_##MN##32, \
		alu_##MN##64 }, W }
	ALU_OP(ADD, add, true), ALU_OP(SUB, sub, true),
	ALU_OP(AND, and, true), ALU_OP(OR, or, true), ALU_OP(XOR, xor, true),
	ALU_OP(CMP, cmp, false), ALU_OP(TEST, test, false),
#undef ALU_OP
};

static const struct alu_op *
alu_op(unsigned id)
{
	for (size_t i = 0; i < sizeof(alu_ops) / sizeof(alu_ops[0]); i++)
		if (alu_ops[i].id == id)
			return &alu_ops[i];
	return NULL;
}

static alu_fn *
alu_sized(const struct alu_op *op, unsigned size)
{
	switch (size) {
	case 1: return op->fn[0];
	case 2: return op->fn[1];
	case 4: return op->fn[2];
	case 8: return op->fn[3];
	default: return NULL;
	}
}

/* sign_extend -- v, size bytes, as a signed 64-bit value */
static uint64_t
sign_extend(uint64_t v, unsigned size)
{
	unsigned shift = 64 - 8 * size;
	return (uint64_t)((int64_t)(v << shift) >> shift);
}

/* plain_prefixes -- no prefix changes what the operands say: no lock
 * (another process sharing the page), no rep (a mandatory prefix of
 * another instruction), no segment (fs, gs: a base), no address size
 * (32-bit addresses) */
static bool
plain_prefixes(const cs_x86 *x)
{
	return x->prefix[0] == 0 && x->prefix[1] == 0 && x->prefix[3] == 0;
}

/* the operand other than the memory one: a register or an immediate */
struct other {
	const struct gpr_part *reg; /* NULL: imm */
	uint64_t imm;
};

static bool
other_operand(const cs_x86_op *op, struct other *o)
{
	o->reg = NULL;
	o->imm = 0;
	if (op->type == X86_OP_IMM) {
		o->imm = (uint64_t)op->imm;
		return true;
	}
	o->reg = op->type == X86_OP_REG ? gpr_part(op->reg) : NULL;
	return o->reg != NULL;
}

static uint64_t
other_value(const ucontext_t *uc, const struct other *o)
{
	return o->reg ? reg_get(uc, o->reg) : o->imm;
}

/* load_ext -- movzx, movsx, movsxd reg, [m]: the register written */
static bool
load_ext(ucontext_t *uc, const cs_x86 *x, unsigned id, uintptr_t ea,
		int prot)
{
	const cs_x86_op *d = &x->operands[0], *s = &x->operands[1];
	const struct gpr_part *r = d->type == X86_OP_REG ? gpr_part(d->reg) :
		NULL;
	if (r == NULL || r->shift != 0 || s->type != X86_OP_MEM ||
			!(prot & PROT_READ) || s->size >= r->size ||
			(s->size != 1 && s->size != 2 && s->size != 4))
		return false;
	uint64_t v = mem_load(ea, s->size);
	reg_set(uc, r, id == X86_INS_MOVZX ? v : sign_extend(v, s->size));
	return true;
}

/* move -- mov reg, [m]; mov [m], reg|imm */
static bool
move(ucontext_t *uc, const cs_x86 *x, uintptr_t ea, int prot)
{
	const cs_x86_op *d = &x->operands[0], *s = &x->operands[1];
	struct other o;
	if (s->type == X86_OP_MEM) {
		const struct gpr_part *r = d->type == X86_OP_REG ?
			gpr_part(d->reg) : NULL;
		if (r == NULL || r->size != s->size || !(prot & PROT_READ))
			return false;
		reg_set(uc, r, mem_load(ea, s->size));
		return true;
	}
	if (!other_operand(s, &o) || (o.reg && o.reg->size != d->size) ||
			!(prot & PROT_WRITE))
		return false;
	mem_store(ea, d->size, other_value(uc, &o));
	return true;
}

/* alu -- OP reg, [m]; OP [m], reg|imm: flags, and the destination unless
 * cmp or test */
static bool
alu(ucontext_t *uc, const cs_x86 *x, const struct alu_op *op, uintptr_t ea,
		int prot)
{
	const cs_x86_op *d = &x->operands[0], *s = &x->operands[1];
	bool to_mem = d->type == X86_OP_MEM;
	const cs_x86_op *m = to_mem ? d : s;
	struct other o;
	alu_fn *fn = alu_sized(op, m->size);
	int need = PROT_READ | (to_mem && op->writes ? PROT_WRITE : 0);
	if (fn == NULL || !other_operand(to_mem ? s : d, &o) ||
			(o.reg && o.reg->size != m->size) ||
			(!to_mem && o.reg == NULL) || (prot & need) != need)
		return false;
	uint64_t v = mem_load(ea, m->size), flags;
	uint64_t r = to_mem ? fn(v, other_value(uc, &o), &flags) :
		fn(other_value(uc, &o), v, &flags);
	if (op->writes && to_mem)
		mem_store(ea, m->size, r);
	else if (op->writes)
		reg_set(uc, o.reg, r);
	greg_t *efl = &uc->uc_mcontext.gregs[REG_EFL];
	*efl = (greg_t)(((uint64_t)*efl & ~LW_ARITH_FLAGS) |
			(flags & LW_ARITH_FLAGS));
	return true;
}

bool
lw_emul_access(void *ucv, const cs_insn *insn, uintptr_t ea, int prot)
{
	ucontext_t *uc = ucv;
	const cs_x86 *x = &insn->detail->x86;
	const struct alu_op *op = alu_op(insn->id);
	bool done;
	if (!plain_prefixes(x) || x->op_count != 2 ||
			(x->operands[0].type == X86_OP_MEM) ==
			(x->operands[1].type == X86_OP_MEM))
		return false;
	if (insn->id == X86_INS_MOV)
		done = move(uc, x, ea, prot);
	else if (insn->id == X86_INS_MOVZX || insn->id == X86_INS_MOVSX ||
			insn->id == X86_INS_MOVSXD)
		done = load_ext(uc, x, insn->id, ea, prot);
	else
		done = op != NULL && alu(uc, x, op, ea, prot);
	if (done)
		uc->uc_mcontext.gregs[REG_RIP] += insn->size;
	return done;
}

/* legacy_prefix -- b is one of the legacy prefixes (SDM vol. 2, 2.1.1) */
static bool
legacy_prefix(uint8_t b)
{
	return b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x2e ||
		b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 ||
		b == 0x65 || b == 0x66 || b == 0x67;
}

unsigned
lw_emul_string_size(const uint8_t *code, size_t n, bool *rep)
{
	bool o16 = false, w = false;
	size_t i = 0;
	*rep = false;
	for (; i < n && legacy_prefix(code[i]); i++) {
		o16 |= code[i] == 0x66;
		*rep |= code[i] == 0xf2 || code[i] == 0xf3;
	}
	if (i < n && (code[i] & 0xf0) == 0x40)
		w = (code[i++] & 8) != 0;
	/* a4-af but a8, a9 (test with an immediate): movs cmps stos lods
	 * scas, the even opcode bytes, the odd ones by operand size */
	if (i + 1 != n || code[i] < 0xa4 || code[i] > 0xaf ||
			code[i] == 0xa8 || code[i] == 0xa9)
		return 0;
	return !(code[i] & 1) ? 1 : w ? 8 : o16 ? 2 : 4;
}

/* rep_size -- the element size of the rep movs/stos at code (n bytes):
 * f3, a REX prefix or none, then a4/a5/aa/ab; 0 for anything else. Not
 * the 16-bit forms: what the handler runs for them (66 f3 a5) would be
 * a different encoding from the check's (f3 66 a5) */
static unsigned
rep_size(const uint8_t *code, size_t n)
{
	bool rep;
	unsigned size = lw_emul_string_size(code, n, &rep);
	if (size == 0 || size == 2 || code[0] != 0xf3 || n > 3 ||
			(n == 3 && (code[1] & 0xf0) != 0x40))
		return 0;
	uint8_t op = code[n - 1];
	return op == 0xa4 || op == 0xa5 || op == 0xaa || op == 0xab ? size : 0;
}

unsigned
lw_emul_rep_size(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	unsigned id = insn->id;
	bool string = id == X86_INS_MOVSB || id == X86_INS_MOVSD ||
		id == X86_INS_MOVSQ || id == X86_INS_STOSB ||
		id == X86_INS_STOSD || id == X86_INS_STOSQ;
	unsigned size = rep_size(insn->bytes, insn->size);
	if (!string || size == 0 || x->prefix[1] != 0 || x->prefix[3] != 0)
		return 0;
	return size;
}

/* REP_RUN -- the rep string instruction MN, direction flag set when down
 * (the handler runs with it clear: x86-64 psABI) */
#define REP_RUN(MN) \
	do { \
		if (down) \
			__asm__ volatile("std\n\trep " MN "\n\tcld" \
				: "+S"(si), "+D"(di), "+c"(cx) : "a"(ax) \
				: "memory"); \
		else \
			__asm__ volatile("rep " MN : "+S"(si), "+D"(di), \
				"+c"(cx) : "a"(ax) : "memory"); \
	} while (0)

void
lw_emul_rep(void *ucv, const cs_insn *insn, unsigned size)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t si = (uint64_t)g[REG_RSI], di = (uint64_t)g[REG_RDI];
	uint64_t cx = (uint64_t)g[REG_RCX], ax = (uint64_t)g[REG_RAX];
	bool down = (g[REG_EFL] & LW_DF) != 0;
	bool stos = insn->bytes[insn->size - 1] >= 0xaa;
	switch (size * 2 + stos) {
	case 2: REP_RUN("movsb"); break;
	case 8: REP_RUN("movsl"); break;
	case 16: REP_RUN("movsq"); break;
	case 3: REP_RUN("stosb"); break;
	case 9: REP_RUN("stosl"); break;
	default: REP_RUN("stosq"); break;
	}
	g[REG_RSI] = (greg_t)si;
	g[REG_RDI] = (greg_t)di;
	g[REG_RCX] = (greg_t)cx;
}

bool
lw_emul_rep_at(uintptr_t pc, unsigned size)
{
	const uint8_t *c = (const uint8_t *)pc;
	/* what the assembler emits for REP_RUN: f3 [48] a4/a5/aa/ab */
	size_t n = c[1] == 0x48 ? 3 : 2;
	return rep_size(c, n) == size;
}
