/*
 * insn_decode.c -- decodes one x86-64 instruction: is it a flush, fence,
 * non-temporal store, locked instruction or client request, and its
 * operands (insn_scan.c sweeps code with it; insn_request.c reads
 * request words with it)
 *
 * Capstone decodes instruction boundaries and the non-temporal moves.
 * The 0F AE group (clwb, clflushopt, clflush, sfence, mfence and their
 * look-alikes xsaveopt, lfence, tpause, umonitor, umwait, clrssbsy...) and
 * the 0F 38 F8/F9 group (movdir64b, movdiri, enqcmd) are decoded here from
 * the bytes: capstone 4 does not know movdir64b/movdiri and decodes
 * 66/F2/F3 0F AE F0 (tpause/umwait/umonitor) as mfence (SDM vol. 2,
 * tables A-6 "opcode extensions" and the entries of each instruction).
 */
#include <asm/prctl.h>
#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "insn.h"
#include "insn_detail.h"
#include "shim_syscall.h"

struct insn_scanner {
	csh fast;      /* no detail: boundaries and ids, 2-3x faster */
	csh cs;        /* detail on: operands of the few candidates */
	cs_insn *fast_insn, *insn; /* reused by every cs_disasm_iter */
};

const int8_t insn_greg_of_num[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

static const char *const gpr64_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static const char *const gpr32_names[16] = {
	"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
	"r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d",
};

static const char *const gpr16_names[16] = {
	"ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
	"r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w",
};

static const char *const gpr8_names[16] = {
	"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
	"r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b",
};

/* the high bytes: ah, ch, dh, bh are bits 8-15 of registers 0-3 */
static const char *const gpr8h_names[4] = { "ah", "ch", "dh", "bh" };

static const char *const kind_names[INSN_KIND_MAX] = {
	[INSN_NONE] = "none", [INSN_CLWB] = "clwb",
	[INSN_CLFLUSHOPT] = "clflushopt", [INSN_CLFLUSH] = "clflush",
	[INSN_SFENCE] = "sfence", [INSN_MFENCE] = "mfence",
	[INSN_NT_GPR] = "movnti", [INSN_NT_VEC] = "vector non-temporal store",
	[INSN_NT_MMX] = "movntq", [INSN_MOVDIRI] = "movdiri",
	[INSN_MOVDIR64B] = "movdir64b",
	[INSN_CLIENT_REQ] = "Valgrind client request",
	[INSN_LOCKED] = "locked instruction",
	[INSN_UNPATCHABLE] = "unpatchable instruction",
};

const char *
insn_kind_name(enum insn_kind k)
{
	return (unsigned)k < INSN_KIND_MAX ? kind_names[k] : "?";
}

bool
insn_kind_traps(enum insn_kind k)
{
	return k != INSN_NONE && k != INSN_LOCKED && k != INSN_UNPATCHABLE &&
		k < INSN_KIND_MAX;
}

struct insn_scanner *
insn_scanner_new(void)
{
	if (!insn_capstone_load())
		return NULL;
	struct insn_scanner *sc = calloc(1, sizeof(*sc));
	if (sc == NULL)
		return NULL;
	if (insn_cs.cs_open(CS_ARCH_X86, CS_MODE_64, &sc->fast) != CS_ERR_OK)
		goto fail;
	if (insn_cs.cs_open(CS_ARCH_X86, CS_MODE_64, &sc->cs) != CS_ERR_OK)
		goto fail_fast;
	insn_cs.cs_option(sc->cs, CS_OPT_DETAIL, CS_OPT_ON);
	sc->fast_insn = insn_cs.cs_malloc(sc->fast);
	sc->insn = insn_cs.cs_malloc(sc->cs);
	if (sc->fast_insn != NULL && sc->insn != NULL)
		return sc;
	insn_cs.cs_free(sc->fast_insn, 1);
	insn_cs.cs_free(sc->insn, 1);
	insn_cs.cs_close(&sc->cs);
fail_fast:
	insn_cs.cs_close(&sc->fast);
fail:
	free(sc);
	return NULL;
}

void
insn_scanner_delete(struct insn_scanner *sc)
{
	if (sc == NULL)
		return;
	insn_cs.cs_free(sc->fast_insn, 1);
	insn_cs.cs_free(sc->insn, 1);
	insn_cs.cs_close(&sc->fast);
	insn_cs.cs_close(&sc->cs);
	free(sc);
}

void
insn_prefixes_read(const uint8_t *code, size_t avail, struct insn_prefixes *p)
{
	memset(p, 0, sizeof(*p));
	for (; p->len < avail && p->len < INSN_MAX_LEN; p->len++) {
		uint8_t b = code[p->len];
		if (b >= 0x40 && b <= 0x4f) {
			p->rex = b;
			continue;
		}
		if (b == 0x66)
			p->opsize = true;
		else if (b == 0x67)
			p->addr32 = true;
		else if (b == 0xf0)
			p->lock = true;
		else if (b == 0xf2 || b == 0xf3)
			p->rep = b;
		else if (b == 0x64 || b == 0x65)
			p->seg = b;
		else if (b != 0x2e && b != 0x36 && b != 0x3e && b != 0x26)
			return;
		p->rex = 0; /* a REX followed by a legacy prefix is ignored */
	}
}

size_t
insn_modrm_read(const uint8_t *code, size_t avail, uint8_t rex,
		struct insn_site *s, int *reg, int *mod)
{
	if (avail < 1)
		return 0;
	uint8_t m = code[0];
	size_t used = 1, disp_len = 0;
	*mod = m >> 6;
	*reg = ((m >> 3) & 7) | ((rex & 4) << 1);
	int rm = m & 7;
	s->base = INSN_REG_NONE;
	s->index = INSN_REG_NONE;
	s->scale = 1;
	s->disp = 0;
	if (*mod == 3)
		return used;
	if (rm == 4) {
		if (avail < 2)
			return 0;
		uint8_t sib = code[used++];
		int index = ((sib >> 3) & 7) | ((rex & 2) << 2);
		s->scale = (uint8_t)(1u << (sib >> 6));
		if (index != 4)
			s->index = insn_greg_of_num[index];
		if ((sib & 7) == 5 && *mod == 0)
			disp_len = 4;
		else
			s->base = insn_greg_of_num[(sib & 7) | ((rex & 1) << 3)];
	} else if (rm == 5 && *mod == 0) {
		s->base = INSN_REG_RIP;
		disp_len = 4;
	} else {
		s->base = insn_greg_of_num[rm | ((rex & 1) << 3)];
	}
	if (*mod == 1)
		disp_len = 1;
	else if (*mod == 2)
		disp_len = 4;
	if (avail < used + disp_len)
		return 0;
	if (disp_len == 1) {
		s->disp = (int8_t)code[used];
	} else if (disp_len == 4) {
		int32_t d;
		memcpy(&d, code + used, 4);
		s->disp = d;
	}
	return used + disp_len;
}

/* segment_base -- fs or gs base of this thread (arch_prctl is a syscall) */
static uintptr_t
segment_base(uint8_t seg)
{
	unsigned long base = 0;
	shim_syscall(SYS_arch_prctl, seg == 0x64 ? ARCH_GET_FS : ARCH_GET_GS, &base);
	return base;
}

uintptr_t
insn_effective_addr(const struct insn_site *s, const ucontext_t *uc)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	uint64_t ea = (uint64_t)s->disp;
	if (s->base == INSN_REG_RIP)
		ea += s->addr + s->len; /* relative to the next instruction */
	else if (s->base >= 0)
		ea += (uint64_t)g[s->base];
	if (s->index >= 0)
		ea += (uint64_t)g[s->index] * s->scale;
	if (s->addr32)
		ea = (uint32_t)ea; /* 67 prefix: 32-bit address arithmetic */
	if (s->seg != 0)
		ea += segment_base(s->seg);
	return (uintptr_t)ea;
}

