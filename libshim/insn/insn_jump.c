/*
 * insn_jump.c -- where a patch site can take a 5-byte jmp to a trampoline
 * instead of an int3, and the bytes of that trampoline
 *
 * Planning, at scan time with the decoder (the plan goes to the scan
 * cache): the jmp overwrites whole instructions [start, end), at least 5
 * bytes. A client request starts at its preamble (the four rolq move to
 * the trampoline, the xchg is the call); any other site starts at its
 * first byte and takes the instructions after it. An instruction may
 * move when it does not transfer control (its target or its return
 * address would change) and lies in the site's own linear sweep; a
 * rip-relative operand is fixed up where it lands. No direct branch of
 * the module may land inside (start, end): it would land in the jmp's
 * bytes (insn_windows_check, the same proof as for client requests).
 * Sites inside the range are emulated by the same trampoline. Everything
 * else keeps its int3.
 *
 * Writing, at patch time (no decoder needed): per displaced instruction,
 * a call into the shim for a site (insn_tramp.c) or the instruction
 * itself, relocated; then a jmp back to end.
 */
#include <capstone/capstone.h>
#include <stdlib.h>
#include <string.h>

#include "insn.h"
#include "insn_detail.h"

#define RED_ZONE 128          /* System V x86-64 ABI 3.2.2 */

/* movable -- in runs the same from another address, but for a
 * rip-relative displacement (*rel: its offset in in, 0 none) */
static bool
movable(csh h, const cs_insn *in, uint8_t *rel)
{
	const uint8_t *b = in->bytes;
	if ((b[0] >= 0x70 && b[0] <= 0x7f) || b[0] == 0xeb || b[0] == 0xe9 ||
			(b[0] == 0x0f && (b[1] & 0xf0) == 0x80)) {
		*rel = INSN_TR_BRANCH; /* jcc, jmp: re-encoded with a rel32 */
		return true;
	}
	static const unsigned groups[] = { CS_GRP_JUMP, CS_GRP_CALL,
		CS_GRP_RET, CS_GRP_INT, CS_GRP_IRET, CS_GRP_BRANCH_RELATIVE };
	for (size_t i = 0; i < sizeof(groups) / sizeof(*groups); i++)
		if (insn_cs.cs_insn_group(h, in, groups[i]))
			return false;
	const cs_x86 *x = &in->detail->x86;
	if (x->prefix[0] == X86_PREFIX_REP || x->prefix[0] == X86_PREFIX_REPNE)
		return false;
	switch (in->id) {
	case X86_INS_STOSB: case X86_INS_STOSW: case X86_INS_STOSD:
	case X86_INS_STOSQ: case X86_INS_MOVSB: case X86_INS_MOVSW:
	case X86_INS_MOVSD: case X86_INS_MOVSQ:
		return false;
	default:
		break;
	}
	*rel = 0;
	for (uint8_t i = 0; i < x->op_count; i++) {
		const cs_x86_op *o = &x->operands[i];
		/* a store that faults on a write-protected pmem page must
		 * fault at its own address: the page's site (shim_dirty.c) */
		bool address_only = in->id == X86_INS_LEA ||
			in->id == X86_INS_NOP;
		if (o->type == X86_OP_MEM && !address_only &&
				(o->access == 0 || (o->access & CS_AC_WRITE)))
			return false;
		if (o->type != X86_OP_MEM || o->mem.base != X86_REG_RIP)
			continue;
		if (x->encoding.disp_offset == 0 || x->encoding.disp_size != 4)
			return false;
		*rel = x->encoding.disp_offset;
	}
	return true;
}

/* plan_request -- the preamble and the xchg of a client request */
static void
plan_request(struct insn_site *s)
{
	s->jmp_back = INSN_CLIENT_REQ_LEN - INSN_XCHG_RBX_LEN;
	s->jmp_len = INSN_CLIENT_REQ_LEN;
	s->tr_n = 0;
	for (unsigned off = 0; off < s->jmp_back; off += 4)
		s->tr_len[s->tr_n++] = 4; /* rolq $n,%rdi: 48 c1 c7 nn */
	s->tr_len[s->tr_n++] = INSN_XCHG_RBX_LEN;
}

/*
 * starts_before -- the starts of the `back` instructions before s in its
 * sweep (decoded from the sweep's start, as the scanner did) into
 * starts[], oldest first; 0, or -1 when there are fewer
 */
static int
starts_before(struct insn_scanner *sc, const struct insn_site *s,
		unsigned back, uint64_t *starts)
{
	uint64_t ring[INSN_TR_MAX], at = s->addr - s->req_sweep_back;
	size_t n = 0;
	while (at < s->addr) {
		struct insn_site d;
		const uint8_t *p = (const uint8_t *)(uintptr_t)at;
		ring[n++ % INSN_TR_MAX] = at;
		if (insn_client_request_at(p, s->addr - at))
			at += INSN_CLIENT_REQ_LEN;
		else if (insn_decode_one(sc, p, s->addr - at, at, &d) < 0)
			return -1; /* bytes no decoder knows: not code to move */
		else
			at += d.len;
	}
	if (at != s->addr || n < back)
		return -1;
	for (unsigned i = 0; i < back; i++)
		starts[i] = ring[(n - back + i) % INSN_TR_MAX];
	return 0;
}

