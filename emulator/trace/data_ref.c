/*
 * data_ref.c -- an event's data bytes in a version-2 record, coded
 * against the bytes the reader already holds for its slot
 * (docs/trace-format.md, "Version 2"): per length class the slot's last
 * data; the same bytes again are a flag, bytes that differ from them in
 * few places a delta (a byte mask of the bytes whose XOR is not zero,
 * then those XOR bytes), anything else the bytes themselves
 */
#include <string.h>

#include "compact.h"

/* class_of -- the reference class of len bytes; TRACE_V2_REF_CLASSES:
 * longer than any (its reference is in the file, never a delta) */
static unsigned
class_of(uint64_t len)
{
	return len <= 8 ? 0 : len <= 16 ? 1 : len <= 32 ? 2 : len <= 64 ? 3 :
		TRACE_V2_REF_CLASSES;
}

/* word -- n (<= 8) bytes at p, zeros above them */
static uint64_t
word(const uint8_t *p, size_t n)
{
	uint64_t w = 0;
	if (n == 8)
		memcpy(&w, p, 8); /* one load */
	else
		memcpy(&w, p, n);
	return w;
}

/* nonzero_bytes -- bit k set when byte k of x is not zero */
static unsigned
nonzero_bytes(uint64_t x)
{
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
	uint64_t t = (((x & low7) + low7) | x) & ~low7;
	return (unsigned)(((t >> 7) * 0x0102040810204080ull) >> 56);
}

/* delta_of -- data (len <= 64) against ref (zeros past its length):
 * the mask then the XOR bytes it marks into out (TRACE_V2_DELTA_MAX),
 * the data as read into seen; their length, or len when not shorter */
static size_t
delta_of(const uint8_t *data, size_t len, const uint8_t *ref, uint8_t *out,
		uint8_t *seen)
{
	size_t n = (len + 7) / 8;
	for (size_t i = 0; i < len; i += 8) {
		size_t k = len - i < 8 ? len - i : 8;
		uint64_t d = word(data + i, k), x = d ^ word(ref + i, k);
		memcpy(seen + i, &d, k);
		unsigned m = nonzero_bytes(x);
		out[i / 8] = (uint8_t)m;
		for (; m; m &= m - 1)
			out[n++] = (uint8_t)(x >> (8 * __builtin_ctz(m)));
		if (n >= len)
			return len;
	}
	return n;
}

unsigned
trace_v2_data_code(const uint8_t *data, uint64_t len,
		const struct trace_data_refs *refs, uint8_t *out, size_t *n,
		uint8_t *seen)
{
	unsigned c = class_of(len);
	if (c == TRACE_V2_REF_CLASSES) {
		bool same = refs->long_data != NULL && refs->long_len == len &&
			memcmp(refs->long_data, data, (size_t)len) == 0;
		return same ? TRACE_V2_DATA_SAME : TRACE_V2_DATA_BYTES;
	}
	size_t nmask = (size_t)(len + 7) / 8;
	size_t d = len ? delta_of(data, (size_t)len, refs->bytes[c], out,
		seen) : 0;
	bool zero = len == 0 || (d == nmask && (len > 1 || out[0] == 0));
	if (zero && (refs->have >> c & 1) && refs->len[c] == len)
		return TRACE_V2_DATA_SAME;
	if (d >= len)
		return TRACE_V2_DATA_BYTES;
	*n = d;
	return TRACE_V2_DATA_DELTA;
}

void
trace_v2_refs_keep(struct trace_data_refs *refs, const uint8_t *data,
		uint64_t len)
{
	unsigned c = class_of(len);
	if (c == TRACE_V2_REF_CLASSES) {
		refs->long_data = data;
		refs->long_len = len;
		return;
	}
	uint8_t *ref = refs->bytes[c];
	if (ref != data)
		memcpy(ref, data, (size_t)len);
	if (refs->len[c] > len) /* zeros past the length */
		memset(ref + len, 0, refs->len[c] - len);
	refs->len[c] = (uint8_t)len;
	refs->have |= (uint8_t)(1u << c);
}

const uint8_t *
trace_v2_refs_same(const struct trace_data_refs *refs, uint64_t len)
{
	unsigned c = class_of(len);
	if (c == TRACE_V2_REF_CLASSES)
		return refs->long_data != NULL && refs->long_len == len ?
			refs->long_data : NULL;
	return (refs->have >> c & 1) && refs->len[c] == len ?
		refs->bytes[c] : NULL;
}

const uint8_t *
trace_v2_delta_apply(struct trace_data_refs *refs, uint64_t len,
		const uint8_t **p, const uint8_t *end, const char **why)
{
	unsigned c = class_of(len);
	size_t nmask = (size_t)(len + 7) / 8;
	if (c == TRACE_V2_REF_CLASSES || (size_t)(end - *p) < nmask) {
		*why = c == TRACE_V2_REF_CLASSES ? "a delta of more than 64 "
			"bytes" : "data past the record";
		return NULL;
	}
	const uint8_t *mask = *p, *x = mask + nmask;
	size_t nx = 0;
	for (size_t i = 0; i < nmask; i++)
		for (unsigned m = mask[i]; m; m &= m - 1)
			nx++;
	if (len % 8 && mask[nmask - 1] >> (len % 8)) {
		*why = "a delta mask past the data";
		return NULL;
	}
	if (nx > (size_t)(end - x)) {
		*why = "data past the record";
		return NULL;
	}
	uint8_t *ref = refs->bytes[c];
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = 0;
		for (unsigned m = mask[i / 8]; m; m &= m - 1)
			w |= (uint64_t)*x++ << (8 * __builtin_ctz(m));
		size_t k = len - i < 8 ? len - i : 8;
		w ^= word(ref + i, k);
		memcpy(ref + i, &w, k);
	}
	*p = x;
	trace_v2_refs_keep(refs, ref, len);
	return ref;
}