/* group_0fae -- SDM table A-6, group 15, by mod, reg and prefix */
static enum insn_kind
group_0fae(const struct insn_prefixes *p, int mod, int reg)
{
	reg &= 7;
	if (p->rep != 0)
		return INSN_NONE; /* clrssbsy, umonitor, umwait, incssp... */
	if (mod != 3 && reg == 6)
		return p->opsize ? INSN_CLWB : INSN_NONE; /* NP: xsaveopt */
	if (mod != 3 && reg == 7)
		return p->opsize ? INSN_CLFLUSHOPT : INSN_CLFLUSH;
	if (mod == 3 && !p->opsize && reg == 6)
		return INSN_MFENCE; /* 66: tpause */
	if (mod == 3 && !p->opsize && reg == 7)
		return INSN_SFENCE;
	return INSN_NONE; /* fxsave...xrstor, lfence, rd/wr{fs,gs}base */
}

/* group_0f38f8 -- movdir64b (66 F8), movdiri (NP F9); enqcmd(s): none */
static enum insn_kind
group_0f38f8(const struct insn_prefixes *p, uint8_t op, int mod)
{
	if (mod == 3 || p->rep != 0)
		return INSN_NONE;
	if (op == 0xf8 && p->opsize)
		return INSN_MOVDIR64B;
	if (op == 0xf9 && !p->opsize)
		return INSN_MOVDIRI;
	return INSN_NONE;
}

/*
 * decode_by_bytes -- the two groups capstone gets wrong; 1 when code is
 * one of them (s filled), 0 when it is not, -1 when it is cut short
 */
