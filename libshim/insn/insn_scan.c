/*
 * insn_scan.c -- finds flush, fence, non-temporal store and locked
 * instructions and client requests in x86-64 machine code: a sweep of
 * insn_decode.c's decoder, with the request word of each client request
 * read back from the instructions before it (insn_request.c)
 */
#include <stddef.h>
#include <stdint.h>

#include "insn.h"

/* the last instruction starts of a sweep, for insn_request_word */
#define REQ_HISTORY 24

/* vector_nt_at -- VEX/EVEX in the 0F map with opcode E7, 2B or F7 at i */
static bool
vector_nt_at(const uint8_t *c, size_t i, size_t len)
{
	size_t at;
	if (c[i] == 0xc5)
		at = i + 2;
	else if (c[i] == 0xc4 && i + 1 < len && (c[i + 1] & 0x1f) == 1)
		at = i + 3;
	else if (c[i] == 0x62 && i + 2 < len && (c[i + 1] & 0x0f) == 1 &&
			(c[i + 2] & 0x04))
		at = i + 4; /* EVEX P0: map 0F, reserved 00; P1: fixed 1 */
	else
		return false;
	return at < len && (c[at] == 0xe7 || c[at] == 0x2b || c[at] == 0xf7);
}

bool
insn_may_have_targets(const uint8_t *code, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		uint8_t n = code[i + 1];
		if (code[i] == 0x0f && (n == 0xc3 || n == 0xe7 || n == 0x2b ||
				n == 0xf7))
			return true;
		/* group 15 /6 and /7: the flushes and fences (and xsaveopt) */
		if (code[i] == 0x0f && n == 0xae && i + 2 < len &&
				((code[i + 2] >> 3) & 7) >= 6)
			return true;
		if (code[i] == 0x0f && n == 0x38 && i + 2 < len &&
				(code[i + 2] == 0xf8 || code[i + 2] == 0xf9))
			return true;
		if (vector_nt_at(code, i, len))
			return true;
		if (insn_client_request_at(code + i, len - i))
			return true;
	}
	return false;
}

/* history -- the offsets of the last REQ_HISTORY instructions, oldest
 * first, for the request at the end of them */
struct history {
	size_t ring[REQ_HISTORY];
	size_t n;             /* recorded since the last reset */
};

static void
history_add(struct history *h, size_t off)
{
	h->ring[h->n++ % REQ_HISTORY] = off;
}

/* history_request -- the request word of the client request at off */
static void
history_request(struct insn_scanner *sc, const struct history *h,
		const uint8_t *code, size_t len, uint64_t addr, size_t off,
		struct insn_site *s)
{
	size_t starts[REQ_HISTORY];
	size_t n = h->n < REQ_HISTORY ? h->n : REQ_HISTORY;
	for (size_t i = 0; i < n; i++)
		starts[i] = h->ring[(h->n - n + i) % REQ_HISTORY];
	insn_request_word(sc, code, len, addr, starts, n, off, s);
}

int
insn_scan(struct insn_scanner *sc, const uint8_t *code, size_t len,
		uint64_t addr, insn_found_fn found, void *ctx)
{
	size_t off = 0;
	struct history h = { .n = 0 };
	while (off < len) {
		struct insn_site s;
		if (insn_client_request_at(code + off, len - off)) {
			insn_client_request_site(addr + off, &s);
			history_request(sc, &h, code, len, addr, off, &s);
			s.req_sweep_back = (uint32_t)(s.addr - addr);
			s.req_sweep_len = (uint32_t)len;
			int r = found(ctx, &s);
			if (r != 0)
				return r;
			off += INSN_CLIENT_REQ_LEN;
			h.n = 0;
			continue;
		}
		if (insn_decode_one(sc, code + off, len - off, addr + off,
				&s) < 0) {
			off++; /* data or an opcode no decoder knows */
			h.n = 0;
			continue;
		}
		if (s.kind != INSN_NONE) {
			s.req_sweep_back = (uint32_t)off;
			s.req_sweep_len = (uint32_t)len;
			int r = found(ctx, &s);
			if (r != 0)
				return r;
		}
		history_add(&h, off);
		off += s.len;
	}
	return 0;
}
