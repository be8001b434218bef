/*
 * reader_priv.h -- the trace reader's state, shared by its frame of
 * version 1 (reader.c) and its records of version 2 (reader_v2.c)
 */
#ifndef PMEMU_TRACE_READER_PRIV_H
#define PMEMU_TRACE_READER_PRIV_H 1

#include "compact.h"
#include "trace.h"

/* a version-2 slot the trace declared: its thread, its state */
struct reader_slot {
	bool declared;
	uint32_t tid;
	struct trace_slot_state st;
	struct trace_data_refs refs;
};

struct trace_reader {
	const uint8_t *base;
	uint64_t map_len;
	uint64_t limit;         /* end of data: min(file size, data_end) */
	uint32_t version;       /* the header's */
	bool cut;               /* the file is shorter than data_end */
	bool end_at_tail;       /* the last record is a sealed END */
	struct trace_decoder *dec;
	uint64_t pos;
	uint64_t good_end;
	bool ended;             /* END record seen */
	bool truncated;
	struct reader_slot *slots; /* version 2: by slot, nslots of them */
	uint32_t nslots;
	char path[1024];
	char err[1400];
};

/* -1: the record at pos is corrupt (the message names file and offset) */
int trace_reader_corrupt(struct trace_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* 0: the usable trace ends at pos (a killed writer's tail) */
int trace_reader_stop(struct trace_reader *r);
bool trace_type_known(uint16_t t);

/* the version-2 record at pos into rec, and what it needs decoded (enum
 * trace_v2_decode): 1 with its length in *len, 0 the end, -1 corrupt */
int trace_v2_frame(struct trace_reader *r, struct trace_rec *rec,
		uint32_t *len, int *decode);
/* the last version-2 record is a sealed END */
bool trace_v2_ends_with_end(const struct trace_reader *r);
/* forgets the slots: the reader rewound */
void trace_v2_slots_reset(struct trace_reader *r);

#endif /* PMEMU_TRACE_READER_PRIV_H */
