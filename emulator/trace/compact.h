/*
 * compact.h -- the fields of a version-2 record (docs/trace-format.md,
 * "Version 2"): varints, and an event's fields encoded against the state
 * of its thread's slot, by the writer and decoded by the reader alike
 */
#ifndef PMEMU_TRACE_COMPACT_H
#define PMEMU_TRACE_COMPACT_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

/* the fixed part of a version-2 record: seal, kind, flags */
#define TRACE_V2_FIXED 6u
/* an event's fields: slot, tid, site, region, offset, length */
#define TRACE_V2_FIELDS_MAX 40u
/* fixed part, the varint body length and the fields */
#define TRACE_V2_HEAD_MAX (TRACE_V2_FIXED + 5u + TRACE_V2_FIELDS_MAX)

/* the kind byte: a meta record's type (bit 5 set), or an event's: its
 * model event, its length present, its site the slot's one before */
#define TRACE_V2_KIND_TYPE 0x0fu
#define TRACE_V2_KIND_LEN 0x10u
#define TRACE_V2_KIND_META 0x20u
#define TRACE_V2_KIND_SITE_PREV 0x40u
#define TRACE_V2_KIND_RESERVED 0x80u /* never in an event's */

/* the flags byte of a meta record: version 1's (bit 0: data follow),
 * and for a BASE record whose page is zeros, bit 1: its bytes left out */
#define TRACE_V2_META_ZERO 0x02u

/* the flags byte of an event */
#define TRACE_V2_F_NEW 0x01u         /* declares the slot: tid follows */
#define TRACE_V2_F_SITE 0x02u        /* the site follows */
#define TRACE_V2_REGION_SHIFT 2      /* 2 bits: enum trace_v2_region */
#define TRACE_V2_OFF_SHIFT 4         /* 2 bits: enum trace_v2_off */
#define TRACE_V2_DATA_SHIFT 6        /* 2 bits: enum trace_v2_data */

enum trace_v2_region {
	TRACE_V2_REGION_SAME = 0,    /* the slot's region */
	TRACE_V2_REGION_ALL = 1,     /* MODEL_REGION_ALL; the slot keeps its */
	TRACE_V2_REGION_VALUE = 2,   /* a varint follows */
};
enum trace_v2_off {
	TRACE_V2_OFF_NEXT = 0,       /* where the slot's last range ended */
	TRACE_V2_OFF_ZERO = 1,       /* 0; the slot keeps its next */
	TRACE_V2_OFF_DELTA = 2,      /* a zigzag varint from next follows */
	TRACE_V2_OFF_SAME = 3,       /* the slot's last offset */
};
enum trace_v2_data {
	TRACE_V2_DATA_NONE = 0,
	TRACE_V2_DATA_BYTES = 1,     /* len bytes follow the fields */
	TRACE_V2_DATA_SAME = 2,      /* the slot's reference of this length */
	TRACE_V2_DATA_DELTA = 3,     /* a delta against it (data_ref.c) */
};

/* Slot 0 is no slot: its records carry a tid, are encoded against a zero
 * state and change none (a writer that could not use a slot). */
#define TRACE_V2_SLOTS_MAX (1u << 16)

/* what the next event of a slot is encoded against */
struct trace_slot_state {
	uint32_t site;
	uint32_t site_prev;             /* the site before it */
	uint32_t region;
	uint64_t off;                   /* the last range */
	uint64_t next;                  /* its end */
	uint64_t len[MODEL_EV_MAX];     /* the last length of each kind */
};

/* the data bytes a slot's next event with data is coded against: per
 * length class (1-8, 9-16, 17-32, 33-64 bytes; 0 is the first's) a copy
 * of the slot's last ones, zeros past their length; data longer than
 * TRACE_V2_REF_MAX, where the last such are in the file (never a delta) */
