/*
 * insn_request.c -- Valgrind client requests that need no trap: those
 * whose request word is a constant that pmemu answers with the program's
 * own default (memcheck's, DO_FLUSH, REMOVE_FROM_TX..., client_request.c)
 *
 * The request macro (valgrind.h) stores the word in args[0] of an array
 * on the stack, points %rax at the array and runs the preamble. Walking
 * back over the instructions the scanner decoded before a preamble, the
 * last write of %rax must be `lea disp(base), %rax` and the last write of
 * [base + disp] a `movq $imm32, disp(base)`, with no control transfer, no
 * write of base or %rsp, no string store and no store through another
 * pointer in between. Then no branch of the module may land after that
 * mov, up to the xchg (another path could reach the request with another
 * word): every byte that could start a direct jump or call is taken as
 * one, a superset of the real branches. Anything else keeps the trap.
 */
#include <capstone/capstone.h>
#include <stdlib.h>
#include <string.h>

#include "insn.h"
#include "insn_detail.h"

#define GPR_RAX 0
#define GPR_RSP 4

/* writes_gpr -- in writes general register gpr (any width); unknown:
 * true */
static bool
writes_gpr(csh h, const cs_insn *in, int gpr)
{
	cs_regs rd, wr;
	uint8_t nrd, nwr;
	if (insn_cs.cs_regs_access(h, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return true;
	for (uint8_t i = 0; i < nwr; i++)
		if (insn_gpr_family(insn_cs.cs_reg_name(h, wr[i])) == gpr)
			return true;
	return false;
}

/* is_barrier -- control flow or an implicit store (string operations) */
static bool
is_barrier(csh h, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	static const unsigned groups[] = { CS_GRP_JUMP, CS_GRP_CALL,
		CS_GRP_RET, CS_GRP_INT, CS_GRP_IRET };
	for (size_t i = 0; i < sizeof(groups) / sizeof(*groups); i++)
		if (insn_cs.cs_insn_group(h, in, groups[i]))
			return true;
	switch (in->id) {
	case X86_INS_STOSB: case X86_INS_STOSW: case X86_INS_STOSD:
	case X86_INS_STOSQ: case X86_INS_MOVSB: case X86_INS_MOVSW:
	case X86_INS_MOVSQ: case X86_INS_PUSH: case X86_INS_POP:
		return true;
	default:
		return x->prefix[0] == X86_PREFIX_REP ||
			x->prefix[0] == X86_PREFIX_REPNE;
	}
}

/* the args array: [base + disp, +8) holds the request word */
struct word_slot {
	int base;            /* general register family */
	int64_t disp;
};

/* lea_slot -- in is `lea disp(base), %rax` (no index, no segment) */
static bool
lea_slot(csh h, const cs_insn *in, struct word_slot *slot)
{
	const cs_x86 *x = &in->detail->x86;
	if (in->id != X86_INS_LEA || x->op_count != 2 ||
			x->operands[0].type != X86_OP_REG ||
			x->operands[0].reg != X86_REG_RAX ||
			x->operands[1].type != X86_OP_MEM ||
			x->operands[1].mem.index != X86_REG_INVALID ||
			x->operands[1].mem.segment != X86_REG_INVALID ||
			x->operands[1].mem.base == X86_REG_INVALID)
		return false;
	slot->base = insn_gpr_family(insn_cs.cs_reg_name(h, x->operands[1].mem.base));
	slot->disp = x->operands[1].mem.disp;
	return slot->base >= 0 && slot->base != GPR_RAX;
}

/*
 * slot_store -- how in touches the word: 0 not at all, 1 it is
 * `movq $imm, disp(base)` (*word set), -1 anything else that may write it
 */
static int
slot_store(csh h, const cs_insn *in, const struct word_slot *slot,
		uint64_t *word)
{
	const cs_x86 *x = &in->detail->x86;
	if (in->id == X86_INS_LEA || in->id == X86_INS_NOP)
		return 0; /* their memory operand is only an address */
	for (uint8_t i = 0; i < x->op_count; i++) {
		const cs_x86_op *o = &x->operands[i];
		if (o->type != X86_OP_MEM || (o->access != 0 &&
				!(o->access & CS_AC_WRITE)))
			continue;
		if (o->mem.base == X86_REG_RIP)
			continue; /* a global, not the stack array */
		if (o->mem.index != X86_REG_INVALID ||
				o->mem.segment != X86_REG_INVALID ||
				o->mem.base == X86_REG_INVALID ||
				insn_gpr_family(insn_cs.cs_reg_name(h, o->mem.base)) !=
				slot->base)
			return -1; /* another pointer: it might alias */
		if (o->mem.disp + o->size <= slot->disp ||
				o->mem.disp >= slot->disp + 8)
			continue;
		if (in->id != X86_INS_MOV || x->op_count != 2 || i != 0 ||
				o->size != 8 || o->mem.disp != slot->disp ||
				x->operands[1].type != X86_OP_IMM)
			return -1;
		*word = (uint64_t)x->operands[1].imm;
		return 1;
	}
	return 0;
}

/* find_lea -- the index of the lea that sets %rax, or -1 */
static long
find_lea(struct insn_scanner *sc, const uint8_t *code, uint64_t addr,
		const size_t *starts, size_t n, size_t pre,
		struct word_slot *slot)
{
	csh h = insn_detail_handle(sc);
	for (size_t i = n; i-- > 0;) {
		const cs_insn *in = insn_detail(sc, code + starts[i],
				pre - starts[i], addr + starts[i]);
		if (in == NULL || is_barrier(h, in))
			return -1;
		if (writes_gpr(h, in, GPR_RAX))
			return lea_slot(h, in, slot) ? (long)i : -1;
	}
	return -1;
}

void
insn_request_word(struct insn_scanner *sc, const uint8_t *code,
		size_t len, uint64_t addr, const size_t *starts, size_t n,
		size_t pre, struct insn_site *s)
{
	struct word_slot slot;
	csh h = insn_detail_handle(sc);
	if (find_lea(sc, code, addr, starts, n, pre, &slot) < 0)
		return;
	for (size_t i = n; i-- > 0;) {
		const cs_insn *in = insn_detail(sc, code + starts[i],
				pre - starts[i], addr + starts[i]);
		uint64_t word;
		if (in == NULL || is_barrier(h, in) ||
				writes_gpr(h, in, slot.base) ||
				writes_gpr(h, in, GPR_RSP))
			return;
		int r = slot_store(h, in, &slot, &word);
		if (r < 0)
			return;
		if (r == 0)
			continue;
		uint64_t mov_end = addr + starts[i] + in->size;
		s->req_word = word;
		s->req_window = (uint32_t)(s->addr - mov_end);
		s->req_sweep_back = (uint32_t)(s->addr - addr);
		s->req_sweep_len = (uint32_t)len;
		return;
	}
}

/* the instruction starts of one sweep, as insn_scan decodes it (a client
 * request is one 19-byte step, unknown bytes one-byte steps) */
struct sweep_starts {
	uint64_t lo, hi;
	uint8_t *bits;        /* bit i: an instruction starts at lo + i */
	size_t next;          /* decoded up to this offset (a start) */
};

static int
window_cmp(const void *a, const void *b)
{
	const struct insn_window *x = a, *y = b;
	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* sweep_decode -- the starts of the sweep up to offset `upto` */
static void
sweep_decode(struct insn_scanner *sc, struct sweep_starts *ss, size_t upto)
{
	const uint8_t *code = (const uint8_t *)(uintptr_t)ss->lo;
	size_t len = ss->hi - ss->lo;
	while (ss->next <= upto && ss->next < len) {
		size_t off = ss->next;
		struct insn_site s;
		ss->bits[off / 8] |= (uint8_t)(1u << (off % 8));
		if (insn_client_request_at(code + off, len - off))
			ss->next += INSN_CLIENT_REQ_LEN;
		else if (insn_decode_one(sc, code + off, len - off,
				ss->lo + off, &s) < 0)
			ss->next++;
		else
			ss->next += s.len;
	}
}

/* starts_at -- at is an instruction start of the sweep, decoded as far
 * as the questions go (the branch pass asks in address order) */
static bool
starts_at(struct insn_scanner *sc, struct sweep_starts *ss, uint64_t at)
{
	if (ss->bits == NULL)
		ss->bits = calloc((ss->hi - ss->lo) / 8 + 1, 1);
	if (ss->bits == NULL)
		return true; /* unknown: it may be */
	size_t off = at - ss->lo;
	sweep_decode(sc, ss, off);
	return ss->bits[off / 8] & (1u << (off % 8));
}

/* branch -- a branch that may start at `at` lands on target: mark its
 * window unless the sweep of the window decodes `at` as no instruction */
static void
branch(struct insn_scanner *sc, struct insn_window *w,
		struct sweep_starts **sweep, size_t n, uint64_t at,
		uint64_t target)
{
	size_t lo = 0, hi = n;
	while (lo < hi) { /* the last window starting at or before target */
		size_t mid = lo + (hi - lo) / 2;
		if (w[mid].lo <= target)
			lo = mid + 1;
		else
			hi = mid;
	}
	struct insn_window *x = lo > 0 ? &w[lo - 1] : NULL;
	if (x == NULL || target > x->hi || x->entered)
		return;
	struct sweep_starts *ss = sweep[lo - 1];
	if (at < ss->lo || at >= ss->hi || starts_at(sc, ss, at))
		x->entered = true;
}

/* branch_pass -- every byte of [p, end) that may start a direct branch
 * (jcc, jmp, jrcxz, loop: rel8; jmp, call, jcc: rel32) */
static void
branch_pass(struct insn_scanner *sc, struct insn_window *w,
		struct sweep_starts **sweep, size_t n, const uint8_t *p,
		const uint8_t *end)
{
	for (; p < end; p++) {
		uint64_t at = (uint64_t)(uintptr_t)p;
		int32_t rel;
		if (p + 2 <= end && ((*p >= 0x70 && *p <= 0x7f) || *p == 0xeb ||
				(*p >= 0xe0 && *p <= 0xe3)))
			branch(sc, w, sweep, n, at, at + 2 + (uint64_t)(int8_t)p[1]);
		if (p + 5 <= end && (*p == 0xe8 || *p == 0xe9)) {
			memcpy(&rel, p + 1, 4);
			branch(sc, w, sweep, n, at, at + 5 + (uint64_t)(int64_t)rel);
		}
		if (p + 6 <= end && *p == 0x0f && (p[1] & 0xf0) == 0x80) {
			memcpy(&rel, p + 2, 4);
			branch(sc, w, sweep, n, at, at + 6 + (uint64_t)(int64_t)rel);
		}
	}
}

void
insn_windows_check(struct insn_scanner *sc, struct insn_window *w, size_t n,
		const struct insn_range *code, size_t ncode)
{
	struct sweep_starts *ss = malloc((n + 1) * sizeof(*ss));
	struct sweep_starts **sweep = malloc((n + 1) * sizeof(*sweep));
	size_t nss = 0;
	if (ss == NULL || sweep == NULL) {
		for (size_t i = 0; i < n; i++)
			w[i].entered = true; /* unknown: it may be */
		goto out;
	}
	qsort(w, n, sizeof(*w), window_cmp);
	/* one starts map per sweep: sweeps do not overlap, so the windows
	 * of one sweep are neighbours */
	for (size_t i = 0; i < n; i++) {
		w[i].entered = false;
		if (nss == 0 || ss[nss - 1].lo != w[i].sweep_lo)
			ss[nss++] = (struct sweep_starts){ w[i].sweep_lo,
				w[i].sweep_hi, NULL, 0 };
		sweep[i] = &ss[nss - 1];
	}
	for (size_t i = 0; n > 0 && i < ncode; i++)
		branch_pass(sc, w, sweep, n,
				(const uint8_t *)(uintptr_t)code[i].lo,
				(const uint8_t *)(uintptr_t)code[i].hi);
	for (size_t i = 0; i < nss; i++)
		free(ss[i].bits);
out:
	free(ss);
	free(sweep);
}

size_t
insn_requests_elide(struct insn_scanner *sc, struct insn_site *sites,
		size_t n, const struct insn_range *code, size_t ncode,
		bool (*ignored)(uint64_t word))
{
	struct insn_window *w = malloc((n + 1) * sizeof(*w));
	if (w == NULL)
		return n;
	size_t nw = 0;
	for (size_t i = 0; i < n; i++) {
		const struct insn_site *s = &sites[i];
		if (s->kind == INSN_CLIENT_REQ && s->req_window != 0 &&
				ignored(s->req_word))
			w[nw++] = (struct insn_window){ s->addr - s->req_window,
				s->addr, s->addr - s->req_sweep_back,
				s->addr - s->req_sweep_back + s->req_sweep_len,
				i, false };
	}
	insn_windows_check(sc, w, nw, code, ncode);
	for (size_t i = 0; i < nw; i++)
		if (!w[i].entered)
			sites[w[i].site].kind = INSN_NONE; /* no trap needed */
	free(w);
	size_t kept = 0;
	for (size_t i = 0; i < n; i++)
		if (sites[i].kind != INSN_NONE)
			sites[kept++] = sites[i];
	return kept;
}