static int
decode_by_bytes(const uint8_t *code, size_t avail,
		const struct insn_prefixes *pfx, struct insn_site *s)
{
	const struct insn_prefixes p = *pfx;
	const uint8_t *op = code + p.len;
	size_t left = avail - p.len, oplen;
	if (left >= 2 && op[0] == 0x0f && op[1] == 0xae)
		oplen = 2;
	else if (left >= 3 && op[0] == 0x0f && op[1] == 0x38 &&
			(op[2] == 0xf8 || op[2] == 0xf9))
		oplen = 3;
	else
		return 0;
	int reg, mod;
	size_t mlen = insn_modrm_read(op + oplen, left - oplen, p.rex, s, &reg,
			&mod);
	if (mlen == 0 || p.len + oplen + mlen > INSN_MAX_LEN)
		return -1;
	s->len = (uint8_t)(p.len + oplen + mlen);
	s->addr32 = p.addr32;
	s->seg = p.seg;
	if (oplen == 2) {
		s->kind = group_0fae(&p, mod, reg);
		return 1;
	}
	s->kind = group_0f38f8(&p, op[2], mod);
	s->regfile = INSN_RF_GPR;
	s->src = insn_greg_of_num[reg];
	if (s->kind == INSN_MOVDIRI)
		s->width = (p.rex & 8) ? 8 : 4;
	else if (s->kind == INSN_MOVDIR64B)
		s->width = 64;
	return 1;
}

/* gpr_number -- 0..15 for a 64- or 32-bit general register name, or -1 */
static int
gpr_number(const char *name)
{
	for (int i = 0; i < 16; i++)
		if (strcmp(name, gpr64_names[i]) == 0 ||
				strcmp(name, gpr32_names[i]) == 0)
			return i;
	return -1;
}

int
insn_gpr_family(const char *name)
{
	int n = gpr_number(name);
	for (int i = 0; i < 16 && n < 0; i++)
		if (strcmp(name, gpr16_names[i]) == 0 ||
				strcmp(name, gpr8_names[i]) == 0 ||
				(i < 4 && strcmp(name, gpr8h_names[i]) == 0))
			n = i;
	return n;
}

const cs_insn *
insn_detail(struct insn_scanner *sc, const uint8_t *code, size_t avail,
		uint64_t addr)
{
	return insn_cs.cs_disasm_iter(sc->cs, &code, &avail, &addr, sc->insn) ?
		sc->insn : NULL;
}

csh
insn_detail_handle(struct insn_scanner *sc)
{
	return sc->cs;
}

/* addr_reg -- a capstone address register as a base or index */
static int
addr_reg(struct insn_scanner *sc, x86_reg r, int8_t *out)
{
	if (r == X86_REG_INVALID) {
		*out = INSN_REG_NONE;
		return 0;
	}
	const char *name = insn_cs.cs_reg_name(sc->cs, r);
	if (strcmp(name, "rip") == 0 || strcmp(name, "eip") == 0) {
		*out = INSN_REG_RIP;
		return 0;
	}
	int n = gpr_number(name);
	if (n < 0)
		return -1;
	*out = insn_greg_of_num[n];
	return 0;
}

/* src_reg -- the register a store reads: its file and number */
static int
src_reg(struct insn_scanner *sc, x86_reg r, struct insn_site *s)
{
	const char *name = insn_cs.cs_reg_name(sc->cs, r);
	unsigned n;
	int g = gpr_number(name);
	if (g >= 0) {
		s->regfile = INSN_RF_GPR;
		s->src = insn_greg_of_num[g];
		return 0;
	}
	if ((sscanf(name, "xmm%u", &n) == 1 || sscanf(name, "ymm%u", &n) == 1
			|| sscanf(name, "zmm%u", &n) == 1) && n < 32) {
		s->regfile = INSN_RF_XMM;
		s->src = (int8_t)n;
		return 0;
	}
	if (sscanf(name, "mm%u", &n) == 1 && n < 8) {
		s->regfile = INSN_RF_MMX;
		s->src = (int8_t)n;
		return 0;
	}
	return -1;
}

/* kind_of_id -- what a capstone instruction id is to us */
static enum insn_kind
kind_of_id(unsigned id)
{
	switch (id) {
	case X86_INS_MOVNTI:
		return INSN_NT_GPR;
	case X86_INS_MOVNTDQ: case X86_INS_MOVNTPS: case X86_INS_MOVNTPD:
	case X86_INS_MOVNTSS: case X86_INS_MOVNTSD: case X86_INS_VMOVNTDQ:
	case X86_INS_VMOVNTPS: case X86_INS_VMOVNTPD:
		return INSN_NT_VEC;
	case X86_INS_MOVNTQ:
		return INSN_NT_MMX;
	case X86_INS_MASKMOVQ: case X86_INS_MASKMOVDQU:
	case X86_INS_VMASKMOVDQU:
		return INSN_UNPATCHABLE;
	default:
		return INSN_NONE;
	}
}