/* take -- one displaced instruction at `at` into s's plan; its length,
 * or 0 when it cannot move */
static unsigned
take(struct insn_scanner *sc, struct insn_site *s, uint64_t at,
		uint64_t sweep_hi)
{
	if (s->tr_n == INSN_TR_MAX || at >= sweep_hi)
		return 0;
	const cs_insn *in = insn_detail(sc, (const uint8_t *)(uintptr_t)at,
			sweep_hi - at, at);
	if (in == NULL || !movable(insn_detail_handle(sc), in,
			&s->tr_rel[s->tr_n]))
		return 0;
	s->tr_len[s->tr_n++] = (uint8_t)in->size;
	return in->size;
}

/*
 * plan_range -- the instructions a jmp for s would cover: `back`
 * instructions before s, s, and those after it up to INSN_JMP_LEN bytes;
 * 0, or -1 when one cannot move
 */
static int
plan_range(struct insn_scanner *sc, struct insn_site *s, unsigned back)
{
	if (s->kind == INSN_CLIENT_REQ) {
		if (back > 0)
			return -1;
		plan_request(s);
		return 0;
	}
	uint64_t sweep_hi = s->addr - s->req_sweep_back + s->req_sweep_len;
	uint64_t starts[INSN_TR_MAX], at;
	if (back > 0 && starts_before(sc, s, back, starts) < 0)
		return -1;
	s->tr_n = 0;
	for (unsigned i = 0; i < back; i++)
		if (take(sc, s, starts[i], s->addr) == 0)
			return -1;
	uint64_t lo = back > 0 ? starts[0] : s->addr;
	s->tr_len[s->tr_n] = s->len; /* the site: emulated, never copied */
	s->tr_rel[s->tr_n++] = 0;
	for (at = s->addr + s->len; at - lo < INSN_JMP_LEN;) {
		unsigned len = take(sc, s, at, sweep_hi);
		if (len == 0)
			return -1;
		at += len;
	}
	s->jmp_back = (uint8_t)(s->addr - lo);
	s->jmp_len = (uint8_t)(at - lo);
	return 0;
}

/* overlaps -- [lo, hi) meets the planned range of a site near sites[i]
 * (ranges hold their site and span less than 64 bytes) */
static bool
overlaps(const struct insn_site *sites, size_t n, const bool *planned,
		size_t i, uint64_t lo, uint64_t hi)
{
	for (size_t j = i; j-- > 0 && sites[j].addr + 64 > lo;)
		if (planned[j] && sites[j].addr - sites[j].jmp_back +
				sites[j].jmp_len > lo)
			return true;
	for (size_t j = i + 1; j < n && sites[j].addr < hi + 64; j++)
		if (planned[j] && sites[j].addr - sites[j].jmp_back < hi)
			return true;
	return false;
}

/*
 * plan_round -- candidates for the sites not yet planned nor inside a
 * planned range, with `back` instructions before them; those into
 * which no branch may land are kept
 */
static void
plan_round(struct insn_scanner *sc, struct insn_site *sites, size_t n,
		const struct insn_range *code, size_t ncode, unsigned back,
		bool *planned, bool *inside, struct insn_window *w)
{
	size_t nw = 0;
	uint64_t last = 0;     /* end of this round's last candidate */
	for (size_t i = 0; i < n; i++) {
		struct insn_site *s = &sites[i];
		if (!insn_kind_traps(s->kind) || planned[i] || inside[i] ||
				plan_range(sc, s, back) < 0)
			continue;
		uint64_t lo = s->addr - s->jmp_back, hi = lo + s->jmp_len;
		if (lo < last || overlaps(sites, n, planned, i, lo, hi))
			continue;
		last = hi;
		uint64_t sweep_lo = s->addr - s->req_sweep_back;
		w[nw++] = (struct insn_window){ lo + 1, hi - 1, sweep_lo,
			sweep_lo + s->req_sweep_len, i, false };
	}
	insn_windows_check(sc, w, nw, code, ncode);
	for (size_t k = 0; k < nw; k++) {
		if (w[k].entered)
			continue; /* a branch lands inside: not this way */
		size_t i = w[k].site;
		uint64_t lo = w[k].lo - 1, hi = w[k].hi + 1;
		planned[i] = true;
		for (size_t j = i; j-- > 0 && sites[j].addr >= lo;)
			inside[j] = true; /* the sites it does too */
		for (size_t j = i + 1; j < n && sites[j].addr < hi; j++)
			inside[j] = true;
	}
}

