/*
 * insn_store.c -- the plain store forms a write-fault handler may run
 * itself instead of single-stepping them (insn_store_run.c), decoded
 * from their bytes: what memcpy, memset and compiled code store with.
 *
 * - mov r/m8-64 from a general register or an immediate (88, 89, C6 /0,
 *   C7 /0);
 * - SSE movups, movupd, movaps, movapd, movdqa, movdqu, movss, movsd,
 *   movq (66 0F D6) and movd/movq (66 0F 7E) to memory;
 * - their VEX forms (xmm, ymm);
 * - EVEX vmovups, vmovupd, vmovaps, vmovapd, vmovdqa32/64 and
 *   vmovdqu8/16/32/64 (xmm, ymm, zmm, zmm16-31 too) without a mask.
 *
 * Nothing else: no lock, F2/F3 (xacquire, xrelease), fs/gs or address
 * size prefix on a mov; no masking, zeroing or broadcast on EVEX; no
 * string, read-modify-write, non-temporal or MMX store. Decoding by the
 * bytes (SDM vol. 2, 2.1-2.3, 2.6-2.7 and the instructions' entries)
 * keeps it async-signal-safe and thread-safe: no decoder handle, no
 * library to load, no allocation.
 */
#include <string.h>

#include "insn.h"
#include "insn_detail.h"

#define MAP_0F 1 /* the 0F opcode map, as VEX.mmmmm and EVEX.mmm name it */

/* pp: the implied prefix of SSE, VEX and EVEX forms */
enum pp { PP_NONE, PP_66, PP_F3, PP_F2 };

/* what the bytes before the opcode said */
struct encoding {
	size_t len;        /* bytes before the opcode byte */
	uint8_t rex;       /* REX bits (VEX/EVEX ones as a REX), 0x40 set */
	enum pp pp;
	unsigned vl;       /* vector bytes (VEX.L, EVEX.L'L); SSE: 16 */
	bool evex;
	bool reg_hi;       /* EVEX.R': the register is 16-31 */
	bool w;
};

/* a form: opcode and implied prefix, what W must be (-1: either), the
 * bytes it stores (0: the vector length) and whether it must be aligned */
struct form {
	uint8_t op;
	enum pp pp;
	signed char w;
	unsigned char width;
	bool aligned;
};

/* SSE and VEX (W ignored but for 7E: W1 is movq) */
static const struct form vex_forms[] = {
	{ 0x11, PP_NONE, -1, 0, false },  /* movups */
	{ 0x11, PP_66, -1, 0, false },    /* movupd */
	{ 0x11, PP_F3, -1, 4, false },    /* movss m32, xmm */
	{ 0x11, PP_F2, -1, 8, false },    /* movsd m64, xmm */
	{ 0x29, PP_NONE, -1, 0, true },   /* movaps */
	{ 0x29, PP_66, -1, 0, true },     /* movapd */
	{ 0x7f, PP_66, -1, 0, true },     /* movdqa */
	{ 0x7f, PP_F3, -1, 0, false },    /* movdqu */
	{ 0xd6, PP_66, -1, 8, false },    /* movq m64, xmm */
	{ 0x7e, PP_66, 0, 4, false },     /* movd m32, xmm */
	{ 0x7e, PP_66, 1, 8, false },     /* movq m64, xmm */
};

/* EVEX, full vector (disp8 scaled by the vector length) */
static const struct form evex_forms[] = {
	{ 0x11, PP_NONE, 0, 0, false },   /* vmovups */
	{ 0x11, PP_66, 1, 0, false },     /* vmovupd */
	{ 0x29, PP_NONE, 0, 0, true },    /* vmovaps */
	{ 0x29, PP_66, 1, 0, true },      /* vmovapd */
	{ 0x7f, PP_66, -1, 0, true },     /* vmovdqa32/64 */
	{ 0x7f, PP_F3, -1, 0, false },    /* vmovdqu32/64 */
	{ 0x7f, PP_F2, -1, 0, false },    /* vmovdqu8/16 */
};

static const struct form *
form_find(const struct form *f, size_t n, uint8_t op, enum pp pp, bool w)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].op == op && f[i].pp == pp &&
				(f[i].w < 0 || f[i].w == (signed char)w))
			return &f[i];
	return NULL;
}

