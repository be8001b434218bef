/*
 * writer_priv.h -- the trace writer's state, shared by its version-1
 * framing (writer.c) and its version-2 records (writer_v2.c)
 */
#ifndef PMEMU_TRACE_WRITER_PRIV_H
#define PMEMU_TRACE_WRITER_PRIV_H 1

#include <sys/types.h>

#include "compact.h"
#include "trace.h"

/* a thread's slot in this process: the state its next event encodes
 * against; busy while one append uses it (another, or a signal handler
 * interrupting it, writes a record without a slot) */
struct trace_slot_entry {
	uint32_t busy;          /* 0, or the fork generation's token */
	uint32_t gen;           /* valid in this generation only */
	uint32_t tid;
	uint32_t slot;
	struct trace_slot_state st;
	struct trace_data_refs refs;   /* changed in place: the reader's */
};
#define TRACE_SLOT_TABLE 256u   /* by tid; a collision takes a new slot */

struct trace_writer {
	int fd;
	pid_t owner;            /* the opener trims and closes the file */
	uint32_t version;       /* of the file's records */
	uint8_t *base;
	struct trace_header *hdr;
	uint64_t alloc_end;     /* file bytes known to be allocated */
	struct trace_slot_entry slots[TRACE_SLOT_TABLE];
};

/* len bytes of the file, reserved and allocated: NULL with *err set
 * (-ENOSPC marks the trace incomplete) */
uint8_t *trace_reserve(struct trace_writer *w, uint64_t len, int *err);
/* version 2 of trace_append and trace_append_event */
int trace_append_v2(struct trace_writer *w, uint16_t type, uint32_t tid,
		uint32_t site, const void *b1, size_t l1, const void *b2,
		size_t l2);
int trace_append_event_v2(struct trace_writer *w,
		const struct model_event *ev);
/* once per process: a forked child takes new slots */
void trace_writer_slots_init(void);

#endif /* PMEMU_TRACE_WRITER_PRIV_H */
