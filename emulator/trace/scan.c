/*
 * scan.c -- the meta records of a trace other processes are still
 * writing (a process image joining it after exec reads the earlier
 * images' PROCESS and REGION records): records being filled are waited
 * for a while, never read half-written
 */
#include <sched.h>
#include <stdbool.h>
#include <string.h>

#include "compact.h"

#define SPINS 100000 /* a record reserved, not yet filled */

/* v1_next -- the length of the version-1 record at p, once set; its
 * meta body when sealed; 0: the scan stops */
static uint32_t
v1_next(const uint8_t *p, uint64_t left, struct trace_scan_rec *sr)
{
	const struct trace_rec_hdr *rh = (const void *)p;
	uint32_t len = __atomic_load_n(&rh->len, __ATOMIC_ACQUIRE);
	for (int i = 0; len == 0 && i < SPINS; i++) {
		sched_yield();
		len = __atomic_load_n(&rh->len, __ATOMIC_ACQUIRE);
	}
	if (len < TRACE_REC_HDR_LEN || len > left)
		return 0;
	sr->sealed = __atomic_load_n(&rh->seal, __ATOMIC_ACQUIRE) ==
		TRACE_SEAL;
	sr->type = rh->type;
	sr->body = p + TRACE_REC_HDR_LEN;
	sr->body_len = len - TRACE_REC_HDR_LEN;
	return len;
}

/* v2_next -- the same for version 2, whose writer sets the head (kind,
 * flags, length) first and the seal last: a record still unsealed after
 * the wait (its writer killed) is stepped over once its head is set */
static uint32_t
v2_next(const uint8_t *p, uint64_t left, struct trace_scan_rec *sr)
{
	uint32_t seal = __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
	for (int i = 0; seal == 0 && i < SPINS; i++) {
		sched_yield();
		seal = __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
	}
	uint64_t blen, tid, site;
	bool head_set = left > TRACE_V2_FIXED &&
		__atomic_load_n(&p[4], __ATOMIC_ACQUIRE) != 0;
	size_t vl = head_set ? trace_varint_get(p + TRACE_V2_FIXED, p + left,
		&blen) : 0;
	if (vl == 0 || blen > left)
		return 0;
	uint64_t len = (TRACE_V2_FIXED + vl + blen + 3) & ~3ull;
	if (len > left)
		return 0;
	if (seal == 0) {
		sr->sealed = false;
		sr->type = 0;
		return (uint32_t)len;
	}
	const uint8_t *b = p + TRACE_V2_FIXED + vl, *end = b + blen;
	size_t n = trace_varint_get(b, end, &tid);
	size_t m = n ? trace_varint_get(b + n, end, &site) : 0;
	sr->sealed = true;
	sr->type = (p[4] & TRACE_V2_KIND_META) && m ? p[4] : 0;
	sr->body = b + n + m;
	sr->body_len = (uint32_t)(end - sr->body);
	return (uint32_t)len;
}

void
trace_scan_meta(const uint8_t *base, uint64_t data_end, uint32_t version,
		void (*seen)(void *ctx, const struct trace_scan_rec *sr),
		void *ctx)
{
	for (uint64_t off = TRACE_HEADER_LEN; off < data_end;) {
		struct trace_scan_rec sr;
		uint64_t left = data_end - off;
		uint32_t len = version >= 2 ? v2_next(base + off, left, &sr) :
			left < TRACE_REC_HDR_LEN ? 0 :
			v1_next(base + off, left, &sr);
		if (len == 0)
			return;
		if (sr.sealed && sr.type >= TRACE_REC_REGION)
			seen(ctx, &sr);
		off += len;
	}
}