/* rex_of -- the R, X, B (inverted in VEX and EVEX) and W bits as a REX */
static uint8_t
rex_of(uint8_t inverted_rxb, bool w)
{
	return (uint8_t)(0x40 | (w ? 8 : 0) | ((~inverted_rxb >> 5) & 7));
}

/* vex_read -- C5 or C4 at code: 1 (e filled), 0 not a 0F-map form with
 * vvvv unused, -1 cut short */
static int
vex_read(const uint8_t *code, size_t avail, struct encoding *e)
{
	bool three = code[0] == 0xc4;
	if (avail < (three ? 4u : 3u))
		return -1;
	uint8_t last = code[three ? 2 : 1];
	if (three && (code[1] & 0x1f) != MAP_0F)
		return 0;
	e->len = three ? 3 : 2;
	e->w = three && (last & 0x80);
	e->rex = rex_of(three ? code[1] : (code[1] | 0x60), e->w);
	e->pp = (enum pp)(last & 3);
	e->vl = last & 4 ? 32 : 16;
	return (last & 0x78) == 0x78; /* vvvv 1111: no second source */
}

/* evex_read -- 62 at code: 1 (e filled), 0 not an unmasked 0F-map form
 * (no zeroing, broadcast or rounding, vvvv and V' unused), -1 cut short */
static int
evex_read(const uint8_t *code, size_t avail, struct encoding *e)
{
	if (avail < 5)
		return -1;
	uint8_t p0 = code[1], p1 = code[2], p2 = code[3];
	unsigned ll = (p2 >> 5) & 3;
	if ((p0 & 0x0f) != MAP_0F || (p1 & 0x7c) != 0x7c ||
			(p2 & 0x9f) != 0x08 || ll == 3)
		return 0;
	e->len = 4;
	e->evex = true;
	e->w = p1 & 0x80;
	e->rex = rex_of(p0, e->w);
	e->reg_hi = !(p0 & 0x10);
	e->pp = (enum pp)(p1 & 3);
	e->vl = 16u << ll;
	return 1;
}

/* sse_read -- a legacy-encoded 0F form: its implied prefix, one of 66,
 * F3, F2 or none; 0 when they are mixed, or lock, fs, gs or 67 */
static int
sse_read(const uint8_t *code, const struct insn_prefixes *p,
		struct encoding *e)
{
	unsigned n66 = 0, nrep = 0;
	for (size_t i = 0; i < p->len; i++) {
		n66 += code[i] == 0x66;
		nrep += code[i] == 0xf2 || code[i] == 0xf3;
	}
	if (p->lock || p->seg || p->addr32 || nrep > 1 || (n66 && nrep))
		return 0;
	e->len = p->len + 1; /* the 0F escape */
	e->rex = p->rex | 0x40;
	e->w = p->rex & 8;
	e->pp = nrep ? (p->rep == 0xf3 ? PP_F3 : PP_F2) :
		n66 ? PP_66 : PP_NONE;
	e->vl = 16;
	return 1;
}

/* memory_operand -- the ModRM operand at code[at] (REX bits rex): 1
 * when it is memory (st's operand and length to its end set, its disp8
 * scaled by disp8_scale; *reg the reg field), 0 a register, -1 cut short */
static int
memory_operand(const uint8_t *code, size_t avail, size_t at, uint8_t rex,
		unsigned disp8_scale, struct insn_store *st, int *reg)
{
	int mod;
	size_t used = insn_modrm_read(code + at, avail - at, rex, &st->site,
		reg, &mod);
	if (used == 0)
		return -1;
	if (mod == 3)
		return 0;
	if (mod == 1)
		st->site.disp *= (int64_t)disp8_scale;
	st->site.len = (uint8_t)(at + used);
	return 1;
}

