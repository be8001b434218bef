/*
 * reader_v2.c -- version-2 records (docs/trace-format.md, "Version 2"):
 * the frame (seal, kind, flags, body length) under the same truncation
 * and corruption rules as version 1, then an event's fields decoded
 * against its slot, into the struct trace_rec version 1 gives
 */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "reader_priv.h"

/* the END record trace_writer_close writes: tid 0, site 0, 8 bytes */
#define END_BLEN 10u
#define END_LEN 20u

static uint32_t
padded(uint64_t len)
{
	return (uint32_t)((len + 3) & ~3ull);
}

bool
trace_v2_ends_with_end(const struct trace_reader *r)
{
	if (r->limit < TRACE_HEADER_LEN + END_LEN)
		return false;
	const uint8_t *p = r->base + r->limit - END_LEN;
	uint32_t seal;
	memcpy(&seal, p, 4);
	return p[4] == TRACE_REC_END && p[6] == END_BLEN && seal != 0 &&
		trace_v2_seal(p + 4, END_LEN - 4) == seal;
}

void
trace_v2_slots_reset(struct trace_reader *r)
{
	if (r->slots != NULL)
		memset(r->slots, 0, r->nslots * sizeof(*r->slots));
}

/* slot_of -- the slot e decodes against (zeros for a new one, which
 * it declares), or NULL with *why set; e is in a slot */
static struct reader_slot *
slot_of(struct trace_reader *r, struct trace_v2_event *e, const char **why)
{
	if (e->slot >= r->nslots && (e->flags & TRACE_V2_F_NEW)) {
		uint32_t n = r->nslots ? r->nslots : 64;
		while (n <= e->slot)
			n *= 2;
		struct reader_slot *s = realloc(r->slots, n * sizeof(*s));
		if (s == NULL) {
			*why = "out of memory for its slot";
			return NULL;
		}
		memset(s + r->nslots, 0, (n - r->nslots) * sizeof(*s));
		r->slots = s;
		r->nslots = n;
	}
	struct reader_slot *s = e->slot < r->nslots ? &r->slots[e->slot] :
		NULL;
	if (e->flags & TRACE_V2_F_NEW) {
		if (s->declared) {
			*why = "slot declared twice";
			return NULL;
		}
		*s = (struct reader_slot){ .declared = true, .tid = e->tid };
		return s;
	}
	if (s == NULL || !s->declared) {
		*why = "slot never declared";
		return NULL;
	}
	e->tid = s->tid;
	return s;
}

/* event -- an event's fields in [p, end) into rec: NULL or why not */
static const char *
event(struct trace_reader *r, struct trace_rec *rec, uint8_t kind,
		uint8_t flags, const uint8_t *p, const uint8_t *end)
{
	struct trace_v2_event e = { .kind = kind, .flags = flags };
	struct trace_slot_state none = { 0 };
	const char *why = NULL;
	size_t n = trace_v2_slot_of(&e, p, end, &why);
	struct reader_slot *s = n && e.slot ? slot_of(r, &e, &why) : NULL;
	const uint8_t *q = n == 0 || (e.slot && s == NULL) ? NULL :
		trace_v2_decode(&e, p + n, end, s ? &s->st : &none,
		s ? &s->refs : NULL, &why);
	if (q == NULL)
		return why;
	if (q != end)
		return "bytes after the fields";
	rec->type = e.ev.kind;
	rec->flags = e.ev.data != NULL ? 1 : 0;
	rec->tid = e.tid;
	rec->site = e.ev.site;
	rec->ev = e.ev;
	rec->body = e.ev.data;
	rec->body_len = e.ev.data != NULL ? (uint32_t)e.ev.len : 0;
	return NULL;
}

/* meta -- a meta record's tid, site and body in [p, end) into rec */
static const char *
meta(struct trace_rec *rec, uint8_t type, uint8_t flags, const uint8_t *p,
		const uint8_t *end)
{
	uint64_t tid, site;
	size_t n = trace_varint_get(p, end, &tid);
	size_t m = n ? trace_varint_get(p + n, end, &site) : 0;
	if (m == 0 || tid > UINT32_MAX || site > UINT32_MAX)
		return "bad thread or site";
	rec->type = type;
	rec->flags = flags;
	rec->tid = (uint32_t)tid;
	rec->site = (uint32_t)site;
	rec->body = p + n + m;
	rec->body_len = (uint32_t)(end - rec->body);
	return NULL;
}

/* cut_or -- a frame ending past the data: the file was cut, or corrupt */
static int
cut_or(struct trace_reader *r, const char *what, uint64_t left)
{
	return r->cut ? trace_reader_stop(r) : trace_reader_corrupt(r,
		"%s: past the end of the data (%llu bytes left)", what,
		(unsigned long long)left);
}

int
trace_v2_frame(struct trace_reader *r, struct trace_rec *rec,
		uint32_t *len, int *decode)
{
	uint64_t left = r->limit - r->pos;
	const uint8_t *p = r->base + r->pos;
	uint32_t seal;
	if (left == 0)
		return trace_reader_stop(r);
	if (left < 4)
		return cut_or(r, "a seal", left);
	memcpy(&seal, p, 4);
	if (seal == 0 && !r->end_at_tail)
		return trace_reader_stop(r); /* reserved, never sealed */
	if (seal == 0)
		return trace_reader_corrupt(r, "never sealed, yet the trace "
				"ends with an end record");
	uint64_t blen;
	size_t vl = left > TRACE_V2_FIXED ? trace_varint_get(p +
		TRACE_V2_FIXED, p + left, &blen) : 0;
	if (vl == 0)
		return left < TRACE_V2_FIXED + 10 ? cut_or(r, "a record head",
				left) : trace_reader_corrupt(r, "bad length");
	if (blen > UINT32_MAX - TRACE_V2_FIXED - 16)
		return trace_reader_corrupt(r, "bad length %llu",
				(unsigned long long)blen);
	uint32_t total = padded(TRACE_V2_FIXED + vl + blen);
	if (total > left)
		return cut_or(r, "a record", left);
	if (trace_v2_seal(p + 4, total - 4) != seal)
		return trace_reader_corrupt(r, "checksum mismatch");
	const uint8_t *body = p + TRACE_V2_FIXED + vl, *end = body + blen;
	for (const uint8_t *q = end; q < p + total; q++)
		if (*q != 0)
			return trace_reader_corrupt(r, "bad padding");
	uint8_t kind = p[4], flags = p[5];
	uint16_t type = kind & TRACE_V2_KIND_META ? kind :
		kind & TRACE_V2_KIND_RESERVED ? kind : kind & TRACE_V2_KIND_TYPE;
	if (!trace_type_known(type))
		return trace_reader_corrupt(r, "unknown record type %u", kind);
	*rec = (struct trace_rec){ .file_off = r->pos };
	bool ev = !(kind & TRACE_V2_KIND_META);
	bool zero = !ev && (flags & TRACE_V2_META_ZERO);
	if (zero && type != TRACE_REC_BASE)
		return trace_reader_corrupt(r, "a %s record of zeros",
				trace_rec_name(type));
	*decode = ev ? TRACE_V2_DECODE_EVENT : zero ?
		TRACE_V2_DECODE_ZERO_BASE : TRACE_V2_DECODE_BODY;
	const char *why = ev ? event(r, rec, kind, flags, body, end) :
		meta(rec, kind, zero ? flags & ~TRACE_V2_META_ZERO : flags,
		body, end);
	if (why != NULL)
		return trace_reader_corrupt(r, "%s", why);
	*len = total;
	return 1;
}