/* fill_store -- the memory operand and source register of a store */
static void
fill_store(struct insn_scanner *sc, const cs_x86 *x, struct insn_site *s)
{
	bool have_mem = false, have_src = false;
	for (int i = 0; i < x->op_count; i++) {
		const cs_x86_op *o = &x->operands[i];
		if (o->type == X86_OP_MEM && !have_mem) {
			have_mem = addr_reg(sc, o->mem.base, &s->base) == 0 &&
				addr_reg(sc, o->mem.index, &s->index) == 0;
			s->scale = (uint8_t)o->mem.scale;
			s->disp = o->mem.disp;
			s->width = o->size;
			if (o->mem.segment == X86_REG_FS)
				s->seg = 0x64;
			else if (o->mem.segment == X86_REG_GS)
				s->seg = 0x65;
		} else if (o->type == X86_OP_REG && !have_src) {
			have_src = src_reg(sc, o->reg, s) == 0;
		}
	}
	if (s->kind == INSN_UNPATCHABLE)
		s->why = "a masked non-temporal store";
	else if (!have_mem || !have_src) {
		s->kind = INSN_UNPATCHABLE;
		s->why = "a non-temporal store whose operands it cannot read";
	}
}

/* has_mem_operand -- locked RMWs and xchg fence only on memory */
static bool
has_mem_operand(const cs_x86 *x)
{
	for (int i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM)
			return true;
	return false;
}

int
insn_decode_one(struct insn_scanner *sc, const uint8_t *code, size_t avail,
		uint64_t addr, struct insn_site *s)
{
	memset(s, 0, sizeof(*s));
	s->addr = addr;
	s->src = INSN_REG_NONE;
	s->orig = avail > 0 ? code[0] : 0;
	struct insn_prefixes pfx;
	insn_prefixes_read(code, avail, &pfx);
	int r = decode_by_bytes(code, avail, &pfx, s);
	if (r != 0)
		return r < 0 ? -1 : 0;
	const uint8_t *p = code;
	size_t left = avail;
	uint64_t a = addr;
	if (!insn_cs.cs_disasm_iter(sc->fast, &p, &left, &a, sc->fast_insn))
		return -1;
	s->len = (uint8_t)sc->fast_insn->size;
	unsigned id = sc->fast_insn->id;
	if (kind_of_id(id) == INSN_NONE && id != X86_INS_XCHG && !pfx.lock)
		return 0; /* most instructions: no operands needed */
	p = code;
	left = avail;
	a = addr;
	if (!insn_cs.cs_disasm_iter(sc->cs, &p, &left, &a, sc->insn))
		return -1;
	const cs_x86 *x = &sc->insn->detail->x86;
	s->addr32 = x->prefix[3] == X86_PREFIX_ADDRSIZE;
	s->kind = kind_of_id(sc->insn->id);
	if (s->kind != INSN_NONE)
		fill_store(sc, x, s);
	else if ((x->prefix[0] == X86_PREFIX_LOCK ||
			sc->insn->id == X86_INS_XCHG) && has_mem_operand(x))
		s->kind = INSN_LOCKED;
	return 0;
}

/* the client request preamble and its xchg (valgrind.h, amd64-linux) */
static const uint8_t client_request_bytes[INSN_CLIENT_REQ_LEN] = {
	0x48, 0xc1, 0xc7, 0x03, 0x48, 0xc1, 0xc7, 0x0d,
	0x48, 0xc1, 0xc7, 0x3d, 0x48, 0xc1, 0xc7, 0x33,
	0x48, 0x87, 0xdb,
};

bool
insn_client_request_at(const uint8_t *code, size_t avail)
{
	return avail >= INSN_CLIENT_REQ_LEN && code[0] == 0x48 &&
		code[1] == 0xc1 && memcmp(code, client_request_bytes,
				INSN_CLIENT_REQ_LEN) == 0;
}

void
insn_client_request_site(uint64_t addr, struct insn_site *s)
{
	memset(s, 0, sizeof(*s));
	s->addr = addr + INSN_CLIENT_REQ_LEN - INSN_XCHG_RBX_LEN;
	s->len = INSN_XCHG_RBX_LEN;
	s->kind = INSN_CLIENT_REQ;
	s->base = INSN_REG_NONE;
	s->index = INSN_REG_NONE;
	s->src = INSN_REG_NONE;
	s->orig = client_request_bytes[INSN_CLIENT_REQ_LEN - INSN_XCHG_RBX_LEN];
}