/* vector -- the vector store whose opcode is at code[e->len]: 1, 0, -1 */
static int
vector(const uint8_t *code, size_t avail, const struct encoding *e,
		struct insn_store *st)
{
	if (avail <= e->len)
		return -1;
	const struct form *f = e->evex ?
		form_find(evex_forms, sizeof(evex_forms) / sizeof(*f),
			code[e->len], e->pp, e->w) :
		form_find(vex_forms, sizeof(vex_forms) / sizeof(*f),
			code[e->len], e->pp, e->w);
	if (f == NULL || (f->width != 0 && e->vl != 16 && !e->evex &&
			f->op != 0x11))
		return 0; /* vmovq, vmovd: VEX.128 only (vmovss, vmovsd: LIG) */
	int reg;
	/* EVEX: disp8*N, N the vector length (SDM vol. 2, 2.7.5) */
	int r = memory_operand(code, avail, e->len + 1, e->rex,
		e->evex ? e->vl : 1, st, &reg);
	if (r <= 0)
		return r;
	st->site.width = (uint8_t)(f->width ? f->width : e->vl);
	st->site.regfile = INSN_RF_XMM;
	st->site.src = (int8_t)(reg | (e->reg_hi ? 16 : 0));
	st->align = f->aligned ? st->site.width : 1;
	return 1;
}

/* width_of -- 89 and C7: 16, 32 or 64-bit operand */
static unsigned
width_of(const struct insn_prefixes *p)
{
	return (p->rex & 8) ? 8 : p->opsize ? 2 : 4;
}

/* move -- mov r/m, r or imm (88, 89, C6 /0, C7 /0) at code[p->len] */
static int
move(const uint8_t *code, size_t avail, const struct insn_prefixes *p,
		struct insn_store *st)
{
	uint8_t op = code[p->len];
	if (p->lock || p->rep || p->seg || p->addr32)
		return 0;
	int reg;
	int r = memory_operand(code, avail, p->len + 1, p->rex, 1, st, &reg);
	if (r <= 0)
		return r;
	if (op >= 0xc6 && reg != 0)
		return 0; /* C6/C7 /1-/7: not a mov */
	size_t at = st->site.len;
	st->site.width = (uint8_t)(op & 1 ? width_of(p) : 1);
	st->align = 1;
	if (op >= 0xc6) { /* an immediate: 8, 16 or 32 bits, sign-extended */
		unsigned n = st->site.width < 4 ? st->site.width : 4;
		if (avail < at + n)
			return -1;
		int32_t v = n == 1 ? (int8_t)code[at] : n == 2 ?
			(int16_t)(code[at] | code[at + 1] << 8) :
			(int32_t)((uint32_t)code[at] | (uint32_t)code[at + 1]
				<< 8 | (uint32_t)code[at + 2] << 16 |
				(uint32_t)code[at + 3] << 24);
		st->imm = (uint64_t)(int64_t)v;
		st->site.regfile = INSN_RF_NONE;
		at += n;
	} else {
		st->site.regfile = INSN_RF_GPR;
		/* without REX, 88's registers 4-7 are ah, ch, dh, bh */
		bool high = op == 0x88 && p->rex == 0 && reg >= 4;
		st->site.src = insn_greg_of_num[high ? reg - 4 : reg];
		st->shift = high ? 8 : 0;
	}
	st->site.len = (uint8_t)at;
	return at <= INSN_MAX_LEN ? 1 : 0;
}

int
insn_store_decode(const uint8_t *code, size_t avail, uint64_t addr,
		struct insn_store *st)
{
	memset(st, 0, sizeof(*st));
	st->site.addr = addr;
	st->site.src = INSN_REG_NONE;
	struct insn_prefixes p;
	insn_prefixes_read(code, avail, &p);
	if (p.len >= avail)
		return avail < INSN_MAX_LEN ? -1 : 0;
	uint8_t op = code[p.len];
	if (op == 0x88 || op == 0x89 || op == 0xc6 || op == 0xc7)
		return move(code, avail, &p, st);
	struct encoding e = { 0 };
	int r;
	if (op == 0x0f)
		r = sse_read(code, &p, &e);
	else if (p.len != 0) /* VEX, EVEX: #UD after a 66, F2, F3 or REX */
		return 0;
	else if (op == 0xc4 || op == 0xc5)
		r = vex_read(code, avail, &e);
	else if (op == 0x62)
		r = evex_read(code, avail, &e);
	else
		return 0;
	if (r <= 0)
		return r;
	r = vector(code, avail, &e, st);
	return r == 1 && st->site.len > INSN_MAX_LEN ? 0 : r;
}
