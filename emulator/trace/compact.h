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
	TRACE_V2_DATA_SAME = 2,      /* the slot's last data bytes again */
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
	const uint8_t *data;            /* the last data bytes (in the file) */
	uint64_t data_len;
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
 * sets e->kind and e->flags (data: same_data, else bytes when ev.data),
 * writes the fields to out (TRACE_V2_FIELDS_MAX) and updates st as the
 * reader will; returns the fields' length. A new slot (declare) or slot 0
 * starts from a zero st.
 */
size_t trace_v2_encode(struct trace_v2_event *e, bool declare, bool same_data,
		struct trace_slot_state *st, uint8_t *out);

/* The reader's side: the slot's fields of the record whose kind and flags
 * are in e, from p to end. trace_v2_slot_of reads the slot (and tid); then
 * trace_v2_decode the rest against st (zero for a new slot or slot 0),
 * pointing ev.data into the record (or st's data) and updating st.
 * The first returns the bytes it read, the second where it stopped; 0 or
 * NULL with *why set. */
size_t trace_v2_slot_of(struct trace_v2_event *e, const uint8_t *p,
		const uint8_t *end, const char **why);
const uint8_t *trace_v2_decode(struct trace_v2_event *e, const uint8_t *p,
		const uint8_t *end, struct trace_slot_state *st,
		const char **why);

/* TRACE_BASE_PAGE zero bytes: the data of a BASE record left out */
extern const uint8_t trace_zero_page[TRACE_BASE_PAGE];

/* the seal of a record whose bytes after the seal are p[0..len) */
uint32_t trace_v2_seal(const uint8_t *p, size_t len);

#endif /* PMEMU_TRACE_COMPACT_H */