#define TRACE_V2_REF_CLASSES 4u
#define TRACE_V2_REF_MAX 64u
/* a delta: a mask byte per 8 data bytes, then the bytes it marks */
#define TRACE_V2_DELTA_MAX (TRACE_V2_REF_MAX / 8 + TRACE_V2_REF_MAX)
struct trace_data_refs {
	uint8_t have;                   /* bit c: class c holds data */
	uint8_t len[TRACE_V2_REF_CLASSES];
	uint8_t bytes[TRACE_V2_REF_CLASSES][TRACE_V2_REF_MAX];
	const uint8_t *long_data;
	uint64_t long_len;
};

/* an event's fields: enough to encode or to decode it */
struct trace_v2_event {
	uint8_t kind;                   /* kind byte */
	uint8_t flags;                  /* flags byte */
	uint32_t slot;
	uint32_t tid;
	struct model_event ev;
};

size_t trace_varint_put(uint8_t *p, uint64_t v);
/* the varint at *p (before end): its bytes consumed, 0 when malformed */
size_t trace_varint_get(const uint8_t *p, const uint8_t *end, uint64_t *v);
size_t trace_varint_len(uint64_t v);

/*
 * trace_v2_encode -- e->ev (kind, tid, site, region, off, len) against st:
 * sets e->kind and e->flags (data: data_mode, enum trace_v2_data), writes
 * the fields to out (TRACE_V2_FIELDS_MAX) and updates st as the reader
 * will; returns the fields' length. A new slot (declare) or slot 0
 * starts from a zero st.
 */
size_t trace_v2_encode(struct trace_v2_event *e, bool declare,
		unsigned data_mode, struct trace_slot_state *st, uint8_t *out);

/* The data coding (data_ref.c). trace_v2_data_code: how len bytes of
 * data are written against refs: TRACE_V2_DATA_SAME, TRACE_V2_DATA_DELTA
 * with the delta in out (TRACE_V2_DELTA_MAX, *n bytes; only when shorter
 * than len) and the bytes it was made from in seen (TRACE_V2_REF_MAX:
 * data may change meanwhile), or TRACE_V2_DATA_BYTES (*n untouched).
 * trace_v2_refs_keep:
 * data (the file's copy when longer than TRACE_V2_REF_MAX) become the
 * reference of their length, after any mode but a same.
 * trace_v2_refs_same: the reference of len bytes, or NULL.
 * trace_v2_delta_apply: the delta at *p (before end) applied to the
 * reference of len bytes, which it becomes; the bytes, *p after the
 * delta, or NULL with *why set. */
unsigned trace_v2_data_code(const uint8_t *data, uint64_t len,
		const struct trace_data_refs *refs, uint8_t *out, size_t *n,
		uint8_t *seen);
void trace_v2_refs_keep(struct trace_data_refs *refs, const uint8_t *data,
		uint64_t len);
const uint8_t *trace_v2_refs_same(const struct trace_data_refs *refs,
		uint64_t len);
const uint8_t *trace_v2_delta_apply(struct trace_data_refs *refs,
		uint64_t len, const uint8_t **p, const uint8_t *end,
		const char **why);

/* The reader's side: the slot's fields of the record whose kind and flags
 * are in e, from p to end. trace_v2_slot_of reads the slot (and tid); then
 * trace_v2_decode the rest against st and refs (zero for a new slot;
 * slot 0: a zero st, refs NULL), pointing ev.data into the record or
 * refs (valid until the slot's next event) and updating both.
 * The first returns the bytes it read, the second where it stopped; 0 or
 * NULL with *why set. */
size_t trace_v2_slot_of(struct trace_v2_event *e, const uint8_t *p,
		const uint8_t *end, const char **why);
const uint8_t *trace_v2_decode(struct trace_v2_event *e, const uint8_t *p,
		const uint8_t *end, struct trace_slot_state *st,
		struct trace_data_refs *refs, const char **why);

/* TRACE_BASE_PAGE zero bytes: the data of a BASE record left out */
extern const uint8_t trace_zero_page[TRACE_BASE_PAGE];

/* the seal of a record whose bytes after the seal are p[0..len) */
uint32_t trace_v2_seal(const uint8_t *p, size_t len);

#endif /* PMEMU_TRACE_COMPACT_H */