void
insn_jumps_plan(struct insn_scanner *sc, struct insn_site *sites, size_t n,
		const struct insn_range *code, size_t ncode)
{
	struct insn_window *w = malloc((n + 1) * sizeof(*w));
	bool *planned = calloc(n + 1, 2 * sizeof(bool));
	if (w != NULL && planned != NULL)
		for (unsigned back = 0; back <= 2; back++)
			plan_round(sc, sites, n, code, ncode, back, planned,
					planned + n + 1, w);
	for (size_t i = 0; i < n; i++)
		if (planned == NULL || !planned[i])
			sites[i].jmp_len = sites[i].jmp_back = 0;
	free(w);
	free(planned);
}

/* put32 -- a rel32 from the end of a field at `next` to target */
static int
put32(uint8_t *p, uint64_t next, uint64_t target)
{
	int64_t rel = (int64_t)(target - next);
	if (rel != (int32_t)rel)
		return -1;
	int32_t r = (int32_t)rel;
	memcpy(p, &r, 4);
	return 0;
}

/*
 * emit_call -- skip the red zone, push the site's slot, call the entry
 * through its slot, drop both (lea keeps the flags)
 */
static int
emit_call(uint8_t *p, uint64_t at, uint64_t site_slot, uint64_t entry_slot)
{
	static const uint8_t skip[] = { 0x48, 0x8d, 0x64, 0x24, 0x80 };
	static const uint8_t drop[] = { 0x48, 0x8d, 0xa4, 0x24,
		RED_ZONE + 8, 0, 0, 0 };
	memcpy(p, skip, sizeof(skip));          /* lea -128(%rsp),%rsp */
	p[5] = 0xff;                            /* pushq slot(%rip) */
	p[6] = 0x35;
	p[11] = 0xff;                           /* call *entry(%rip) */
	p[12] = 0x15;
	memcpy(p + 17, drop, sizeof(drop));     /* lea 136(%rsp),%rsp */
	if (put32(p + 7, at + 11, site_slot) < 0 ||
			put32(p + 13, at + 17, entry_slot) < 0)
		return -1;
	return 17 + (int)sizeof(drop);
}

/* emit_branch -- the jcc/jmp orig of address from, as a rel32 one at
 * `at` to the same target (SDM vol. 2, Jcc: 7x cb = 0F 8x cd) */
static int
emit_branch(uint8_t *p, uint64_t at, const uint8_t *orig, uint64_t from,
		uint8_t len)
{
	int64_t rel;
	int8_t rel8;
	int32_t rel32;
	unsigned op_len = orig[0] == 0x0f ? 2 : 1;
	if (len == op_len + 1) {
		memcpy(&rel8, orig + op_len, 1);
		rel = rel8;
	} else {
		memcpy(&rel32, orig + op_len, 4);
		rel = rel32;
	}
	uint64_t target = from + len + (uint64_t)rel;
	if (orig[0] == 0xeb || orig[0] == 0xe9) {
		p[0] = 0xe9;
		return put32(p + 1, at + 5, target) < 0 ? -1 : 5;
	}
	p[0] = 0x0f;
	p[1] = (uint8_t)(0x80 | ((op_len == 2 ? orig[1] : orig[0]) & 0x0f));
	return put32(p + 2, at + 6, target) < 0 ? -1 : 6;
}

/* emit_copy -- the instruction orig[0, len) of address from, moved to at */
static int
emit_copy(uint8_t *p, uint64_t at, const uint8_t *orig, uint64_t from,
		uint8_t len, uint8_t rel)
{
	if (rel == INSN_TR_BRANCH)
		return emit_branch(p, at, orig, from, len);
	memcpy(p, orig, len);
	if (rel == 0)
		return len;
	int32_t disp;
	memcpy(&disp, orig + rel, 4);
	/* the operand stays where it was: from + len + disp */
	return put32(p + rel, at + len, from + len + (int64_t)disp) < 0 ?
		-1 : len;
}

size_t
insn_tramp_write(uint8_t *buf, size_t cap, uint64_t at,
		const struct insn_site *head, const struct insn_site *const *calls,
		uint64_t entry, size_t *code_off)
{
	size_t nslots = 1u + head->tr_n;
	size_t off = (nslots * 8 + 15) & ~(size_t)15;
	uint64_t from = head->addr - head->jmp_back;
	if (cap < off + INSN_JMP_LEN)
		return 0;
	memcpy(buf, &entry, 8);
	*code_off = off;
	for (unsigned i = 0; i < head->tr_n; i++) {
		const uint8_t *orig = (const uint8_t *)(uintptr_t)from;
		int r;
		if (cap < off + 25 + head->tr_len[i] + INSN_JMP_LEN)
			return 0;
		if (calls[i] != NULL) {
			uint64_t slot = 8u * (1 + i);
			memcpy(buf + slot, &calls[i], 8);
			r = emit_call(buf + off, at + off, at + slot, at);
		} else {
			r = emit_copy(buf + off, at + off, orig, from,
					head->tr_len[i], head->tr_rel[i]);
		}
		if (r < 0)
			return 0;
		off += (size_t)r;
		from += head->tr_len[i];
	}
	buf[off] = 0xe9;                        /* jmp back */
	if (put32(buf + off + 1, at + off + INSN_JMP_LEN, from) < 0)
		return 0;
	return off + INSN_JMP_LEN;
}
