/*
 * decode.h -- the one decoder of record bodies (private to the reader)
 *
 * The reader checks a record's frame (length, seal, checksum, type); the
 * decoder then checks every field of its body against the regions the
 * trace declared so far and fills struct trace_rec's decoded parts. Every
 * consumer (replay, symbolizer, trace-dump) sees records that passed it.
 */
#ifndef PMEMU_TRACE_DECODE_H
#define PMEMU_TRACE_DECODE_H 1

#include "trace.h"

struct trace_decoder;

struct trace_decoder *trace_decoder_new(void);
/* forgets the regions: the reader rewound */
void trace_decoder_reset(struct trace_decoder *d);
void trace_decoder_delete(struct trace_decoder *d);
/* decodes rec (its frame already checked): NULL, or why the record is
 * invalid (a phrase valid until the next call) */
const char *trace_decode(struct trace_decoder *d, struct trace_rec *rec);

/* checks an event whose rec->ev a version-2 record filled in (its data
 * within the record): the checks of a version-1 event after its body */
const char *trace_decode_event_fields(struct trace_decoder *d,
		struct trace_rec *rec);

/* decodes a version-2 BASE record whose page of zeros was left out (its
 * body is the 24 bytes before the data): the data are zeros */
const char *trace_decode_zero_base(struct trace_decoder *d,
		struct trace_rec *rec);

/* what a version-2 record needs decoded after its frame */
enum trace_v2_decode {
	TRACE_V2_DECODE_BODY,   /* its body, as version 1's (trace_decode) */
	TRACE_V2_DECODE_EVENT,  /* its event's fields, decoded: checked */
	TRACE_V2_DECODE_ZERO_BASE, /* a BASE record of zeros */
};

#endif /* PMEMU_TRACE_DECODE_H */
